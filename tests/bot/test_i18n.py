"""Both languages are complete, and replies format in each. The words are gettext catalogues
(bot/i18n/locales): a message in the English template and not in Chinese fails here."""

from __future__ import annotations

import string

import discord

from bot import i18n
from bot.i18n.catalogue import available_locales, source_messages, translated_messages
from bot.replies.errors import Refusal, describe_error
from core.errors import NotFound
from core.vocabulary import VOCABULARY


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_reply_has_both_languages_with_the_same_fields() -> None:
    for key in i18n.reply_keys():
        assert set(i18n.reply_languages(key)) == {i18n.ENGLISH, i18n.CHINESE}, key
        english, chinese = (i18n.reply_template(lang, key) for lang in (i18n.ENGLISH, i18n.CHINESE))
        assert _fields(english) == _fields(chinese), key


def test_every_english_message_has_a_chinese_translation() -> None:
    # Replies and command text alike; an entry whose English changed since it was translated
    # (or that is fuzzy or empty) counts as missing.
    assert available_locales() == ("zh_CN",)
    english, chinese = source_messages(), translated_messages("zh_CN")
    assert len(english.replies) > 100 and len(english.command_text) > 100
    assert sorted(set(english.replies) - set(chinese.replies)) == []
    assert sorted(set(english.command_text) - set(chinese.command_text)) == []


def test_every_vocabulary_value_has_a_chinese_label() -> None:
    for attribute in VOCABULARY.attributes:
        for value in VOCABULARY.values[attribute]:
            assert i18n.choice_label(discord.Locale.chinese, value) != value, (attribute, value)


def test_locale_picks_the_language() -> None:
    assert i18n.text(discord.Locale.chinese, "forget.cancel") == "取消"
    assert i18n.text(discord.Locale.taiwan_chinese, "forget.cancel") == "Cancel"
    assert i18n.text("fr", "forget.cancel") == "Cancel"


def test_errors_are_worded_for_the_user() -> None:
    assert describe_error(Refusal("error.mix_same"), "zh-CN") == "请选择两个不同的头像来混合。"
    assert describe_error(NotFound("avatar 5 does not exist"), "en-US") == "avatar 5 does not exist"
    assert str(Refusal("error.strength", low=0.05, high=1.0)) == "Strength must be a number from 0.05 to 1.0."
