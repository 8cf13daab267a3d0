"""`python -m bot`: run the Discord bot with settings from the environment."""

from __future__ import annotations

import logging
import sys

from db.errors import AvatarError
from db.settings import Settings


def main() -> int:
    from bot.app import run_bot

    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run_bot(settings)
    except AvatarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
