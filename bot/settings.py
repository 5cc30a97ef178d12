"""The one settings object: defaults here, a TOML file over them, environment variables on top.

The file is `mikrobot.toml` in the working directory, or the path in `MIKROBOT_CONFIG`.
Environment variables are `MIKROBOT_<NAME>`, nested with `__`
(`MIKROBOT_LIMITS__MAX_PAGES=20`). Secrets come only from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.classify.model import DEFAULT_MODEL_DIR
from bot.requirements import DEFAULT_REQUIREMENTS_FILE
from bot.rules import DEFAULT_RULES_FILE
from parsers.attachments import ExtractionLimits
from parsers.mail import MailLimits


class Limits(BaseModel):
    """Bounds on one mail and each attachment: hostile input must not stall the bot."""

    max_attachment_bytes: int = 30_000_000
    max_pages: int = 60
    max_chars: int = 200_000
    max_cells: int = 200_000
    max_seconds_per_attachment: float = 10.0
    layout_pages: int = 2
    max_mime_depth: int = 12
    max_mime_parts: int = 1_000
    max_headers: int = 2_000
    max_attachments: int = 200

    def extraction(self) -> ExtractionLimits:
        return ExtractionLimits(
            max_bytes=self.max_attachment_bytes,
            max_pages=self.max_pages,
            max_chars=self.max_chars,
            max_cells=self.max_cells,
            max_seconds=self.max_seconds_per_attachment,
            layout_pages=self.layout_pages,
        )

    def mail(self) -> MailLimits:
        return MailLimits(
            max_depth=self.max_mime_depth,
            max_parts=self.max_mime_parts,
            max_headers=self.max_headers,
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MIKROBOT_", env_nested_delimiter="__", extra="forbid"
    )

    rules_file: Path = DEFAULT_RULES_FILE
    requirements_file: Path = DEFAULT_REQUIREMENTS_FILE
    model_dir: Path = DEFAULT_MODEL_DIR
    from_address: str = Field(
        default="mikrodata@ssb.no", validation_alias=AliasChoices("MIKROBOT_FROM", "from_address")
    )
    """The inbox's own address: replies come from it, and mail from it is never answered."""
    limits: Limits = Limits()

    source: str = "var/inbox"
    """`MIKROBOT_SOURCE`: a Maildir path, or `imap://user:password@host:port/Folder`, `imaps://…`."""
    smtp: str = "var/outbox"
    """`MIKROBOT_SMTP`: `smtp://user:password@host:port`, `smtps://…`, or an .eml folder."""
    database: str = "sqlite:///var/mikrobot.db"
    """`MIKROBOT_DATABASE`: any SQLAlchemy URL (SQLite or PostgreSQL)."""
    raw_mail_dir: Path = Path("var/mail")
    done_action: Literal["move", "flag"] = "move"
    folder_template: str = "Triaged/{category}"
    poll_interval: float = 30.0
    idle: bool = True
    wait_timeout: float = 300.0
    """Longest single IDLE/poll wait: each wake-up proves the connection is alive."""
    max_replies_per_sender_per_day: int = 5
    oauth2_token: SecretStr | None = None
    """XOAUTH2 access token for IMAP, from the environment only (`MIKROBOT_OAUTH2_TOKEN`)."""

    @property
    def message_id_domain(self) -> str:
        return self.from_address.rpartition("@")[2] or "mikrobot.invalid"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("MIKROBOT_CONFIG", "mikrobot.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )
