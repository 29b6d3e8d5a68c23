"""E-mail: a highlight to 10,000 families in 6 languages rendered as multipart mails (signed links,
one-click unsubscribe, threading headers) and sent by the real EmailChannel (aiosmtplib) over one
connection to the loopback relay (aiosmtpd, tests.fakes.mail, in a process of its own so its work
is not counted as ours); then replies read back by the ingest path (quoted history stripped), parsed
alone and fetched by IMAP (aioimaplib) from the loopback IMAP server (tests.fakes.mail_imap, also in
a thread), each marked seen after the sink took it. No database: what is measured is the channel."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import TypeVar

from bench._common import NOW, Figure, parser, print_figures
from bot.channels.email.adapter import EmailChannel, mail_limits
from bot.channels.email.ingest import Arrived, read
from bot.channels.email.links import Links
from bot.channels.email.receive import ImapAccount, ImapReader
from bot.channels.email.render import Envelope, new_message_id, render
from bot.channels.email.settings import Security
from bot.events import Button, Content, Inbound, Outbound, Section
from bot.i18n import LANGUAGES, Speaker
from bot.web.signing import Signer
from tests.channels.email import mails
from tests.fakes.mail import FakeRelay
from tests.fakes.mail_imap import PASSWORD, USER, FakeImap

_S = TypeVar("_S")

PUBLIC = "https://partnerbot.riverside.example"
TEXT = "We planted beans this week. Ask your child what a seed needs to grow, and look for one at home."


def highlight(language: str, message_id: int) -> Outbound:
    """The highlight as a family in `language` gets it (heading and buttons in their words)."""
    speaker = Speaker(language)
    _ = speaker._
    heading = _("Learning highlights for {group} from {author}").format(group="Class 3B", author="Ms Lee")
    return Outbound(
        content=Content(
            heading=heading,
            sections=(Section(paragraphs=(TEXT, TEXT)),),
            note=_("Translated automatically from {language}.").format(
                language=speaker.language_name_here("en")
            ),
        ),
        buttons=(
            Button(label=_("Got it"), payload=f"ack:{message_id}"),
            Button(label=_("Show original"), payload=f"orig:{message_id}"),
        ),
        language=language,
        rtl=speaker.is_rtl,
        message_id=message_id,
    )


@contextmanager
def in_thread(server: Callable[[], AbstractAsyncContextManager[_S]]) -> Iterator[_S]:
    """A loopback server on its own event loop in a thread (a relay is another machine, after all)."""
    ready = threading.Event()
    holder: list[tuple[_S, asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def serve() -> None:
        done = asyncio.Event()
        async with server() as running:
            holder.append((running, asyncio.get_running_loop(), done))
            ready.set()
            await done.wait()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    ready.wait(10)
    running, loop, done = holder[0]
    try:
        yield running
    finally:
        loop.call_soon_threadsafe(done.set)
        thread.join(10)


async def fetch_all(imap: FakeImap, count: int) -> float:
    """Seconds for an ImapReader to hand `count` unseen mails to a sink and mark them seen."""
    arrived = asyncio.Event()
    received = 0

    async def sink(inbound: Inbound) -> bool:
        nonlocal received
        received += 1
        if received >= count:
            arrived.set()
        return True

    account = ImapAccount(host="127.0.0.1", port=imap.port, user=USER, password=PASSWORD, tls=False)
    stopping = asyncio.Event()
    reader = ImapReader(account, read=read)
    start = time.perf_counter()
    running = asyncio.create_task(reader.run(sink, stopping))
    await asyncio.wait_for(arrived.wait(), 600)
    seconds = time.perf_counter() - start
    stopping.set()
    await running
    return seconds


def _serve_relay(ports: Queue[int], stop: Event, counts: Queue[int]) -> None:
    """The relay's process: serve until told to stop, then say how many mails it took."""

    async def serve() -> None:
        async with FakeRelay.running() as relay:
            ports.put(relay.port)
            await asyncio.to_thread(stop.wait)  # another process's event, waited for in a thread
            counts.put(len(relay.received))

    asyncio.run(serve())


@contextmanager
def relay_process() -> Iterator[tuple[int, Callable[[], int]]]:
    """The relay in a process of its own (a relay is another machine): its port, and a function
    that stops it and returns how many mails it received."""
    context = multiprocessing.get_context("spawn")
    ports: Queue[int] = context.Queue()
    counts: Queue[int] = context.Queue()
    stop = context.Event()
    process = context.Process(target=_serve_relay, args=(ports, stop, counts), daemon=True)
    process.start()

    def count() -> int:
        stop.set()
        return counts.get(timeout=30)

    try:
        yield ports.get(timeout=30), count
    finally:
        stop.set()
        process.join(30)


async def send_all(port: int, outs: list[Outbound]) -> float:
    channel = EmailChannel(
        host="127.0.0.1",
        port=port,
        from_address="office@riverside.example",
        from_name="Riverside Primary",
        security=Security.NONE,
        local_hostname="bot.riverside.example",
        limits=mail_limits(per_min=None, per_hour=None),
        links=Links(public_url=PUBLIC, signer=Signer("b" * 40)),
    )
    start = time.perf_counter()
    for n, out in enumerate(outs):
        await channel.send(f"family{n}@example.org", out)
    seconds = time.perf_counter() - start
    await channel.stop()
    return seconds


def measure(families: int) -> list[Figure]:
    languages = list(LANGUAGES)
    outs = [highlight(languages[n % len(languages)], 7) for n in range(families)]
    links = Links(public_url=PUBLIC, signer=Signer("b" * 40))

    start = time.perf_counter()
    size = 0
    for n, out in enumerate(outs):
        address = f"family{n}@example.org"
        envelope = Envelope(
            sender_name="Riverside Primary",
            sender_address="office@riverside.example",
            to=address,
            domain="riverside.example",
            message_id=new_message_id("riverside.example"),
            date=NOW,
            unsubscribe_url=links.unsubscribe(address, out.language),
        )
        size += len(render(out, envelope))
    rendered_s = time.perf_counter() - start

    with relay_process() as (port, count):
        sent_s = asyncio.run(send_all(port, outs))
        received = count()
    assert received == families, (received, families)

    replies = [mails.GMAIL_VI, mails.OUTLOOK_EN, mails.APPLE_ES, mails.GMAIL_AR, mails.HTML_ONLY]
    sample = [replies[n % len(replies)] for n in range(families // 5)]
    start = time.perf_counter()
    read_ok = sum(read(Arrived(data=data)) is not None for data in sample)
    read_s = time.perf_counter() - start
    assert read_ok == len(sample)

    with in_thread(FakeImap.running) as imap:
        for data in sample:
            imap.deliver(data)
        fetched_s = asyncio.run(fetch_all(imap, len(sample)))
        assert len(imap.seen()) == len(sample)
    return [
        Figure("email", "-", f"render only ({families:,} mails, 6 languages)", families / rendered_s, "/s"),
        Figure("email", "-", "mean mail size", size / families / 1024, "KiB"),
        Figure("email", "-", "render + send, one SMTP connection", families / sent_s, "/s", "≥ 200/s"),
        Figure(
            "email", "-", f"replies parsed ({len(sample):,}, quotes stripped)", len(sample) / read_s, "/s"
        ),
        Figure(
            "email", "-", "replies by IMAP (fetched, parsed, seen)", len(sample) / fetched_s, "/s", "≥ 100/s"
        ),
    ]


def run(*, quick: bool = False) -> list[Figure]:
    return measure(1_000 if quick else 10_000)


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    print_figures(run(quick=args.quick))


if __name__ == "__main__":
    main()
