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

from core.spec import AvatarSpec
from core.vocabulary import ATTRIBUTE_LABELS, VOCABULARY

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
        "review_channel": "审核频道",
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
        "Where results waiting for review are posted": "等待审核的结果发到哪个频道",
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
        "error.not_configured": {
            ENGLISH: "This bot was started without its database, queue or image store, so it cannot do that.",
            CHINESE: "此机器人启动时没有配置数据库、队列或图片存储，因此无法执行此操作。",
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
        # -- requests and their progress
        "summary.create": {
            ENGLISH: "Making {count} avatar(s): {spec}.",
            CHINESE: "正在生成 {count} 个头像：{spec}。",
        },
        "summary.reroll": {
            ENGLISH: "Re-rolling avatar #{parent}: {spec}.",
            CHINESE: "正在重抽头像 #{parent}：{spec}。",
        },
        "summary.variation": {
            ENGLISH: "Making a variation of avatar #{parent} (strength {strength}).",
            CHINESE: "正在生成头像 #{parent} 的变体（强度 {strength}）。",
        },
        "summary.mix": {ENGLISH: "Mixing avatars #{a} and #{b}.", CHINESE: "正在混合头像 #{a} 和 #{b}。"},
        "summary.variation_default": {
            ENGLISH: "Making a variation of avatar #{parent}.",
            CHINESE: "正在生成头像 #{parent} 的变体。",
        },
        "summary.photo_default": {
            ENGLISH: "Turning your photo into an avatar.",
            CHINESE: "正在把你的照片变成头像。",
        },
        "summary.photo": {
            ENGLISH: "Turning your photo into an avatar (strength {strength}).",
            CHINESE: "正在把你的照片变成头像（强度 {strength}）。",
        },
        "progress.queued": {ENGLISH: "Place in the queue: {place}.", CHINESE: "排队位置：第 {place} 位。"},
        "progress.drawing": {
            ENGLISH: "Drawing now… {done} of {count} ready.",
            CHINESE: "正在绘制……已完成 {done}/{count}。",
        },
        "progress.eta": {ENGLISH: "Estimated wait: about {seconds} s.", CHINESE: "预计等待约 {seconds} 秒。"},
        "progress.no_workers": {
            ENGLISH: "No generator is online right now; your request keeps its place until one starts.",
            CHINESE: "目前没有在线的生成器；你的请求会保留排队位置，直到生成器启动。",
        },
        # -- results
        "result.title": {ENGLISH: "Avatar #{id}", CHINESE: "头像 #{id}"},
        "result.from": {ENGLISH: "Made from", CHINESE: "来源"},
        "result.ready": {ENGLISH: "Avatar #{id} is ready.", CHINESE: "头像 #{id} 做好了。"},
        "result.approved": {
            ENGLISH: "A moderator approved avatar #{id}; here it is.",
            CHINESE: "版主已通过头像 #{id}，请查收。",
        },
        "result.failed": {
            ENGLISH: "Avatar #{id} could not be made: {error}",
            CHINESE: "头像 #{id} 生成失败：{error}",
        },
        "result.held": {
            ENGLISH: "Avatar #{id} is waiting for a moderator's review; you will get it once it is approved.",
            CHINESE: "头像 #{id} 正在等待版主审核，通过后会发给你。",
        },
        "result.rejected": {
            ENGLISH: "A moderator did not approve avatar #{id}, so it will not be shown.",
            CHINESE: "版主没有通过头像 #{id}，因此不会展示。",
        },
        "kind.create": {ENGLISH: "new", CHINESE: "新建"},
        "kind.reroll": {ENGLISH: "re-roll of", CHINESE: "重抽自"},
        "kind.variation": {ENGLISH: "variation of", CHINESE: "变体自"},
        "kind.mix": {ENGLISH: "mix of", CHINESE: "混合自"},
        "kind.photo": {ENGLISH: "from a photo", CHINESE: "照片生成"},
        "show.pending": {
            ENGLISH: "Only you can see avatar #{id}: it is waiting for review.",
            CHINESE: "只有你能看到头像 #{id}：它正在等待审核。",
        },
        "show.rejected": {
            ENGLISH: "Only you can see avatar #{id}: a moderator did not approve it.",
            CHINESE: "只有你能看到头像 #{id}：版主没有通过它。",
        },
        # -- gallery
        "saved": {ENGLISH: "Saved avatar #{id} to your favourites.", CHINESE: "已把头像 #{id} 加入收藏。"},
        "saved.already": {ENGLISH: "Avatar #{id} is already in your favourites.", CHINESE: "头像 #{id} 已在收藏中。"},
        "deleted": {ENGLISH: "Avatar #{id} was deleted.", CHINESE: "头像 #{id} 已删除。"},
        "forget.done": {
            ENGLISH: "Done: {avatars} avatar(s) and everything else the bot kept about you were deleted.",
            CHINESE: "完成：已删除 {avatars} 个头像以及机器人保存的关于你的其他数据。",
        },
        "history.title": {
            ENGLISH: "Your avatars: page {page} of {pages} ({total} in all)",
            CHINESE: "你的头像：第 {page}/{pages} 页（共 {total} 个）",
        },
        "history.empty": {
            ENGLISH: "You have no avatars yet. Make one with /avatar create.",
            CHINESE: "你还没有头像。用 /头像 创建 来做一个吧。",
        },
        "button.previous": {ENGLISH: "Previous", CHINESE: "上一页"},
        "button.next": {ENGLISH: "Next", CHINESE: "下一页"},
        "styles.none_yet": {
            ENGLISH: "No examples yet: nobody has made a public avatar in any style.",
            CHINESE: "还没有示例：还没有人公开生成过任何风格的头像。",
        },
        "styles.missing": {
            ENGLISH: "No example yet for: {styles}.",
            CHINESE: "以下风格还没有示例：{styles}。",
        },
        "queue.queued": {ENGLISH: "#{id}: place {place} in the queue", CHINESE: "#{id}：排队第 {place} 位"},
        "queue.running": {ENGLISH: "#{id}: being drawn now", CHINESE: "#{id}：正在绘制"},
        "queue.nothing": {ENGLISH: "You have nothing waiting.", CHINESE: "你没有排队中的请求。"},
        "queue.workers": {ENGLISH: "Generators online: {workers}.", CHINESE: "在线生成器：{workers} 个。"},
        "queue.eta": {
            ENGLISH: "Estimated wait for your next one: about {seconds} s.",
            CHINESE: "你的下一个预计还需约 {seconds} 秒。",
        },
        "queue.eta_new": {
            ENGLISH: "A new request would take about {seconds} s.",
            CHINESE: "新请求预计需要约 {seconds} 秒。",
        },
        "queue.eta_unknown": {
            ENGLISH: "No estimate yet: nothing was made recently.",
            CHINESE: "暂无预计时间：最近没有生成记录。",
        },
        # -- reports and moderation
        "report.thanks": {
            ENGLISH: "Thank you: the moderators will look at avatar #{id}.",
            CHINESE: "谢谢：版主会查看头像 #{id}。",
        },
        "report.already": {
            ENGLISH: "Avatar #{id} is already waiting for review.",
            CHINESE: "头像 #{id} 已在等待审核。",
        },
        "review.post": {
            ENGLISH: "Avatar #{id} by {owner} is waiting for review: {why}.",
            CHINESE: "{owner} 的头像 #{id} 正在等待审核：{why}。",
        },
        "review.why.flagged": {ENGLISH: "flagged by the safety check", CHINESE: "被安全检查标记"},
        "review.why.all": {ENGLISH: "every result is reviewed here", CHINESE: "本服务器审核所有结果"},
        "review.why.report": {ENGLISH: "reported by {user}", CHINESE: "被 {user} 举报"},
        "review.approved_by": {
            ENGLISH: "Avatar #{id}: approved by {moderator}.",
            CHINESE: "头像 #{id}：已由 {moderator} 通过。",
        },
        "review.rejected_by": {
            ENGLISH: "Avatar #{id}: rejected by {moderator}.",
            CHINESE: "头像 #{id}：已被 {moderator} 拒绝。",
        },
        "mod.approved": {
            ENGLISH: "Approved avatar #{id}; its owner gets it now.",
            CHINESE: "已通过头像 #{id}，现在会发给它的主人。",
        },
        "mod.rejected": {
            ENGLISH: "Rejected avatar #{id}; it will not be shown.",
            CHINESE: "已拒绝头像 #{id}，它不会被展示。",
        },
        "mod.pending_title": {
            ENGLISH: "Waiting for review: {total} (page {page} of {pages})",
            CHINESE: "等待审核：{total} 个（第 {page}/{pages} 页）",
        },
        "mod.pending_empty": {ENGLISH: "Nothing is waiting for review.", CHINESE: "没有等待审核的头像。"},
        "mod.banned": {ENGLISH: "{user} can no longer use the avatar bot.", CHINESE: "{user} 已被禁止使用头像机器人。"},
        "mod.unbanned": {ENGLISH: "{user} can use the avatar bot again.", CHINESE: "{user} 可以重新使用头像机器人了。"},
        "mod.log_title": {
            ENGLISH: "Moderation log: page {page} of {pages}",
            CHINESE: "审核日志：第 {page}/{pages} 页",
        },
        "mod.log_empty": {ENGLISH: "The moderation log is empty.", CHINESE: "审核日志为空。"},
        "action.approve": {ENGLISH: "approved", CHINESE: "通过了"},
        "action.reject": {ENGLISH: "rejected", CHINESE: "拒绝了"},
        "action.ban": {ENGLISH: "banned", CHINESE: "封禁了"},
        "action.unban": {ENGLISH: "unbanned", CHINESE: "解封了"},
        "action.delete": {ENGLISH: "deleted", CHINESE: "删除了"},
        "action.report": {ENGLISH: "reported", CHINESE: "举报了"},
        "action.settings": {ENGLISH: "changed the settings", CHINESE: "修改了设置"},
        # -- server settings
        "admin.saved": {ENGLISH: "Settings saved.", CHINESE: "设置已保存。"},
        "admin.current": {ENGLISH: "Settings of this server:", CHINESE: "本服务器的设置："},
        "admin.summary": {
            ENGLISH: "Review: {review}\nReview channel: {review_channel}\nLimits: {concurrent} at once, {daily} a day\n"
            "Default visibility: {visibility}\nAllowed channels: {allowed}\nBlocked channels: {blocked}\n"
            "Styles: {styles}\nGenerators: {backends}",
            CHINESE: "审核：{review}\n审核频道：{review_channel}\n上限：同时 {concurrent} 个，每天 {daily} 个\n"
            "默认可见性：{visibility}\n允许的频道：{allowed}\n禁用的频道：{blocked}\n"
            "风格：{styles}\n生成器：{backends}",
        },
        "settings.all": {ENGLISH: "all", CHINESE: "全部"},
        "settings.none": {ENGLISH: "none", CHINESE: "无"},
        # -- errors of requests
        "error.no_avatars": {
            ENGLISH: "You have no avatar to re-roll yet; make one with /avatar create.",
            CHINESE: "你还没有可以重抽的头像；先用 /头像 创建 做一个吧。",
        },
        "error.no_picture": {
            ENGLISH: "Avatar #{id} has no picture yet (it is still being made, or it failed).",
            CHINESE: "头像 #{id} 还没有图片（仍在生成中，或生成失败）。",
        },
        "error.under_review": {
            ENGLISH: "Avatar #{id} is waiting for review; try again once a moderator has approved it.",
            CHINESE: "头像 #{id} 正在等待审核；请在版主通过后再试。",
        },
        "error.not_in_server": {
            ENGLISH: "Avatar #{id} was not made in this server.",
            CHINESE: "头像 #{id} 不是在本服务器生成的。",
        },
        "error.not_pending": {
            ENGLISH: "Avatar #{id} is not waiting for review.",
            CHINESE: "头像 #{id} 不在等待审核的列表中。",
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

# Labels of the attributes in replies (the English ones come from core.vocabulary).
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
