"""Checks a slash command's raw option values against what the command declares, before it runs.

discord.py passes option values through as the payload carries them: a stale client (between a
deploy and the command sync) or a forged payload can send a string where a number is declared, a
number outside the declared range, a value that is not one of the choices, or a channel id with no
channel behind it. Each of these becomes a BadOptionValue naming the option, which the one error
edge (bot.replies) answers with a readable sentence instead of letting it raise deep in a handler.
Options the command does not declare are left alone, as discord.py leaves them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import discord
from discord import AppCommandOptionType as OptionType
from discord import app_commands

from bot.replies.errors import BadOptionValue, UnusableId

# Option types whose value is a snowflake resolved from the payload's `resolved` data.
_RESOLVED_TYPES = {
    OptionType.user: "users",
    OptionType.channel: "channels",
    OptionType.role: "roles",
    OptionType.mentionable: "users",
    OptionType.attachment: "attachments",
}
_GROUPING = (OptionType.subcommand.value, OptionType.subcommand_group.value)
# Discord's ids (snowflakes) stay below 2^63 (the top bits are a timestamp, for decades yet) and the
# database keeps them in BIGINT columns; a larger one can only come from a forged payload.
MAX_SNOWFLAKE = 2**63 - 1


def is_snowflake(value: object) -> bool:
    """Whether `value` (an int or its digits) could be a Discord id."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return False
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 20):
        return False
    return 0 < int(value) <= MAX_SNOWFLAKE


def check_ids(interaction: discord.Interaction) -> None:
    """Raise UnusableId when the interaction's user, server or channel id is none Discord gives out
    (run before any command or component handler touches the database)."""
    for what, value in (
        ("user", interaction.user.id),
        ("server", interaction.guild_id),
        ("channel", interaction.channel_id),
    ):
        if value is not None and not is_snowflake(value):
            raise UnusableId(what)


def leaf_options(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The options of the invoked subcommand (below its group and subcommand levels)."""
    options = list(data.get("options") or [])
    while options and isinstance(options[0], dict) and options[0].get("type") in _GROUPING:
        options = list(options[0].get("options") or [])
    return [o for o in options if isinstance(o, dict)]


def check_options(command: app_commands.Command[Any, ..., Any], data: Mapping[str, Any], *, partial: bool) -> None:
    """Raise BadOptionValue for the first declared option whose raw value does not fit.

    `partial` is for autocomplete, where the focused option holds what is being typed.
    """
    parameters = {p.display_name: p for p in command.parameters}
    resolved = data.get("resolved") or {}
    for option in leaf_options(data):
        parameter = parameters.get(str(option.get("name")))
        if parameter is None:
            continue  # not declared: discord.py ignores it too
        if partial and option.get("focused"):
            # What is being typed is unchecked, but it must be typed into an option of the declared
            # type: discord.py reads another type's value into nothing and the completer then raises.
            typed = (str,) if parameter.type is OptionType.string else (str, int, float)
            if option.get("type") != parameter.type.value or not isinstance(option.get("value"), typed):
                raise BadOptionValue(parameter.display_name)
            continue
        for problem in _problems(parameter, option, resolved):
            raise BadOptionValue(parameter.display_name, problem, allowed=_bounds(parameter))


def _bounds(parameter: app_commands.Parameter) -> str:
    low, high = parameter.min_value, parameter.max_value
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"≥ {low}"
    return f"≤ {high}" if high is not None else ""


def _problems(
    parameter: app_commands.Parameter, option: Mapping[str, Any], resolved: Mapping[str, Any]
) -> Iterator[str]:
    value = option.get("value")
    kind = parameter.type
    if option.get("type") != kind.value:
        yield "kind"
        return
    if kind is OptionType.string:
        if not isinstance(value, str):
            yield "kind"
        elif (parameter.min_value is not None and len(value) < parameter.min_value) or (
            parameter.max_value is not None and len(value) > parameter.max_value
        ):
            yield "length"
    elif kind in (OptionType.integer, OptionType.number):
        whole = kind is OptionType.integer
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            yield "kind"
        elif not math.isfinite(value) or (
            (parameter.min_value is not None and value < parameter.min_value)
            or (parameter.max_value is not None and value > parameter.max_value)
        ):
            yield "range"
    elif kind is OptionType.boolean:
        if not isinstance(value, bool):
            yield "kind"
    elif kind in _RESOLVED_TYPES:
        section = resolved.get(_RESOLVED_TYPES[kind]) or {}
        # Discord sends these ids as strings; discord.py looks the value up as it came, so a number
        # finds nothing and the handler would get a bare discord.Object instead of the user or file.
        if not isinstance(value, str) or value not in section:
            yield "kind"
        elif not is_snowflake(value):
            yield "id"
        elif kind is OptionType.channel and parameter.channel_types:
            channel = section[str(value)]
            allowed = {t.value for t in parameter.channel_types}
            if not isinstance(channel, dict) or channel.get("type") not in allowed:
                yield "kind"
    if parameter.choices and value not in {c.value for c in parameter.choices}:
        yield "choice"


def check_interaction(interaction: discord.Interaction) -> None:
    """check_ids, then check_options for a slash command or autocomplete interaction."""
    check_ids(interaction)
    if interaction.type not in (discord.InteractionType.application_command, discord.InteractionType.autocomplete):
        return
    data = interaction.data or {}
    if data.get("type", 1) != 1:
        return  # context menus carry no options
    command = interaction.command  # None when unknown: discord.py raises CommandNotFound next
    if isinstance(command, app_commands.Command):
        check_options(command, data, partial=interaction.type is discord.InteractionType.autocomplete)
