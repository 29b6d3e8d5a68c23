"""Telegram's settings, nested in Settings as `telegram`: PARTNERBOT_TELEGRAM_TOKEN and the rest."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator

if TYPE_CHECKING:
    from bot.channels.base import RateLimits

_TOKEN = re.compile(r"[0-9]{3,}:[A-Za-z0-9_-]{20,}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


class TelegramSettings(BaseModel):
    """The Telegram channel runs when a token is set; README.md "Configuration" documents each."""

    token: SecretStr | None = Field(
        default=None, description="Bot token from BotFather; the Telegram channel runs when it is set."
    )
    base_url: str = Field(
        default="https://api.telegram.org/bot", description="Bot API URL (a self-hosted Bot API server's)."
    )
    base_file_url: str = Field(
        default="https://api.telegram.org/file/bot", description="Bot API file download URL."
    )
    max_per_s: float = Field(
        default=30, ge=0, description="Telegram messages per second overall (Telegram's limit; 0: none)."
    )
    max_per_chat_per_s: float = Field(
        default=1, ge=0, description="Telegram messages per second to one chat (0: no limit)."
    )
    max_per_group_per_min: float = Field(
        default=20, ge=0, description="Telegram messages per minute to one group chat (0: no limit)."
    )
    webhook_url: str | None = Field(
        default=None, description="Public https:// URL of /telegram/webhook; long polling when unset."
    )
    secret_token: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="Secret Telegram sends with every webhook call; required with a webhook URL.",
    )

    @property
    def enabled(self) -> bool:
        return self.token is not None

    @property
    def limits(self) -> RateLimits:
        """Telegram's published limits as set; 0 turns one off (a self-hosted Bot API server)."""
        from bot.channels.telegram.limits import telegram_limits  # renders with PTB: not at start

        return telegram_limits(
            overall_per_s=self.max_per_s,
            per_chat_per_s=self.max_per_chat_per_s,
            per_group_per_min=self.max_per_group_per_min,
        )

    @field_validator("token", "webhook_url", "secret_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`PARTNERBOT_TELEGRAM_TOKEN=` left empty in a .env means Telegram is off."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("is not a BotFather token (digits, a colon, then letters)")
        return value

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// URL (Telegram calls webhooks over HTTPS only)")
        return value

    @field_validator("secret_token")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Telegram allows A-Z, a-z, 0-9, _ and -; we also want it long enough not to be guessed."""
        if value is None:
            if info.data.get("webhook_url"):
                raise ValueError("is required when PARTNERBOT_TELEGRAM_WEBHOOK_URL is set")
            return value
        if not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value
