"""Persistent buttons: their custom_id carries the avatar or user, within Discord's limit."""

from __future__ import annotations

from bot.gallery.forget_me import ForgetMeButton, forget_me_view
from bot.ui.buttons import MAX_CUSTOM_ID, AvatarButton, result_view

LARGEST_SNOWFLAKE = 2**64 - 1


def test_custom_ids_fit_discords_limit_and_round_trip() -> None:
    view = result_view(LARGEST_SNOWFLAKE, "en-US", for_moderators=True)
    ids = [item.custom_id for item in view.children]
    assert len(ids) == 9 and all(len(i) <= MAX_CUSTOM_ID for i in ids)
    for custom_id in ids:
        match = AvatarButton.__discord_ui_compiled_template__.fullmatch(custom_id)
        assert match is not None and int(match["avatar_id"]) == LARGEST_SNOWFLAKE


def test_members_get_no_moderator_buttons() -> None:
    labels = [item.item.label for item in result_view(1, "zh-CN").children]
    assert labels == ["重抽", "变体", "编辑", "收藏", "删除", "举报", "导出"]


def test_forget_me_buttons_name_the_user() -> None:
    ids = [item.custom_id for item in forget_me_view(42, "en-US").children]
    assert ids == ["forget:yes:42", "forget:no:42"]
    assert all(ForgetMeButton.__discord_ui_compiled_template__.fullmatch(i) for i in ids)
