"""English and Simplified Chinese: command text (through discord.py's Translator) and replies.

Command names, descriptions and choice names are written in English in the code as
`locale_str`; the tables below give their zh-CN text. Replies are looked up by key with
`text(locale, key, ...)`. English is the fallback for every other locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

ENGLISH = "en"
CHINESE = "zh-CN"

# -- command text -----------------------------------------------------------

# Names of groups, commands and options (Discord: 1-32 characters, lower case).
_ZH_NAMES: Mapping[str, str] = MappingProxyType(
    {
        # groups
        "avatar": "头像",
        "avatar-mod": "头像审核",
        "avatar-admin": "头像管理",
        # /avatar
        "create": "创建",
        "reroll": "重抽",
        "vary": "变体",
        "mix": "混合",
        "photo": "照片",
        "history": "历史",
        "show": "查看",
        "favourite": "收藏",
        "delete": "删除",
        "forget-me": "忘记我",
        "styles": "风格一览",
        "queue": "队列",
        # /avatar-mod
        "pending": "待审",
        "approve": "通过",
        "reject": "拒绝",
        "ban": "封禁",
        "unban": "解封",
        "log": "日志",
        # /avatar-admin
        "settings": "设置",
        # options
        "style": "风格",
        "hair": "发型",
        "hair_color": "发色",
        "skin": "肤色",
        "expression": "表情",
        "glasses": "眼镜",
        "accessory": "配饰",
        "background": "背景",
        "seed": "种子",
        "count": "数量",
        "private": "私密",
        "details": "细节",
        "id": "编号",
        "strength": "强度",
        "a": "甲",
        "b": "乙",
        "image": "图片",
        "page": "页码",
        "reason": "理由",
        "user": "用户",
        "review_mode": "审核模式",
        "concurrent_limit": "并发上限",
        "daily_limit": "每日上限",
        "visibility": "可见性",
        "allow_channel": "允许频道",
        "block_channel": "禁用频道",
        "allowed_styles": "允许风格",
        "allowed_backends": "允许后端",
    }
)

_ZH_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        # groups
        "Make cute chibi avatars": "制作可爱的萌版头像",
        "Review avatars and ban users (moderators)": "审核头像、封禁用户（版主）",
        "Avatar bot settings for this server (admins)": "本服务器的头像机器人设置（管理员）",
        # /avatar
        "Make a new avatar": "制作一个新头像",
        "Make an avatar again with a new seed": "用新的随机种子重新生成头像",
        "Make a variation of an avatar": "生成一个头像的变体",
        "Mix two avatars": "混合两个头像",
        "Turn a photo into a chibi avatar": "把照片变成萌版头像",
        "Your avatars, one page at a time": "分页查看你的头像",
        "Show one avatar": "查看一个头像",
        "Save an avatar to your favourites": "把头像加入收藏",
        "Delete one of your avatars": "删除你的一个头像",
        "Delete all your avatars and data": "删除你的所有头像和数据",
        "See the styles and what each offers": "查看各种风格及其可选项",
        "Your place in the queue and the wait": "查看排队位置和预计等待时间",
        # /avatar-mod
        "Avatars waiting for review": "等待审核的头像",
        "Approve an avatar": "通过一个头像",
        "Reject an avatar": "拒绝一个头像",
        "Stop a user from using the bot": "禁止某位用户使用机器人",
        "Let a banned user use the bot again": "允许被封禁的用户重新使用机器人",
        "The moderation log": "审核日志",
        # /avatar-admin
        "Show or change this server's settings": "查看或修改本服务器的设置",
        # options of /avatar create
        "Drawing style": "画风",
        "Hair style": "发型",
        "Hair colour": "头发颜色",
        "Skin tone": "肤色",
        "Facial expression": "表情",
        "Glasses or not": "是否戴眼镜",
        "An accessory or a mark": "配饰或特征",
        "Background colour": "背景颜色",
        "Seed, to make the same avatar again (0 to 4294967295)": "随机种子，用来重现同一个头像（0 到 4294967295）",
        "How many avatars to make (1 to 4)": "生成几个头像（1 到 4）",
        "Only you see the result": "只有你能看到结果",
        "Extra details in words": "用文字补充的细节",
        # other options
        "Avatar id (default: your last avatar)": "头像编号（默认：你最近的头像）",
        "Avatar id": "头像编号",
        "How far to move from the original (0.05 to 1)": "与原图的差别有多大（0.05 到 1）",
        "First avatar id": "第一个头像的编号",
        "Second avatar id": "第二个头像的编号",
        "Your photo (PNG, JPEG or WebP)": "你的照片（PNG、JPEG 或 WebP）",
        "Page number": "页码",
        "Why (kept in the moderation log)": "原因（记录在审核日志中）",
        "The user": "用户",
        "Only show actions about this user": "只显示与该用户有关的操作",
        "Which results wait for a moderator": "哪些结果需要等待版主审核",
        "Jobs one user may have waiting or running at once": "每位用户同时排队或生成中的任务数",
        "Avatars one user may make per day": "每位用户每天可以生成的头像数",
        "Whether results are public or private by default": "结果默认公开还是私密",
        "Let the bot work in this channel": "允许机器人在此频道工作",
        "Stop the bot working in this channel": "禁止机器人在此频道工作",
        "Allowed styles, comma-separated, or 'all'": "允许的风格，用逗号分隔，或 all",
        "Allowed generators, comma-separated, or 'all'": "允许的生成器，用逗号分隔，或 all",
    }
)

# Choice names: the vocabulary values and the settings choices.
_ZH_CHOICES: Mapping[str, str] = MappingProxyType(
    {
        # style
        "adventurer": "冒险家",
        "lorelei": "罗蕾莱",
        "big-smile": "大笑脸",
        "micah": "米卡",
        "miniavs": "迷你头像",
        "toon-head": "卡通头",
        "big-ears": "大耳朵",
        "personas": "人物",
        # hair
        "short": "短发",
        "long": "长发",
        "bun": "丸子头",
        "ponytail": "马尾",
        "curly": "卷发",
        # hair colour (brown and pink are shared with skin and background)
        "black": "黑色",
        "brown": "棕色",
        "blonde": "金色",
        "red": "红色",
        "pink": "粉色",
        "blue": "蓝色",
        "purple": "紫色",
        "green": "绿色",
        "white": "白色",
        # skin
        "light": "浅色",
        "fair": "白皙",
        "tan": "小麦色",
        "dark": "深色",
        # expression
        "happy": "开心",
        "neutral": "平静",
        "sad": "难过",
        "surprised": "惊讶",
        "wink": "眨眼",
        # glasses and accessory ("none" is shared)
        "none": "无",
        "glasses": "戴眼镜",
        "earrings": "耳环",
        "flowers": "花朵",
        "blush": "腮红",
        "freckles": "雀斑",
        # background
        "peach": "桃色",
        "lemon": "柠檬黄",
        "mint": "薄荷绿",
        "sky": "天蓝",
        "lavender": "薰衣草紫",
        # /avatar-admin settings
        "off": "关闭",
        "flagged only": "仅被标记的",
        "all": "全部",
        "public": "公开",
        "private": "私密",
    }
)

_ZH_BY_LOCATION: Mapping[Where, Mapping[str, str]] = MappingProxyType(
    {
        Where.command_name: _ZH_NAMES,
        Where.group_name: _ZH_NAMES,
        Where.parameter_name: _ZH_NAMES,
        Where.command_description: _ZH_DESCRIPTIONS,
        Where.group_description: _ZH_DESCRIPTIONS,
        Where.parameter_description: _ZH_DESCRIPTIONS,
        Where.choice_name: _ZH_CHOICES,
    }
)


def command_text(message: str, locale: discord.Locale, location: Where) -> str | None:
    """zh-CN text of a command name, description or choice; None where English stays."""
    if locale is not discord.Locale.chinese:
        return None
    return _ZH_BY_LOCATION.get(location, {}).get(message)


class AvatarTranslator(app_commands.Translator):
    """Gives discord.py the zh-CN command text when it builds the payload it syncs."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        return command_text(string.message, locale, context.location)


