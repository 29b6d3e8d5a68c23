"""Logging that carries ids, never message bodies or secrets, at every level.

Libraries log what they send at DEBUG: python-telegram-bot the request payloads (a family's words,
invite codes, names), httpx and httpcore the headers (the webhook's secret token), slack_sdk the
bodies. Their loggers stay at INFO however verbose partnerbot's own are, unless
PARTNERBOT_LOG_BODIES=1 (local debugging only: never in production). And every secret is replaced
in every record, raw and URL-encoded, by a filter on the handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from pydantic import BaseModel, SecretStr

#: Loggers whose DEBUG lines carry what is sent or received.
CHATTY = (
    "httpx",
    "httpcore",
    "hpack",
    "telegram",
    "slack_sdk",
    "slack_bolt",
    "aiohttp",
    "websockets",
    "aiosmtplib",
    "aiosmtpd",
    "aioimaplib",
    "mail",
    "uvicorn",
)


def variants(secret: str) -> set[str]:
    """The secret as it may appear in a log line: raw, and URL-encoded in a path or a query (a
    Telegram token's ':' becomes %3A or %3a in a file download URL)."""
    found = {secret, quote(secret, safe=""), quote(secret, safe="/")}
    found |= {v.replace("%3A", "%3a") for v in found} | {v.replace("%2F", "%2f") for v in found}
    return {v for v in found if v}


class Redact(logging.Filter):
    """Replace every variant of each secret (longest first) in the records it sees."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._variants: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        found = set(self._variants).union(*(variants(s) for s in secrets if len(s) >= 4))
        self._variants = sorted(found, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._variants:
            return True
        # Formatted now, once: a library may change an argument after logging it (PTB completes a
        # file's path, token and all, in the dict it logged), and a handler formats it later.
        cleaned = record.getMessage()
        for variant in self._variants:
            cleaned = cleaned.replace(variant, "<secret>")
        record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # a traceback may quote a URL too
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for variant in self._variants:
                record.exc_text = record.exc_text.replace(variant, "<secret>")
        return True

    def __repr__(self) -> str:
        return f"Redact({len(self._variants)} variants)"


def secrets_of(model: BaseModel) -> Iterator[str]:
    """Every SecretStr value in a settings model and the models nested in it (each channel's)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            yield value.get_secret_value()
        elif isinstance(value, BaseModel):
            yield from secrets_of(value)


def configure(level: int, *, bodies: bool, secrets: Iterable[str]) -> Redact:
    """Set partnerbot's level, keep the chatty libraries at INFO or above (unless `bodies`), and put
    a redacting filter on every handler of the root logger."""
    logging.getLogger().setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(level if bodies else max(level, logging.INFO))
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    return redact
