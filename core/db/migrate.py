"""Run the Alembic migrations from code, with no alembic.ini.

    from core.db.migrate import upgrade
    upgrade("sqlite:///var/avatarbot.sqlite3")

The scripts live inside the package (core/db/migrations), so this works from an
installed wheel as well as from a checkout. For a new revision, change
core/db/models.py and run `python -m core.db.migrate revision -m "what changed"`: it
autogenerates against a scratch SQLite database migrated to head.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from core.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_config(database_url: Optional[str] = None, *, connection: Optional[Connection] = None) -> Config:
    """An Alembic config pointing at the packaged scripts and at a URL or an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    # Passed as attributes, not options: options go through configparser, which mangles '%'.
    config.attributes["database_url"] = database_url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` up to `revision` (creates everything on an empty one)."""
    command.upgrade(make_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(make_config(database_url), revision)


def current_revision(database_url: str) -> Optional[str]:
    """The revision the database is at, or None if it was never migrated."""
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    head = ScriptDirectory.from_config(make_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts found in {MIGRATIONS_DIR}")
    return head


def is_up_to_date(database_url: str) -> bool:
    return current_revision(database_url) == head_revision()


def _new_revision(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.sqlite3'}"
        upgrade(url)
        command.revision(make_config(url), message=message, autogenerate=True)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.db.migrate", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate a database to a revision (default head)")
    up.add_argument("database_url")
    up.add_argument("revision", nargs="?", default="head")
    rev = sub.add_parser("revision", help="autogenerate a new revision from core/db/models.py")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        upgrade(args.database_url, args.revision)
    else:
        _new_revision(args.message)


if __name__ == "__main__":
    main()
