"""Slack's settings, nested in Settings as `slack`: PARTNERBOT_SLACK_BOT_TOKEN and the rest."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator

if TYPE_CHECKING:
    from bot.channels.base import RateLimits

_BOT_TOKEN = re.compile(r"xoxb-[A-Za-z0-9-]{10,}")
_APP_TOKEN = re.compile(r"xapp-[A-Za-z0-9-]{10,}")
_SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")


class SlackSettings(BaseModel):
    """The Slack channel runs when the bot token is set; README.md "Slack" says where each comes from."""

    bot_token: SecretStr | None = Field(
        default=None, description="Bot User OAuth Token (xoxb-…); the Slack channel runs when it is set."
    )
    mode: Literal["socket", "http"] = Field(
        default="socket",
        description="socket: Socket Mode, no public URL needed; http: Slack calls /slack/events.",
    )
    app_token: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="App-Level Token (xapp-…, connections:write scope); required in Socket Mode.",
    )
    signing_secret: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="Signing Secret from Basic Information; required in HTTP mode.",
    )
    base_url: str = Field(default="https://slack.com/api/", description="Web API URL (a test server's).")
    max_per_channel_per_s: float = Field(
        default=1, ge=0, description="Slack messages per second to one DM or channel (0: no limit)."
    )
    max_per_min: float = Field(
        default=300, ge=0, description="Slack messages per minute in the workspace (0: no limit)."
    )

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None

    @property
    def limits(self) -> RateLimits:
        from bot.channels.slack.limits import slack_limits  # keeps start-up light

        return slack_limits(per_channel_per_s=self.max_per_channel_per_s, overall_per_min=self.max_per_min)

    @field_validator("bot_token", "app_token", "signing_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`PARTNERBOT_SLACK_BOT_TOKEN=` left empty in a .env means Slack is off."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BOT_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("is not a Slack bot token (xoxb-…, from OAuth & Permissions)")
        return value

    @field_validator("app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            if info.data.get("bot_token") is not None and info.data.get("mode") == "socket":
                raise ValueError("is required in Socket Mode (PARTNERBOT_SLACK_MODE=socket)")
            return value
        if not _APP_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("is not a Slack app-level token (xapp-…, from Basic Information)")
        return value

    @field_validator("signing_secret")
    @classmethod
    def _signing_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            if info.data.get("bot_token") is not None and info.data.get("mode") == "http":
                raise ValueError("is required in HTTP mode (PARTNERBOT_SLACK_MODE=http)")
            return value
        if not _SIGNING_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("is not a Slack signing secret (32 hexadecimal characters)")
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value