# -- replies ----------------------------------------------------------------

_REPLIES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "error.invalid_spec": {
            ENGLISH: "I can't make that avatar: {detail}",
            CHINESE: "无法按这些选项制作头像：{detail}",
        },
        "error.avatar": {ENGLISH: "{detail}", CHINESE: "出错了：{detail}"},
        "error.missing_permissions": {
            ENGLISH: "You need the {permissions} permission to use this.",
            CHINESE: "你需要“{permissions}”权限才能使用此功能。",
        },
        "error.guild_only": {
            ENGLISH: "This works only in a server, not in direct messages.",
            CHINESE: "此功能只能在服务器中使用，不能在私信中使用。",
        },
        "error.not_ready": {
            ENGLISH: "This is not available yet.",
            CHINESE: "此功能暂不可用。",
        },
        "error.mix_same": {
            ENGLISH: "Pick two different avatars to mix.",
            CHINESE: "请选择两个不同的头像来混合。",
        },
        "error.photo": {
            ENGLISH: "The photo must be a PNG, JPEG or WebP file of at most {max_mib} MB.",
            CHINESE: "照片必须是不超过 {max_mib} MB 的 PNG、JPEG 或 WebP 文件。",
        },
        "error.strength": {
            ENGLISH: "Strength must be a number from {low} to {high}.",
            CHINESE: "强度必须是 {low} 到 {high} 之间的数字。",
        },
        "error.not_yours": {
            ENGLISH: "Only the person who asked can use this button.",
            CHINESE: "只有发起请求的人才能使用这个按钮。",
        },
        "error.internal": {
            ENGLISH: "Something went wrong on our side (error id {error_id}). Please try again later.",
            CHINESE: "我们这边出了点问题（错误编号 {error_id}），请稍后再试。",
        },
        "error.unknown_styles": {
            ENGLISH: "Unknown style(s): {names}. Choose from: {allowed}, or 'all'.",
            CHINESE: "未知的风格：{names}。可选：{allowed}，或 all。",
        },
        "error.unknown_backends": {
            ENGLISH: "Unknown generator(s): {names}. Choose from: {allowed}, or 'all'.",
            CHINESE: "未知的生成器：{names}。可选：{allowed}，或 all。",
        },
        "error.same_channel": {
            ENGLISH: "A channel cannot be allowed and blocked at once.",
            CHINESE: "同一个频道不能同时被允许和禁用。",
        },
        "error.banned": {
            ENGLISH: "You cannot use the avatar bot: a moderator has banned you from it.",
            CHINESE: "你无法使用头像机器人：版主已禁止你使用。",
        },
        "error.channel_disabled": {
            ENGLISH: "The avatar bot is switched off in this channel; try another channel of this server.",
            CHINESE: "此频道已关闭头像机器人，请到本服务器的其他频道使用。",
        },
        "error.backend_not_allowed": {
            ENGLISH: "This server does not allow the {backend} generator.",
            CHINESE: "本服务器不允许使用 {backend} 生成器。",
        },
        "error.style_not_allowed": {
            ENGLISH: "This server allows only these styles: {allowed}.",
            CHINESE: "本服务器只允许这些风格：{allowed}。",
        },
        "error.too_many_running": {
            ENGLISH: "You already have {active} avatar(s) waiting or being made, and the limit is {limit} at once. "
            "Try again when they are done.",
            CHINESE: "你已有 {active} 个头像在排队或生成中，同时最多 {limit} 个。请等它们完成后再试。",
        },
        "error.daily_limit": {
            ENGLISH: "You have made {used} of your {limit} avatars for today. You can make more {reset}.",
            CHINESE: "你今天已生成 {used} 个头像，每日上限为 {limit} 个。下次可生成时间：{reset}。",
        },
        "create.queued": {
            ENGLISH: "Making {count} avatar(s): {spec}. Place in the queue: {place}.",
            CHINESE: "正在生成 {count} 个头像：{spec}。排队位置：第 {place} 位。",
        },
        "create.no_workers": {
            ENGLISH: "No generator is online right now; your request keeps its place until one starts.",
            CHINESE: "目前没有在线的生成器；你的请求会保留排队位置，直到生成器启动。",
        },
        "spec.anything": {ENGLISH: "anything", CHINESE: "随机"},
        "styles.title": {ENGLISH: "Styles", CHINESE: "风格一览"},
        "styles.every": {ENGLISH: "every {attribute}", CHINESE: "所有{attribute}"},
        "forget.confirm": {
            ENGLISH: "This deletes every avatar you made and everything the bot keeps about you. "
            "It cannot be undone. Are you sure?",
            CHINESE: "这会删除你生成的所有头像以及机器人保存的关于你的全部数据，且无法恢复。确定吗？",
        },
        "forget.yes": {ENGLISH: "Yes, delete everything", CHINESE: "是的，全部删除"},
        "forget.cancel": {ENGLISH: "Cancel", CHINESE: "取消"},
        "forget.cancelled": {ENGLISH: "Nothing was deleted.", CHINESE: "没有删除任何内容。"},
        "button.reroll": {ENGLISH: "Re-roll", CHINESE: "重抽"},
        "button.vary": {ENGLISH: "Vary", CHINESE: "变体"},
        "button.save": {ENGLISH: "Save", CHINESE: "收藏"},
        "button.delete": {ENGLISH: "Delete", CHINESE: "删除"},
        "button.report": {ENGLISH: "Report", CHINESE: "举报"},
        "button.approve": {ENGLISH: "Approve", CHINESE: "通过"},
        "button.reject": {ENGLISH: "Reject", CHINESE: "拒绝"},
        "permission.manage_messages": {ENGLISH: "Manage Messages", CHINESE: "管理消息"},
        "permission.manage_guild": {ENGLISH: "Manage Server", CHINESE: "管理服务器"},
    }
)

