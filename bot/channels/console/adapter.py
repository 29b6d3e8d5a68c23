"""Console channel: a terminal chat. Buttons are numbered choices; piped input works line by line."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.channels.base import Capabilities, InboundSink, RateLimits, Sent
from bot.events import Button, Inbound, Outbound, parse_command


def to_inbound(line: str, *, address: str, display_name: str | None, buttons: tuple[Button, ...]) -> Inbound:
    """A typed line → Inbound; a bare number picks the numbered choice shown last."""
    text = line.rstrip("\r\n")
    payload = None
    stripped = text.strip()
    if stripped.isdecimal() and stripped.isascii() and 1 <= int(stripped) <= len(buttons):
        payload = buttons[int(stripped) - 1].payload
        text = buttons[int(stripped) - 1].label
    command, args = parse_command(text) if payload is None else (None, ())
    return Inbound(
        channel="console",
        address=address,
        event_id=uuid.uuid4().hex,
        display_name=display_name,
        text=text,
        command=command,
        args=args,
        payload=payload,
    )


def render(out: Outbound) -> str:
    """Text, then the buttons as numbered choices."""
    lines = [out.text]
    lines += [f"  {number}) {button.label}" for number, button in enumerate(out.buttons, start=1)]
    return "\n".join(lines)


#: `/as NAME` in a console chat: the command line resolves NAME and calls `become` (a try-out feature).
Switch = Callable[[str], Awaitable[None]]


class ConsoleChannel:
    """One person at a terminal, at their own console address: the dispatcher sends this process
    only their messages, so a second terminal can be another person (`partnerbot chat --as`)."""

    name = "console"
    limits = RateLimits()
    capabilities = Capabilities(max_text_length=100_000, buttons=True, attachments=False)

    def __init__(
        self,
        *,
        address: str,
        stdin: TextIO,
        stdout: TextIO,
        display_name: str | None = None,
        interactive: bool = False,
        switch: Switch | None = None,
    ) -> None:
        self.address = address
        self._display_name = display_name
        self._stdin = stdin
        self._stdout = stdout
        self._interactive = interactive
        self._switch = switch
        self._buttons: tuple[Button, ...] = ()
        self._sent = 0

    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.address})

    def become(self, *, address: str, display_name: str | None) -> None:
        """From now on this terminal is the person at `address` (their earlier choices are gone)."""
        self.address, self._display_name, self._buttons = address, display_name, ()

    async def start(self, sink: InboundSink) -> None:
        """Read lines until end of input, handing each to `sink` (the app answers before it returns)."""
        while True:
            if self._interactive:
                self._stdout.write("> ")
                self._stdout.flush()
            line = await asyncio.to_thread(self._stdin.readline)
            if not line:
                return
            if not line.strip() and self._interactive:
                continue
            command, args = parse_command(line.strip())
            if command == "as" and args:
                await self._switch_to(" ".join(args))
                continue
            await sink(
                to_inbound(line, address=self.address, display_name=self._display_name, buttons=self._buttons)
            )

    async def _switch_to(self, name: str) -> None:
        if self._switch is None:
            self._stdout.write("/as switches person only while trying partnerbot out; it is off here.\n\n")
            self._stdout.flush()
            return
        await self._switch(name)

    async def stop(self) -> None:
        self._stdout.flush()

    async def send(self, address: str, out: Outbound) -> Sent:
        self._sent += 1
        if address == self.address:
            self._buttons = out.buttons
            self._stdout.write(render(out) + "\n\n")
        else:  # claimed just before an `/as` switch: shown, marked, without its choices
            self._stdout.write(f"[to {address}]\n{render(out)}\n\n")
        self._stdout.flush()
        return Sent(provider_id=f"console-{self._sent}")
