"""Where the Alembic scripts live, and which revision is head."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory


def project_root() -> Path:
    """The folder holding ``alembic.ini`` and ``migrations/``: the source checkout, or the
    working directory when the package is installed elsewhere (the Docker image)."""
    for candidate in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (candidate / "alembic.ini").is_file() and (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("alembic.ini and migrations/ not found; run from the project folder")


def alembic_config(url: str | None = None) -> Config:
    root = project_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The head revision(s), comma-separated when branches are not merged yet."""
    return ",".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
