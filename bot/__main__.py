"""`python -m bot`: run the Discord bot; `python -m bot commands`: print the commands it syncs.

Settings come from the AVATARBOT_* environment variables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from core.errors import AvatarError
from core.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The avatar studio's Discord bot.")
    parser.add_argument(
        "action",
        nargs="?",
        default="run",
        choices=("run", "commands"),
        help="run: log in and serve (default); commands: print the JSON array of commands the bot "
        "would sync, without a token or network",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    if args.action == "commands":
        from bot.command_payloads import bot_command_payloads

        payloads = asyncio.run(bot_command_payloads(settings))
        sys.stdout.buffer.write(json.dumps(payloads, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
        return 0

    from bot.app import run_bot
    from core.json_logs import log_formatter

    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(log_formatter(settings.log_format))
    logging.basicConfig(level=settings.log_level, handlers=[console])
    try:
        run_bot(settings)
    except AvatarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
