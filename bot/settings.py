"""Configuration: the only module that reads the environment (prefix PARTNERBOT_, optional .env)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigurationError
from bot.i18n import LANGUAGES


class Settings(BaseSettings):
    """Every setting is documented in README.md under "Configuration"."""

    model_config = SettingsConfigDict(
        env_prefix="PARTNERBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
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
    log_level: str = Field(default="INFO", description="Python logging level.")

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

    @property
    def invite_ttl(self) -> timedelta:
        return timedelta(days=self.invite_ttl_days)


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one message that names each bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"PARTNERBOT_{'_'.join(str(p) for p in err['loc']).upper()} {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"Invalid configuration: {problems}") from exc
