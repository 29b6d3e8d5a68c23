"""Replies by IMAP through the real aioimaplib against aioimaplib's loopback server: each mail is
marked seen only after the sink has it; IDLE where offered, polling where not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.channels.email.adapter import EmailChannel
from bot.channels.email.ingest import read
from bot.channels.email.receive import ImapAccount, ImapReader
from bot.channels.email.settings import Security
from bot.events import Inbound
from tests.channels.email import mails
from tests.fakes.mail_imap import PASSWORD, USER, FakeImap


class Sink:
    def __init__(self) -> None:
        self.received: list[Inbound] = []
        self.fail_next = 0
        self.changed = asyncio.Condition()

    async def __call__(self, inbound: Inbound) -> bool:
        async with self.changed:
            self.changed.notify_all()
            if self.fail_next:
                self.fail_next -= 1
                raise RuntimeError("database is locked")
            self.received.append(inbound)
        return True

    async def until(self, count: int) -> list[Inbound]:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(self.received) >= count), 5)
        return self.received


def reader(imap: FakeImap, **account: object) -> EmailChannel:
    return EmailChannel(
        host="127.0.0.1",
        port=9,  # nothing is sent in these tests
        from_address="office@riverside.example",
        security=Security.NONE,
        imap=ImapAccount(
            host="127.0.0.1",
            port=imap.port,
            user=USER,
            password=PASSWORD,
            tls=False,
            **account,  # type: ignore[arg-type]
        ),
    )


@pytest.fixture(params=[True, False], ids=["idle", "polling"])
async def imap(request: pytest.FixtureRequest) -> AsyncIterator[FakeImap]:
    async with FakeImap.running(idle=request.param) as fake:
        yield fake


@pytest.fixture
async def reading(imap: FakeImap) -> AsyncIterator[tuple[EmailChannel, Sink]]:
    channel, sink = reader(imap, poll_s=0.05), Sink()
    running = asyncio.create_task(channel.start(sink))
    yield channel, sink
    await channel.stop()
    await asyncio.wait_for(running, 5)


async def test_replies_in_the_mailbox_and_arriving_later_are_read_and_then_marked_seen(imap, reading):
    _, sink = reading
    first = imap.deliver(mails.GMAIL_VI)
    await sink.until(1)
    second = imap.deliver(mails.OUTLOOK_EN)  # while the reader idles or waits
    received = await sink.until(2)
    assert [r.text for r in received] == [
        "Cháu rất thích đọc sách cùng bố mẹ.",
        "Thanks, we will try it on Saturday.",
    ]
    for _ in range(100):  # bounded: the STORE follows the sink's return
        if imap.seen() == [first, second]:
            break
        await asyncio.sleep(0.01)
    assert imap.seen() == [first, second]


async def test_a_mail_the_sink_could_not_record_stays_unseen_and_is_read_again(imap):
    account = ImapAccount(
        host="127.0.0.1", port=imap.port, user=USER, password=PASSWORD, tls=False, poll_s=0.05
    )
    imap_reader = ImapReader(account, read=read, retry_s=0.01)
    sink, stopping = Sink(), asyncio.Event()
    sink.fail_next = 1
    uid = imap.deliver(mails.GMAIL_EN)
    running = asyncio.create_task(imap_reader.run(sink, stopping))
    [reply] = await sink.until(1)
    assert reply.text == "We tried it last night and she loved it!"
    assert imap.logins == 2  # the failed round ended its session; the next one read the mail again
    stopping.set()
    await asyncio.wait_for(running, 5)
    assert imap.seen() == [uid]


async def test_auto_replies_and_bounces_without_a_mail_of_ours_are_marked_seen_and_dropped(imap, reading):
    _, sink = reading
    dropped = imap.deliver(mails.AUTO_REPLY)
    imap.deliver(mails.APPLE_ES)
    [reply] = await sink.until(1)
    assert reply.text == "Lo probamos y funcionó muy bien."
    for _ in range(100):  # bounded: the STORE follows the sink's return
        if len(imap.seen()) == 2:
            break
        await asyncio.sleep(0.01)
    assert dropped in imap.seen()


async def test_a_mail_over_the_size_limit_is_not_fetched_but_left_flagged(imap, reading, caplog):
    """Its RFC822.SIZE is asked first: a 25 MB mail is never downloaded, only logged and left in
    the mailbox seen and flagged for the school; the mails after it are read."""
    _, sink = reading
    huge = imap.deliver(mails.with_photo(b"\xff\xd8" + b"\x00" * (25 * 1024 * 1024)))
    small = imap.deliver(mails.GMAIL_EN)
    [reply] = await sink.until(1)
    assert reply.text == "We tried it last night and she loved it!"
    assert imap.fetched == [small]
    for _ in range(100):  # bounded: the STORE follows the sink's return
        if imap.seen() == [huge, small]:
            break
        await asyncio.sleep(0.01)
    assert imap.seen() == [huge, small]
    assert r"\Flagged" in imap.mails[0].flags
    assert any("not fetched" in r.getMessage() and "over the" in r.getMessage() for r in caplog.records)
