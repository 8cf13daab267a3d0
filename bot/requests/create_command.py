"""Builds `/avatar create` from the vocabulary.

The options are generated (one per vocabulary attribute, plus seed, count, private and, for a
generator that reads text, details), so the callback takes them as keyword arguments and gets an
explicit signature that discord.py reads to build the options.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.requests.create_options import attribute_options, suggest_values
from core.spec import MAX_COUNT, MAX_DETAILS, MAX_SEED
from core.vocabulary import VOCABULARY

CreateHandler = Callable[[discord.Interaction, dict[str, Any]], Awaitable[None]]

_EXTRA_OPTIONS: tuple[tuple[str, Any, str], ...] = (
    ("seed", Optional[app_commands.Range[int, 0, MAX_SEED]], "Seed, to make the same avatar again (0 to 4294967295)"),
    ("count", Optional[app_commands.Range[int, 1, MAX_COUNT]], "How many avatars to make (1 to 4)"),
    ("private", Optional[bool], "Only you see the result"),
)
_DETAILS_OPTION = ("details", Optional[app_commands.Range[str, 1, MAX_DETAILS]], "Extra details in words")


def _autocompleter(attribute: str) -> Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]:
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        chosen = {a: getattr(interaction.namespace, a) for a in VOCABULARY.attributes}
        return suggest_values(attribute, chosen, current, interaction.locale)

    return complete


def build_create_command(handler: CreateHandler, *, with_details: bool) -> app_commands.Command[Any, ..., None]:
    """The `create` subcommand; `handler(interaction, options)` gets every option (None if not given)."""

    async def create(interaction: discord.Interaction, **options: Any) -> None:
        await handler(interaction, options)

    parameters = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)
    ]
    descriptions: dict[str, locale_str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    completers: dict[str, Any] = {}
    for option in attribute_options():
        parameters.append(_optional(option.attribute, Optional[str]))
        descriptions[option.attribute] = locale_str(option.description)
        if option.autocomplete:
            completers[option.attribute] = _autocompleter(option.attribute)
        else:
            choices[option.attribute] = option.choices()
    for name, annotation, description in _EXTRA_OPTIONS + ((_DETAILS_OPTION,) if with_details else ()):
        parameters.append(_optional(name, annotation))
        descriptions[name] = locale_str(description)

    create.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback = app_commands.describe(**descriptions)(create)
    callback = app_commands.choices(**choices)(callback)
    callback = app_commands.autocomplete(**completers)(callback)
    return app_commands.Command(
        name=locale_str("create"), description=locale_str("Make a new avatar"), callback=callback
    )


def _optional(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=annotation)
