"""English and Simplified Chinese: command text (through discord.py's Translator) and replies.

The words are data: gettext catalogues under bot/i18n/locales (bot.i18n.catalogue), the English
template and its zh-CN translation, which translators edit without touching code. Command names,
descriptions and choice names are written in English in the code as `locale_str`; replies are
looked up by key with `text(locale, key, ...)`. English is the fallback for every other locale,
and for any message not (yet) translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n.catalogue import Messages, source_messages, translated_messages
from core.spec import AvatarSpec
from core.vocabulary import ATTRIBUTE_LABELS, VOCABULARY
from photo.spec import describe_read

ENGLISH = "en"
CHINESE = "zh-CN"
# Discord's locale -> its catalogue's (gettext) locale name.
_CATALOGUE_LOCALES = {CHINESE: "zh_CN"}

# Where discord.py asks for a command text -> the catalogue context that holds it.
_CONTEXT_OF: dict[Where, str] = {
    Where.command_name: "command name",
    Where.group_name: "command name",
    Where.parameter_name: "command name",
    Where.command_description: "command description",
    Where.group_description: "command description",
    Where.parameter_description: "command description",
    Where.choice_name: "choice",
}


def language_of(locale: discord.Locale | str | None) -> str:
    """The reply language for a Discord locale: zh-CN for Simplified Chinese, English otherwise."""
    return CHINESE if str(locale) == CHINESE else ENGLISH


def _messages(language: str) -> Messages:
    if language == ENGLISH:
        return source_messages()
    return translated_messages(_CATALOGUE_LOCALES[language])


def reply_template(language: str, key: str) -> Optional[str]:
    """The reply `key` in `language` (ENGLISH or CHINESE), unformatted; None where it is not translated."""
    return _messages(language).replies.get(key)


def text(locale: discord.Locale | str | None, key: str, /, **params: Any) -> str:
    """A reply in the user's language (English where there is no translation)."""
    template = reply_template(language_of(locale), key) or source_messages().replies[key]
    return template.format(**params)


def choice_label(locale: discord.Locale | str | None, value: str) -> str:
    """How a vocabulary value (or a settings choice) is shown to the user."""
    if language_of(locale) == CHINESE:
        return _messages(CHINESE).command_text.get(("choice", value), value)
    return value


def attribute_label(locale: discord.Locale | str | None, attribute: str, english: str) -> str:
    """An attribute's label in replies; `english` is core.vocabulary's label of `attribute`."""
    if language_of(locale) == CHINESE:
        return _messages(CHINESE).command_text.get(("attribute label", english), english)
    return english


def reply_keys() -> tuple[str, ...]:
    return tuple(source_messages().replies)


def reply_languages(key: str) -> tuple[str, ...]:
    """The languages `key` has a reply in (English always, as the source)."""
    return tuple(language for language in (ENGLISH, CHINESE) if reply_template(language, key) is not None)


def command_text(message: str, locale: discord.Locale, location: Where) -> str | None:
    """zh-CN text of a command name, description or choice; None where English stays."""
    if locale is not discord.Locale.chinese or location not in _CONTEXT_OF:
        return None
    return _messages(CHINESE).command_text.get((_CONTEXT_OF[location], message))


class AvatarTranslator(app_commands.Translator):
    """Gives discord.py the zh-CN command text when it builds the payload it syncs."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        return command_text(string.message, locale, context.location)


def describe_spec(spec: AvatarSpec, locale: discord.Locale | str | None) -> str:
    """What was asked, in the user's language ("anything" when nothing was chosen)."""
    parts = [
        f"{attribute_label(locale, a, ATTRIBUTE_LABELS[a])} {choice_label(locale, getattr(spec, a))}"
        for a in VOCABULARY.attributes
        if getattr(spec, a) is not None
    ]
    if spec.seed is not None:
        parts.append(f"seed {spec.seed}")
    return ", ".join(parts) or text(locale, "spec.anything")


def describe_reading(read: Mapping[str, str], locale: discord.Locale | str | None) -> str:
    """What was read from a photo, in the user's language ("black long hair, glasses, smiling")."""
    if language_of(locale) == ENGLISH:
        phrase = describe_read(read)
    else:
        phrase = ", ".join(
            f"{attribute_label(locale, a, ATTRIBUTE_LABELS[a])} {choice_label(locale, read[a])}"
            for a in VOCABULARY.attributes
            if a in read
        )
    return phrase or text(locale, "photo.nothing_read")