# Labels of the attributes in replies (the English ones come from db.vocabulary).
_ZH_ATTRIBUTE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "style": "风格",
        "hair": "发型",
        "hair_color": "发色",
        "skin": "肤色",
        "expression": "表情",
        "glasses": "眼镜",
        "accessory": "配饰",
        "background": "背景",
    }
)


def language_of(locale: discord.Locale | str | None) -> str:
    """The reply language for a Discord locale: zh-CN for Simplified Chinese, English otherwise."""
    return CHINESE if str(locale) == CHINESE else ENGLISH


def text(locale: discord.Locale | str | None, key: str, /, **params: Any) -> str:
    """A reply in the user's language (English where there is no translation)."""
    entry = _REPLIES[key]
    template = entry.get(language_of(locale)) or entry[ENGLISH]
    return template.format(**params)


def choice_label(locale: discord.Locale | str | None, value: str) -> str:
    """How a vocabulary value is shown to the user."""
    if language_of(locale) == CHINESE:
        return _ZH_CHOICES.get(value, value)
    return value


def attribute_label(locale: discord.Locale | str | None, attribute: str, english: str) -> str:
    if language_of(locale) == CHINESE:
        return _ZH_ATTRIBUTE_LABELS.get(attribute, english)
    return english


def reply_keys() -> tuple[str, ...]:
    return tuple(_REPLIES)


def reply_languages(key: str) -> tuple[str, ...]:
    return tuple(_REPLIES[key])
