"""/avatar edit and the Edit button: the person's own avatar again with the attributes they changed,
a child edit job with the original's seed, through the real command tree and the Discord stand-in."""

from __future__ import annotations

from sqlalchemy import update

from bot.ui.buttons import result_view
from core.db import repositories as repo
from core.db.models import Job
from core.spec import parse_spec
from tests.bot.fake_discord import (
    CHANNEL_MESSAGE,
    EPHEMERAL,
    MEMBER_ID,
    FakeDiscord,
    button_press,
    command,
    feed,
    select_choice,
)
from tests.bot.jobs import finish_job, job, jobs
from tests.bot.test_delivery import answered

OTHER_ID = MEMBER_ID + 1
SPEC = {"style": "micah", "hair": "long", "hair_color": "black", "expression": "happy"}


def own_avatar(sessions, images, *, owner_id: int = MEMBER_ID, spec: dict | None = None) -> int:
    with sessions() as session:
        [made] = repo.create_jobs(
            session, owner_id=owner_id, spec=parse_spec(spec or SPEC), seeds=[4242], backend="builtin"
        )
        session.commit()
    return finish_job(sessions, images, made.id)


async def run(bot, fake: FakeDiscord, payload: dict):
    seen = len(fake.calls)
    feed(bot, payload)
    return await answered(fake, payload["token"], seen)


async def first_callback(fake: FakeDiscord, seen: int):
    return await fake.wait_for("POST", r"/interactions/.*/callback", after=seen, timeout=10)


async def test_edit_makes_a_child_with_the_same_seed_and_only_the_change(
    offline_bot, fake_discord, bot_sessions, bot_images, sent_messages
) -> None:
    source = own_avatar(bot_sessions, bot_images)

    answer = await run(offline_bot, fake_discord, command("avatar", "edit", {"avatar": source, "hair_color": "blue"}))

    assert answer.content.startswith(f"Editing avatar #{source}: hair colour blue (same seed, same character).")
    made = jobs(bot_sessions)[-1]
    assert (made.kind, made.parent_id, made.seed, made.owner_id) == ("edit", source, 4242, MEMBER_ID)
    assert made.spec == {**SPEC, "hair_color": "blue"}
    assert made.params == {"source_spec": SPEC}
    assert sent_messages() == 1


async def test_a_new_style_says_it_redraws_and_what_it_leaves_open(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    source = own_avatar(bot_sessions, bot_images, spec={"style": "adventurer", "accessory": "flowers"})

    answer = await run(offline_bot, fake_discord, command("avatar", "edit", {"avatar": source, "style": "micah"}))

    assert "in a new style: style micah" in answer.content and "accessory, so those are left open" in answer.content
    assert jobs(bot_sessions)[-1].spec == {"style": "micah"}


async def test_refusals_are_ephemeral_sentences_and_make_no_job(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    mine = own_avatar(bot_sessions, bot_images)
    theirs = own_avatar(bot_sessions, bot_images, owner_id=OTHER_ID)
    held = own_avatar(bot_sessions, bot_images)
    with bot_sessions() as session:
        session.execute(update(Job).where(Job.id == held).values(review_state="pending"))
        session.commit()
    cases = [
        ({"avatar": theirs, "hair_color": "blue"}, f"Avatar #{theirs} is not yours"),
        ({"avatar": held, "hair_color": "blue"}, f"Avatar #{held} is waiting for review"),
        ({"avatar": mine, "hair_color": "black"}, "nothing to change"),
        ({"avatar": mine}, "nothing to change"),
        ({"avatar": mine, "expression": "wink"}, "style 'micah' has no expression 'wink'"),
        ({"avatar": 999_999}, "does not exist"),
    ]
    before = len(jobs(bot_sessions))
    for options, expected in cases:
        answer = await run(offline_bot, fake_discord, command("avatar", "edit", options))
        assert answer.flags & EPHEMERAL and expected in answer.content, (options, answer.content)
    assert len(jobs(bot_sessions)) == before


async def test_every_result_has_an_edit_button_that_opens_the_choice_for_its_owner(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    source = own_avatar(bot_sessions, bot_images)
    assert f"avatar:change:{source}" in [item.custom_id for item in result_view(source, "en-US").children]

    seen = len(fake_discord.calls)
    feed(offline_bot, button_press(f"avatar:change:{source}"))
    editor = await first_callback(fake_discord, seen)

    assert editor.callback_type == CHANNEL_MESSAGE and editor.flags & EPHEMERAL
    data = editor.json["data"]
    assert f"Change avatar #{source}" in data["content"]
    menus = {row["components"][0]["custom_id"]: row["components"][0] for row in data["components"]}
    assert list(menus) == [
        f"avatar:change:{m}:{source}" for m in ("hair_color", "hair", "expression", "background", "more")
    ]
    expression = menus[f"avatar:change:expression:{source}"]
    assert [o["value"] for o in expression["options"]] == ["happy", "sad", "surprised"]  # what micah draws
    assert expression["placeholder"] == "expression: happy"
    more = [o["value"] for o in menus[f"avatar:change:more:{source}"]["options"]]
    assert "style=lorelei" in more and "skin=tan" in more and "style=micah" not in more

    answer = await run(offline_bot, fake_discord, select_choice(f"avatar:change:more:{source}", ["skin=tan"]))
    assert answer.content.startswith(f"Editing avatar #{source}: skin tan")
    made = jobs(bot_sessions)[-1]
    assert made.kind == "edit" and made.spec == {**SPEC, "skin": "tan"} and made.seed == 4242

    answer = await run(offline_bot, fake_discord, select_choice(f"avatar:change:expression:{source}", ["sad"]))
    assert jobs(bot_sessions)[-1].spec["expression"] == "sad"


async def test_the_edit_button_on_someone_elses_avatar_is_refused(
    offline_bot, fake_discord, bot_sessions, bot_images
) -> None:
    theirs = own_avatar(bot_sessions, bot_images, owner_id=OTHER_ID)
    seen = len(fake_discord.calls)
    feed(offline_bot, button_press(f"avatar:change:{theirs}"))
    answer = await first_callback(fake_discord, seen)
    assert answer.flags & EPHEMERAL and f"Avatar #{theirs} is not yours" in answer.content
    assert job(bot_sessions, theirs).owner_id == OTHER_ID and len(jobs(bot_sessions)) == 1
