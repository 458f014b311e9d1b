"""One settings object, built at the edge (CLI) from the environment and passed down."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///nhiemvu.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    actor: str = "operator"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, database_url: str | None = None,
                 actor: str | None = None) -> Settings:
        """NHIEMVU_DATABASE_URL and NHIEMVU_ACTOR; explicit arguments win."""
        env = os.environ if environ is None else environ
        return cls(
            database_url=database_url or env.get("NHIEMVU_DATABASE_URL") or DEFAULT_DATABASE_URL,
            actor=actor or env.get("NHIEMVU_ACTOR") or _login_name(),
        )


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"
