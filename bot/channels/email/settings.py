"""E-mail's settings, nested in Settings as `email`: PARTNERBOT_EMAIL_HOST and the rest."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

if TYPE_CHECKING:
    from bot.channels.base import RateLimits
    from bot.channels.email.receive import ImapAccount

#: An address the way a relay takes it in MAIL FROM: no spaces, no angle brackets, one "@".
_ADDRESS = re.compile(r"[^\s<>@\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_DOMAIN = re.compile(r"(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}")


class Security(StrEnum):
    """How the connection to the relay is protected."""

    STARTTLS = "starttls"  # port 587: plain connect, then STARTTLS before logging in
    TLS = "tls"  # port 465: TLS from the first byte ("implicit TLS", SMTPS)
    NONE = "none"  # a relay on the same host or network only


class EmailSettings(BaseModel):
    """The e-mail channel runs when a relay host is set; README.md "E-mail" documents each."""

    host: str | None = Field(default=None, description="The school's SMTP relay; e-mail runs when it is set.")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Relay port; 587 with STARTTLS, 465 with TLS, 25 with none."
    )
    security: Security = Field(default=Security.STARTTLS, description="starttls, tls or none.")
    user: str | None = Field(default=None, description="Login at the relay, if it asks for one.")
    password: SecretStr | None = Field(default=None, description="Password for that login (never logged).")
    from_address: str | None = Field(
        default=None, description="The sender address families see, e.g. office@school."
    )
    from_name: str = Field(default="", description="The sender's name families see: the school's name.")
    bounce_address: str | None = Field(
        default=None,
        description="Envelope sender (where bounces go), e.g. the replies mailbox; else the From address.",
    )
    reply_domain: str | None = Field(
        default=None, description="Domain of reply addresses and Message-IDs; the From address's by default."
    )
    max_per_min: float = Field(
        default=100, ge=0, description="Mails a minute the relay accepts (0: no limit)."
    )
    max_per_hour: float = Field(
        default=1000, ge=0, description="Mails an hour the relay accepts (0: no limit)."
    )
    timeout_s: float = Field(default=30, gt=0, le=600, description="Seconds to wait for the relay.")
    inbound_host: str | None = Field(
        default=None, description="Address to receive replies on by SMTP (the reply domain's MX points here)."
    )
    inbound_port: int = Field(default=2525, ge=1, le=65535, description="Port of that SMTP listener.")
    imap_host: str | None = Field(default=None, description="IMAP server of the mailbox replies arrive in.")
    imap_port: int | None = Field(
        default=None, ge=1, le=65535, description="Its port; 993 with TLS, else 143."
    )
    imap_tls: bool = Field(
        default=True, description="IMAPS (TLS from the first byte); false: plain, local only."
    )
    imap_user: str | None = Field(default=None, description="Login of that mailbox.")
    imap_password: SecretStr | None = Field(default=None, description="Its password (never logged).")
    imap_mailbox: str = Field(default="INBOX", description="The folder replies arrive in.")
    imap_poll_s: float = Field(
        default=60, gt=0, le=3600, description="Seconds between looks when the server has no IDLE."
    )

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @property
    def limits(self) -> RateLimits:
        """The relay's quotas as set, on every mail together."""
        from bot.channels.email.adapter import mail_limits

        return mail_limits(per_min=self.max_per_min, per_hour=self.max_per_hour)

    @property
    def imap_account(self) -> ImapAccount | None:
        """The mailbox to read replies from, when one is set."""
        if self.imap_host is None or self.imap_user is None or self.imap_password is None:
            return None
        from bot.channels.email.receive import ImapAccount

        return ImapAccount(
            host=self.imap_host,
            port=self.imap_port or (993 if self.imap_tls else 143),
            user=self.imap_user,
            password=self.imap_password.get_secret_value(),
            mailbox=self.imap_mailbox,
            tls=self.imap_tls,
            poll_s=self.imap_poll_s,
        )

    @property
    def default_port(self) -> int:
        return self.port or {Security.STARTTLS: 587, Security.TLS: 465, Security.NONE: 25}[self.security]

    @property
    def domain(self) -> str:
        """Where reply addresses and Message-IDs point: the reply domain, else the From address's."""
        return self.reply_domain or (self.from_address or "localhost").rpartition("@")[2]

    @field_validator(
        "host",
        "user",
        "password",
        "from_address",
        "bounce_address",
        "reply_domain",
        "inbound_host",
        "imap_host",
        "imap_user",
        "imap_password",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`PARTNERBOT_EMAIL_HOST=` left empty in a .env means e-mail is off."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("from_address", "bounce_address")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None and not _ADDRESS.fullmatch(value):
            raise ValueError("is not an e-mail address such as office@school.example")
        return value

    @field_validator("reply_domain")
    @classmethod
    def _a_domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.fullmatch(value):
            raise ValueError("is not a domain such as school.example")
        return value

    @field_validator("from_name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        """A name goes into the From header: line breaks there would start new headers."""
        return " ".join(value.split())

    @model_validator(mode="after")
    def _sender_with_host(self) -> EmailSettings:
        if self.host is not None and self.from_address is None:
            raise ValueError("PARTNERBOT_EMAIL_FROM_ADDRESS is required when PARTNERBOT_EMAIL_HOST is set")
        if (self.user is None) != (self.password is None):
            raise ValueError("PARTNERBOT_EMAIL_USER and PARTNERBOT_EMAIL_PASSWORD go together")
        if self.imap_host is not None and (self.imap_user is None or self.imap_password is None):
            raise ValueError("PARTNERBOT_EMAIL_IMAP_HOST needs PARTNERBOT_EMAIL_IMAP_USER and _IMAP_PASSWORD")
        return self
