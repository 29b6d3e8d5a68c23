"""Configuration: the only module that reads the environment (prefix PARTNERBOT_, optional .env)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.channels.registry import CHANNELS
from bot.errors import ConfigurationError
from bot.i18n import LANGUAGES

#: A retention: "" keeps for ever, "30d" days, "year+6m" the end of the school year plus months.
RETENTION = r"^(|\d{1,5}d|year\+\d{1,3}m)$"
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "xxx", "todo", "your-key", "your-api-key", "..."}


def _channel_settings() -> type[BaseSettings]:
    """One nested field per registered channel, its own settings model, e.g. `telegram: TelegramSettings`."""
    fields: dict[str, object] = {}
    for entry in CHANNELS:
        model = entry.settings_model()
        fields[entry.name] = (model, Field(default_factory=model))
    settings_model: type[BaseSettings] = create_model(  # type: ignore[call-overload]
        "ChannelSettings", __base__=BaseSettings, **fields
    )
    return settings_model


class Settings(_channel_settings()):  # type: ignore[misc]  # channel fields come from the registry
    """Every setting is documented in README.md under "Configuration".

    A channel's settings nest under its name and keep flat environment names: PARTNERBOT_TELEGRAM_TOKEN
    is `settings.telegram.token` (the first "_" after the channel's name splits, and only that one).
    """

    model_config = SettingsConfigDict(
        env_prefix="PARTNERBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_nested_delimiter="_",
        env_nested_max_split=1,
    )

    database_url: str = Field(
        default="sqlite:///partnerbot.db",
        description="SQLAlchemy URL: a SQLite file by default, postgresql+psycopg://… for a district.",
    )
    default_language: str = Field(default="en", description="Language for people who have not chosen one.")
    timezone: str = Field(default="UTC", description="The school's IANA time zone, e.g. Europe/London.")
    invite_ttl_days: int = Field(default=14, ge=1, le=365, description="Days an invite code stays valid.")
    invite_max_failures_per_hour: int = Field(
        default=5, ge=1, le=100, description="Wrong codes an account may send in an hour."
    )
    invite_max_failures_per_hour_overall: int = Field(
        default=60, ge=1, le=10_000, description="Wrong codes all accounts together may send in an hour."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_bodies: bool = Field(
        default=False,
        description="Let the libraries log what they send and receive at DEBUG (messages, names): "
        "for local debugging only.",
    )
    highlights_prompt_weekday: int = Field(
        default=4,
        ge=0,
        le=6,
        description="Day teachers are asked for highlights, every fortnight (0 = Monday).",
    )
    highlights_prompt_time: time = Field(
        default=time(14, 0), description="Time of that prompt, in their zone."
    )
    review_interval_days: int = Field(
        default=84, ge=14, le=366, description="Days between asking each member if keeping in touch works."
    )
    plan_wait_days: int = Field(
        default=7,
        ge=1,
        le=60,
        description="Days after a partnership is set up before its communication plan goes out to "
        "everyone, even if some have not answered.",
    )
    nudge_cooldown_hours: float = Field(
        default=24,
        ge=0,
        le=24 * 14,
        description="Hours before a Nudge reminds the same person of the same message again.",
    )
    reminder_after_hours: float = Field(
        default=48, gt=0, le=24 * 14, description="Hours without a Got it before a gentle reminder."
    )
    dispatch_give_up_after_h: float = Field(
        default=24,
        gt=0,
        le=24 * 14,
        description="Hours a delivery that keeps failing for a passing reason is tried again before "
        "it is marked failed.",
    )
    cluster_check_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Seconds between two checks of the elected roles (the leader, each channel's "
        "sender) on PostgreSQL: a dead process's roles are taken over within about this.",
    )
    dispatch_lease_s: float = Field(
        default=120,
        ge=1,
        le=3600,
        description="Seconds a dispatcher holds a claim; one not confirmed by then is taken again.",
    )
    inbound_lease_s: float = Field(
        default=300,
        ge=1,
        le=3600,
        description="Seconds a process holds an inbound event; one not handled by then is replayed.",
    )
    translator: Literal["none", "libretranslate", "deepl"] = Field(
        default="none", description="Machine translation backend for what people write."
    )
    libretranslate_url: str | None = Field(
        default=None, validate_default=True, description="Base URL of a LibreTranslate server."
    )
    libretranslate_api_key: SecretStr | None = Field(
        default=None, description="LibreTranslate API key, if any."
    )
    deepl_auth_key: SecretStr | None = Field(
        default=None, validate_default=True, description="DeepL API authentication key."
    )
    deepl_server_url: str | None = Field(
        default=None, description="DeepL API URL; by default the one the key belongs to (Free or Pro)."
    )
    translator_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="Seconds to wait for the translation backend."
    )
    web_host: str = Field(default="127.0.0.1", description="Address the web app (webhooks) listens on.")
    web_port: int = Field(default=8080, ge=1, le=65535, description="Port the web app listens on.")
    public_url: str | None = Field(
        default=None,
        description="The web app's address as people's phones reach it (https://…), for links in messages.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs links and sign-in cookies; every process of one school needs the same key. "
        "Unset: a key is made once and kept in the file PARTNERBOT_SECRET_KEY_FILE.",
    )
    console_switch: bool | None = Field(
        default=None,
        description="Let `/as NAME` switch person in a console chat (a try-out feature); unset: on "
        "while no platform channel (Telegram, Slack, e-mail) is set up.",
    )
    secret_key_file: str = Field(
        default="partnerbot.key",
        description="Where the made key is kept when PARTNERBOT_SECRET_KEY is unset.",
    )

    legal_hold: str = Field(
        default="",
        description="Comma-separated legal holds an erasure keeps: messages (what the person wrote), "
        "safeguarding (consents and overrides). Empty: erase everything but the audit log.",
    )
    school_year_end: str = Field(
        default="08-31",
        pattern=r"^\d\d-\d\d$",
        description="Last day of the school year (MM-DD), for year+N retention.",
    )
    retention_messages: str = Field(
        default="",
        pattern=RETENTION,
        description="Keep messages (with translations, photos and deliveries) "
        "for N days (365d) or until the end of their school year plus N months (year+6m); empty: keep.",
    )
    retention_photos: str = Field(default="", pattern=RETENTION, description="Keep photos, as above.")
    retention_inbound: str = Field(
        default="",
        pattern=RETENTION,
        description="Keep inbound events (what people sent, as received) and dead letters, as above.",
    )
    retention_deliveries: str = Field(
        default="", pattern=RETENTION, description="Keep finished delivery rows (sent, failed), as above."
    )

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not an IANA time zone such as Europe/London") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator(
        "libretranslate_url", "libretranslate_api_key", "deepl_auth_key", "deepl_server_url", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`PARTNERBOT_DEEPL_AUTH_KEY=` left empty in a .env means not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("libretranslate_url", "deepl_server_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("libretranslate_url", "deepl_auth_key")
    @classmethod
    def _needed_by_backend(
        cls, value: str | SecretStr | None, info: ValidationInfo
    ) -> str | SecretStr | None:
        """The chosen backend's URL or key must be set: a bot that cannot translate should not start."""
        backend = {"libretranslate_url": "libretranslate", "deepl_auth_key": "deepl"}[info.field_name or ""]
        if value is None and info.data.get("translator") == backend:
            raise ValueError(f"is required when PARTNERBOT_TRANSLATOR is {backend}")
        return value

    @field_validator("libretranslate_api_key", "deepl_auth_key", "secret_key")
    @classmethod
    def _real_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDER_SECRETS:
            raise ValueError("is a placeholder: set the real key")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "must be at least 32 characters: python3 -c 'import secrets; print(secrets.token_urlsafe())'"
            )
        return value

    @field_validator("legal_hold")
    @classmethod
    def _known_holds(cls, value: str) -> str:
        from storage.rights import HOLDS

        unknown = {h.strip() for h in value.split(",") if h.strip()} - set(HOLDS)
        if unknown:
            raise ValueError(f"unknown legal hold {', '.join(sorted(unknown))}: use {', '.join(HOLDS)}")
        return value

    @property
    def invite_ttl(self) -> timedelta:
        return timedelta(days=self.invite_ttl_days)

    @property
    def legal_holds(self) -> frozenset[str]:
        return frozenset(h.strip() for h in self.legal_hold.split(",") if h.strip())


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one message that names each bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(  # a validator's own message, without pydantic's "Value error, "
            f"PARTNERBOT_{'_'.join(map(str, e['loc'])).upper()} {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ConfigurationError(f"Invalid configuration: {problems}") from exc
