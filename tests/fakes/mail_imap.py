"""A loopback IMAP server (IMAP4rev1 over asyncio on 127.0.0.1, port 0) with one user and INBOX:
the commands a reply reader needs, spoken as real servers speak them. (aioimaplib's own
MockImapServer needs pytz, which this project does not install, and knows no UNSEEN.)

    async with FakeImap.running(idle=True) as imap:
        uid = imap.deliver(raw_bytes)     # a new mail; a client in IDLE is told at once
        imap.seen()                       # UIDs flagged \\Seen
        imap.fetched                      # UIDs whose whole mail was fetched (RFC822.SIZE is not)
        imap.commands                     # e.g. ["CAPABILITY", "LOGIN", "SELECT", "UID SEARCH", …]
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

USER = "replies@riverside.example"
PASSWORD = "imap-password"
_COMMAND = re.compile(rb"^(\S+) (.*)$")


@dataclass
class _Mail:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)


class FakeImap:
    def __init__(self, *, idle: bool = True) -> None:
        self.idle = idle
        self.port = 0
        self.mails: list[_Mail] = []
        self.commands: list[str] = []
        self.fetched: list[int] = []  # UIDs whose whole mail a client fetched
        self.logins = 0
        self._server: asyncio.Server | None = None
        self._idlers: set[asyncio.StreamWriter] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, **options: bool) -> AsyncIterator[FakeImap]:
        fake = cls(**options)
        fake._server = await asyncio.start_server(fake._serve, "127.0.0.1", 0)
        fake.port = fake._server.sockets[0].getsockname()[1]
        try:
            yield fake
        finally:
            fake._server.close()
            for writer in list(fake._writers):
                writer.close()
            await fake._server.wait_closed()

    def deliver(self, data: bytes) -> int:
        uid = (self.mails[-1].uid if self.mails else 0) + 1
        self.mails.append(_Mail(uid, data))
        for writer in self._idlers:
            writer.write(f"* {len(self.mails)} EXISTS\r\n".encode())
        return uid

    def seen(self) -> list[int]:
        return [m.uid for m in self.mails if r"\Seen" in m.flags]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        caps = "IMAP4rev1 UIDPLUS" + (" IDLE" if self.idle else "")
        writer.write(f"* OK [CAPABILITY {caps}] Fake IMAP ready\r\n".encode())
        try:
            while line := await reader.readline():
                match = _COMMAND.match(line.rstrip(b"\r\n"))
                if match is None:
                    continue
                tag, rest = match.group(1).decode(), match.group(2).decode()
                words = shlex.split(rest.replace("\\", "\\\\"))
                name = words[0].upper()
                if name == "UID":
                    name, words = f"UID {words[1].upper()}", words[1:]
                self.commands.append(name)
                if not await self._answer(name, words[1:], tag, caps, reader, writer):
                    break
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._idlers.discard(writer)
            self._writers.discard(writer)
            writer.close()

    async def _answer(
        self,
        name: str,
        args: list[str],
        tag: str,
        caps: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        write = writer.write
        if name == "CAPABILITY":
            write(f"* CAPABILITY {caps}\r\n{tag} OK CAPABILITY completed\r\n".encode())
        elif name == "LOGIN":
            if args[:2] != [USER, PASSWORD]:
                write(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n".encode())
            else:
                self.logins += 1
                write(f"{tag} OK LOGIN completed\r\n".encode())
        elif name == "SELECT":
            write(f"* {len(self.mails)} EXISTS\r\n* FLAGS (\\Seen)\r\n".encode())
            write(f"{tag} OK [READ-WRITE] SELECT completed\r\n".encode())
        elif name == "UID SEARCH":
            unseen = " ".join(str(m.uid) for m in self.mails if r"\Seen" not in m.flags)
            write(f"* SEARCH {unseen}\r\n{tag} OK SEARCH completed\r\n".encode())
        elif name == "UID FETCH":
            for number, mail in enumerate(self.mails, 1):
                if str(mail.uid) != args[0]:
                    continue
                if args[1].upper() == "(RFC822.SIZE)":
                    write(f"* {number} FETCH (UID {mail.uid} RFC822.SIZE {len(mail.data)})\r\n".encode())
                    continue
                self.fetched.append(mail.uid)
                write(f"* {number} FETCH (UID {mail.uid} BODY[] {{{len(mail.data)}}}\r\n".encode())
                write(mail.data + b")\r\n")
            write(f"{tag} OK FETCH completed\r\n".encode())
        elif name == "UID STORE":
            for number, mail in enumerate(self.mails, 1):
                if str(mail.uid) == args[0]:
                    mail.flags.update(" ".join(args[2:]).strip("()").split())
                    write(f"* {number} FETCH (UID {mail.uid} FLAGS ({' '.join(mail.flags)}))\r\n".encode())
            write(f"{tag} OK STORE completed\r\n".encode())
        elif name == "IDLE" and self.idle:
            self._idlers.add(writer)
            write(b"+ idling\r\n")
            await writer.drain()
            await reader.readline()  # DONE
            self._idlers.discard(writer)
            write(f"{tag} OK IDLE terminated\r\n".encode())
        elif name == "NOOP":
            write(f"{tag} OK NOOP completed\r\n".encode())
        elif name == "LOGOUT":
            write(f"* BYE Logging out\r\n{tag} OK LOGOUT completed\r\n".encode())
            await writer.drain()
            return False
        else:
            write(f"{tag} BAD {name} not known here\r\n".encode())
        return True
