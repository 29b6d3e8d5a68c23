"""A test channel speaking the Channel protocol, and a chat harness on top of the real app."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.channels.base import Capabilities, InboundSink, RateLimits, Sent
from bot.events import Inbound, Outbound, parse_command


@dataclass
class FakeClock:
    """An injectable clock that moves only when told to."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class TestChannel:
    """Records what is sent to each address, as a platform's chat would show it."""

    __test__ = False
    name = "test"
    limits = RateLimits()
    capabilities = Capabilities(threading=True)

    def __init__(self) -> None:
        self.sent: dict[str, list[Outbound]] = defaultdict(list)
        self.provider_ids: dict[str, list[str]] = defaultdict(list)  # beside `sent`, one per message
        self.failures: dict[str, list[Exception]] = defaultdict(list)  # raised, in order, per address
        self._ids = itertools.count(1)
        self.sink: InboundSink | None = None

    async def start(self, sink: InboundSink) -> None:
        self.sink = sink

    async def stop(self) -> None:
        self.sink = None

    async def send(self, address: str, out: Outbound) -> Sent:
        if self.failures[address]:
            raise self.failures[address].pop(0)
        self.sent[address].append(out)
        self.provider_ids[address].append(f"test-{next(self._ids)}")
        return Sent(provider_id=self.provider_ids[address][-1])


class Chat:
    """Talks to the app as one chat account would, through the test channel's sink."""

    def __init__(
        self, app: App, channel: TestChannel, address: str, *, language_hint: str | None = None
    ) -> None:
        self.app, self.channel, self.address = app, channel, address
        self.language_hint = language_hint

    @property
    def inbox(self) -> list[Outbound]:
        return self.channel.sent[self.address]

    async def send(self, inbound: Inbound) -> list[Outbound]:
        """The event, its turn, and every reply it queued sent; returns what this chat got."""
        before = len(self.inbox)
        await self.app.receive_and_answer(inbound)
        return self.inbox[before:]

    def inbound(self, text: str = "", **fields: object) -> Inbound:
        command, args = parse_command(text)
        base: dict[str, object] = {
            "channel": "test",
            "address": self.address,
            "event_id": uuid.uuid4().hex,
            "text": text,
            "command": command,
            "args": args,
            "language_hint": self.language_hint,
        }
        return Inbound(**(base | fields))  # type: ignore[arg-type]

    async def say(self, text: str) -> list[Outbound]:
        return await self.send(self.inbound(text))

    async def reply(self, to: Outbound, text: str) -> list[Outbound]:
        """Answer one message of this chat by name, as a reply on a platform with threading."""
        index = next(i for i, out in enumerate(self.inbox) if out is to)
        return await self.send(self.inbound(text, reply_to=self.channel.provider_ids[self.address][index]))

    async def press(self, label: str) -> list[Outbound]:
        """Press the button labelled `label` on the latest message that has buttons."""
        last = next(out for out in reversed(self.inbox) if out.buttons)
        button = next((b for b in last.buttons if b.label == label), None)
        if button is None:
            raise AssertionError(f"no button {label!r} in {[b.label for b in last.buttons]}")
        return await self.send(self.inbound(button.label, payload=button.payload))

    async def press_payload(self, payload: str) -> list[Outbound]:
        return await self.send(self.inbound("", payload=payload))

    @property
    def last(self) -> Outbound:
        return self.inbox[-1]

    def buttons(self) -> list[str]:
        last = next(out for out in reversed(self.inbox) if out.buttons)
        return [b.label for b in last.buttons]
