"""Keep interaction tokens out of logs.

discord.py logs request URLs at DEBUG level, and an interaction's callback and webhook URLs
contain its token (which, with the application id, is enough to post as the bot for 15
minutes). This filter rewrites them before any handler writes the record.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_URL = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]{20,}")


def redact(text: str) -> str:
    return _TOKEN_IN_URL.sub(r"\1<token>", text)


class RedactInteractionTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of `logger` (default: the root logger), once."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactInteractionTokens) for f in handler.filters):
            handler.addFilter(RedactInteractionTokens())
