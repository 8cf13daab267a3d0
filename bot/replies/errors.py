"""What the user reads when something fails, in their language.

Domain errors (core.errors.AvatarError) are shown as they are; permission and context checks get
their own sentence; anything else is logged with an id and the user sees only the id.
bot.replies.interaction sends it; bot.app's command tree routes every command error there.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Optional

import discord
from discord import app_commands

from bot import i18n
from core.errors import AvatarError, InvalidSpec

log = logging.getLogger(__name__)


class Refusal(AvatarError):
    """A refusal the bot words itself, in the user's language (`key` is an i18n reply key)."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(i18n.text(i18n.ENGLISH, key, **params))

    def text(self, locale: discord.Locale | str | None) -> str:
        return i18n.text(locale, self.key, **self.params)


class BadOptionValue(app_commands.AppCommandError):
    """A slash command option whose value does not fit what the command declares (a stale client,
    or a forged payload); `problem` is kind, range, length or choice."""

    def __init__(self, option: str, problem: str = "kind", *, allowed: str = "") -> None:
        self.option = option
        self.problem = problem
        self.allowed = allowed  # for a range: "1 to 4", "at least 1"
        super().__init__(f"option {option!r}: bad {problem}")

    def text(self, locale: discord.Locale | str | None) -> str:
        return i18n.text(locale, f"error.option_{self.problem}", option=self.option, allowed=self.allowed)


# What discord.py raises for a command the bot does not know, or whose options do not match the
# bot's (Discord's clients still show the old one between a deploy and the command sync).
_OUTDATED_COMMAND = (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch)


def _unwrap(error: BaseException) -> BaseException:
    # discord.py wraps exceptions raised by callbacks and transformers.
    while isinstance(error, (app_commands.CommandInvokeError, app_commands.TransformerError)):
        inner = error.__cause__ if isinstance(error, app_commands.TransformerError) else error.original
        if inner is None:
            break
        error = inner
    return error


class UnusableId(app_commands.AppCommandError):
    """An interaction from a user, server or channel whose id Discord never gives out (2^63 and up: a
    forged payload). Nothing is looked up or stored under it: the database keeps ids in BIGINT columns."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"the {what} id is outside what Discord gives out")

    def text(self, locale: discord.Locale | str | None) -> str:
        return i18n.text(locale, "error.unusable_id")


def _permission_names(locale: discord.Locale | str | None, missing: list[str]) -> str:
    names = []
    for permission in missing:
        key = f"permission.{permission}"
        names.append(i18n.text(locale, key) if key in i18n.reply_keys() else permission.replace("_", " ").title())
    return ", ".join(names)


# Discord refuses a message longer than this; a domain error may quote what the user typed.
MAX_MESSAGE_CHARS = 2000


def describe_error(error: BaseException, locale: discord.Locale | str | None) -> str:
    """The sentence the user sees for `error`, within Discord's message limit; unexpected errors are
    logged here with an id."""
    text = _describe(error, locale)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def _describe(error: BaseException, locale: discord.Locale | str | None) -> str:
    error = _unwrap(error)
    if isinstance(error, Refusal):
        return error.text(locale)
    if isinstance(error, _OUTDATED_COMMAND):
        log.warning("an outdated command was used (%s); asked the user to try again", error)
        return i18n.text(locale, "error.command_updated")
    if isinstance(error, (BadOptionValue, UnusableId)):
        log.warning("refused a request: %s", error)
        return error.text(locale)
    if isinstance(error, InvalidSpec):
        return i18n.text(locale, "error.invalid_spec", detail=str(error))
    if isinstance(error, AvatarError):
        return i18n.text(locale, "error.avatar", detail=str(error))
    if isinstance(error, (app_commands.MissingPermissions, app_commands.BotMissingPermissions)):
        return i18n.text(
            locale, "error.missing_permissions", permissions=_permission_names(locale, error.missing_permissions)
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return i18n.text(locale, "error.guild_only")
    error_id = uuid.uuid4().hex[:8]
    log.error("unexpected error %s", error_id, exc_info=(type(error), error, error.__traceback__))
    return i18n.text(locale, "error.internal", error_id=error_id)


def refusal_reason(error: BaseException) -> Optional[str]:
    """A bounded label for why a request was refused (a metrics label); None for an unexpected error."""
    error = _unwrap(error)
    if isinstance(error, Refusal):
        return error.key
    if isinstance(error, _OUTDATED_COMMAND):
        return "outdated_command"
    if isinstance(error, BadOptionValue):
        return f"option_{error.problem}"
    if isinstance(error, UnusableId):
        return "unusable_id"
    if isinstance(error, AvatarError):
        return type(error).__name__
    if isinstance(error, (app_commands.MissingPermissions, app_commands.BotMissingPermissions)):
        return "missing_permissions"
    if isinstance(error, app_commands.NoPrivateMessage):
        return "guild_only"
    return None


def not_configured() -> Refusal:
    """For handlers that need a database, queue or image store this bot was built without."""
    return Refusal("error.not_configured")
