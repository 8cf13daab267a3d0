"""The translations as data: gettext catalogues that translators edit without touching code.

    bot/i18n/locales/avatarbot.pot                      every message, in English (the source)
    bot/i18n/locales/zh_CN/LC_MESSAGES/avatarbot.po     its Simplified Chinese translation

Each message has a context (msgctxt): a reply's key ("error.banned"), or what a command text is
("command name", "command description", "choice", "attribute label"); the msgid is the English.
Babel reads both files when the bot first needs them (constant data, read once per process), so
nothing has to be compiled first. New or changed English: edit the template, run
`pybabel update -i bot/i18n/locales/avatarbot.pot -d bot/i18n/locales -D avatarbot`, then translate
what it marks; tests/bot/test_i18n.py fails while any message is missing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "avatarbot"
# Contexts of command text; any other context is a reply key.
COMMAND_CONTEXTS = ("command name", "command description", "choice", "attribute label")


@dataclass(frozen=True)
class Messages:
    """One language's messages: replies by key, command text by (context, English)."""

    replies: Mapping[str, str]
    command_text: Mapping[tuple[str, str], str]


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN)


@functools.cache
def source_messages() -> Messages:
    """The English messages, from the template."""
    template = _read(LOCALES_DIR / f"{DOMAIN}.pot")
    replies = {m.context: m.id for m in template if m.id and m.context and m.context not in COMMAND_CONTEXTS}
    text = {(m.context, m.id): m.id for m in template if m.id and m.context in COMMAND_CONTEXTS}
    return Messages(MappingProxyType(replies), MappingProxyType(text))


@functools.cache
def translated_messages(locale: str) -> Messages:
    """A language's messages: only those translated for the template's current English (a
    fuzzy or empty entry, or one whose English has since changed, is left out: English shows)."""
    catalogue = _read(LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po", locale=locale)
    source = source_messages()
    translated = {
        (m.context, m.id): m.string for m in catalogue if m.id and m.context and m.string and not m.fuzzy
    }
    replies = {
        key: translated[(key, english)] for key, english in source.replies.items() if (key, english) in translated
    }
    text = {where: translated[where] for where in source.command_text if where in translated}
    return Messages(MappingProxyType(replies), MappingProxyType(text))


def available_locales() -> tuple[str, ...]:
    return tuple(sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))
