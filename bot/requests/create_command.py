"""Builds `/avatar create` and `/avatar photo` from the vocabulary.

The options are generated (one per vocabulary attribute, plus seed, count, private and, for a
generator that reads text, details), so the callback takes them as keyword arguments and gets an
explicit signature that discord.py reads to build the options.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.requests.create_options import attribute_options, suggest_values
from core.spec import MAX_COUNT, MAX_DETAILS, MAX_SEED
from core.vocabulary import VOCABULARY

CreateHandler = Callable[[discord.Interaction, dict[str, Any]], Awaitable[None]]
PhotoHandler = Callable[[discord.Interaction, discord.Attachment, dict[str, Any]], Awaitable[None]]
AnyCommand = app_commands.Command[Any, ..., None]

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


@dataclass(frozen=True)
class CommandOptions:
    """The options of a generated command: its callback's parameters and their decorations."""

    parameters: list[inspect.Parameter]
    descriptions: dict[str, locale_str] = field(default_factory=dict)
    choices: dict[str, list[app_commands.Choice[str]]] = field(default_factory=dict)
    completers: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, annotation: Any, description: str) -> None:
        self.parameters.append(_optional(name, annotation))
        self.descriptions[name] = locale_str(description)

    def command(self, name: str, description: str, callback: Callable[..., Awaitable[None]]) -> AnyCommand:
        callback.__signature__ = inspect.Signature(self.parameters)  # type: ignore[attr-defined]
        decorated = app_commands.describe(**self.descriptions)(callback)
        decorated = app_commands.choices(**self.choices)(decorated)
        decorated = app_commands.autocomplete(**self.completers)(decorated)
        return app_commands.Command(name=locale_str(name), description=locale_str(description), callback=decorated)


def attribute_parameters(first: Sequence[inspect.Parameter] = ()) -> CommandOptions:
    """`first` (after the interaction), then one optional option per vocabulary attribute, with
    /avatar create's choices, descriptions and autocomplete (/avatar photo offers the same)."""
    options = CommandOptions(parameters=[_interaction_parameter(), *first])
    for option in attribute_options():
        options.add(option.attribute, Optional[str], option.description)
        if option.autocomplete:
            options.completers[option.attribute] = _autocompleter(option.attribute)
        else:
            options.choices[option.attribute] = option.choices()
    return options


def build_create_command(handler: CreateHandler, *, with_details: bool) -> AnyCommand:
    """The `create` subcommand; `handler(interaction, options)` gets every option (None if not given)."""

    async def create(interaction: discord.Interaction, **options: Any) -> None:
        await handler(interaction, options)

    options = attribute_parameters()
    for name, annotation, description in _EXTRA_OPTIONS + ((_DETAILS_OPTION,) if with_details else ()):
        options.add(name, annotation, description)
    return options.command("create", "Make a new avatar", create)


def build_photo_command(handler: PhotoHandler) -> AnyCommand:
    """`/avatar photo image [style] [hair] ...`: the photo, then /avatar create's attribute options;
    `handler(interaction, image, options)` gets the attributes chosen (None if not given)."""

    async def photo(interaction: discord.Interaction, image: discord.Attachment, **options: Any) -> None:
        await handler(interaction, image, options)

    image = inspect.Parameter("image", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Attachment)
    options = attribute_parameters([image])
    options.descriptions["image"] = locale_str("Your photo (PNG, JPEG or WebP)")
    return options.command("photo", "Turn a photo into a chibi avatar", photo)


EditHandler = Callable[[discord.Interaction, int, dict[str, Any]], Awaitable[None]]


def build_edit_command(handler: EditHandler) -> AnyCommand:
    """`/avatar edit avatar [style] [hair] ...`: one of your avatars, then /avatar create's attribute
    options; `handler(interaction, avatar, options)` gets the attributes chosen (None if not given)."""

    async def edit(interaction: discord.Interaction, avatar: int, **options: Any) -> None:
        await handler(interaction, avatar, options)

    avatar = inspect.Parameter(
        "avatar", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=app_commands.Range[int, 1]
    )
    options = attribute_parameters([avatar])
    options.descriptions["avatar"] = locale_str("Avatar id (one of yours)")
    return options.command("edit", "Change some attributes of your avatar, keeping the character", edit)


def _interaction_parameter() -> inspect.Parameter:
    return inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)


def _optional(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=annotation)
