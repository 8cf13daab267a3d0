"""The fuzz test that stays (issue 15, section 4): raw interactions Discord could deliver, thrown at the
real bot through the offline stand-in.

What is thrown is read from the bot itself, never listed here: every command and subcommand of its tree
(the payloads it syncs, with their option types, choices, ranges and lengths) and every dynamic item it
registers (the persistent buttons and the reading editor's menus, custom_ids drawn from their templates).
Option values are valid or not: the declared type or any other, ids up to 2^64, unicode, long strings,
missing required options, unknown commands and custom_ids, autocomplete with any focused option.

After each interaction:
- nothing was logged at ERROR ("unexpected error" or otherwise);
- the interaction got exactly one answer (one interaction callback);
- the database is consistent with the image store: every finished avatar has its file, and every file
  belongs to an avatar (or to the photo job that will read it).

Hypothesis is derandomized with no example database, so CI runs the same examples every time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord.http import Route
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import DYNAMIC_ITEMS, AvatarBot, build_bot
from bot.command_payloads import command_payloads
from core.db import repositories as repo
from core.db.models import Job, JobStatus
from core.local_images import LocalImageStore
from core.spec import parse_spec
from core.vocabulary import VOCABULARY
from tests.bot.fake_discord import (
    GUILD_ID,
    MEMBER_ID,
    OWNER_ID,
    FakeDiscord,
    button_press,
    command,
    feed,
    select_choice,
    settle,
)
from tests.bot.jobs import finish_job

EXAMPLES = 400
SECOND_USER = MEMBER_ID + 1
USERS = (MEMBER_ID, OWNER_ID, SECOND_USER)

# Option types (Discord API, "Application Command Option Type").
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
SNOWFLAKE_TYPES = (USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT)

EDGE_INTEGERS = (0, 1, -1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 10**20)
EDGE_IDS = (2**31, 2**63 - 1, 2**63, 2**63 + 5, 2**64 - 1)  # Discord's ids stay below 2^63
ATTRIBUTE_VALUES = sorted({v for values in VOCABULARY.values.values() for v in values})


# -- what the bot offers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Subcommand:
    group: str
    name: str
    options: tuple[dict[str, Any], ...]


def subcommands_of(payloads: Sequence[dict[str, Any]]) -> list[Subcommand]:
    """Every (group, subcommand) of the synced payloads: what a Discord client can send."""
    found = []
    for group in payloads:
        for sub in group.get("options") or []:
            if sub["type"] == 1:
                found.append(Subcommand(group["name"], sub["name"], tuple(sub.get("options") or [])))
    return found


# -- values -----------------------------------------------------------------------------------

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.ascii_lowercase + "-_", max_size=20),
    st.sampled_from(ATTRIBUTE_VALUES),
    st.text(min_size=1, max_size=3000),
    st.sampled_from(["", " ", "\x00", "🦊" * 50, "‮right-to-left", "a" * 6001, "null", "<@123>"]),
)


def integers(known_ids: Sequence[int]) -> st.SearchStrategy[int]:
    return st.one_of(
        st.sampled_from(known_ids),
        st.sampled_from(EDGE_INTEGERS),
        st.integers(min_value=-(2**64), max_value=2**64),
        st.integers(min_value=2**62, max_value=2**64),
        st.integers(min_value=0, max_value=50),
    )


def anything(known_ids: Sequence[int]) -> st.SearchStrategy[Any]:
    """A value of any JSON type, for an option that was declared otherwise."""
    scalars = st.one_of(
        texts, integers(known_ids), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none()
    )
    return st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=5), scalars, max_size=2))


@st.composite
def option_value(draw: st.DrawFn, option: dict[str, Any], known_ids: Sequence[int], *, valid: bool) -> Any:
    """A value for `option`: one its declaration allows (valid), else anything at all."""
    kind = option["type"]
    if not valid:
        return draw(anything(known_ids))
    if option.get("choices"):
        return draw(st.sampled_from([c["value"] for c in option["choices"]]))
    if kind == STRING:
        low, high = option.get("min_length", 0), option.get("max_length", 6000)
        fitting = st.one_of(st.sampled_from(ATTRIBUTE_VALUES), st.text(max_size=min(high, 300)), texts)
        return draw(fitting.filter(lambda s: low <= len(s) <= high))
    if kind == INTEGER:
        low, high = option.get("min_value", -(2**63)), option.get("max_value", 2**63 - 1)
        known = [i for i in known_ids if low <= i <= high] or [low]
        edges = [i for i in EDGE_INTEGERS if low <= i <= high] or [high]
        return draw(st.one_of(st.sampled_from(known), st.sampled_from(edges), st.integers(low, high)))
    if kind == NUMBER:
        low, high = option.get("min_value", -1e300), option.get("max_value", 1e300)
        return draw(st.floats(low, high))
    if kind == BOOLEAN:
        return draw(st.booleans())
    if kind in SNOWFLAKE_TYPES:
        return str(draw(st.one_of(st.sampled_from(USERS), st.sampled_from(EDGE_IDS), integers(known_ids))))
    return draw(anything(known_ids))


# How wrong an interaction's options are: all as declared (so it reaches the handlers and the database),
# one of them anything, or each of them possibly anything, missing or of another type.
FITTING, ONE_WRONG, WILD = "fitting", "one wrong", "wild"


def resolved_for(option_type: int, value: Any, fake: FakeDiscord, attachment: bytes) -> dict[str, Any]:
    """What Discord resolves a snowflake option to (a user, a channel, an uploaded file)."""
    key = str(value)
    if option_type in (USER, MENTIONABLE):
        user = {"id": key, "username": "someone", "discriminator": "0", "avatar": None, "global_name": None}
        member = {"roles": [], "joined_at": "2025-01-01T00:00:00+00:00", "deaf": False, "mute": False, "flags": 0}
        return {"users": {key: user}, "members": {key: member}}
    if option_type == CHANNEL:
        channel = {"id": key, "type": 0, "name": "somewhere", "permissions": "0", "guild_id": str(GUILD_ID)}
        return {"channels": {key: channel}}
    if option_type == ROLE:
        role = {"id": key, "name": "role", "color": 0, "hoist": False, "position": 1, "permissions": "0"}
        return {"roles": {key: {**role, "managed": False, "mentionable": False}}}
    if option_type == ATTACHMENT:
        url = fake.file_url("upload.png", attachment)
        file = {"id": key, "filename": "upload.png", "size": len(attachment), "url": url, "proxy_url": url}
        return {"attachments": {key: {**file, "content_type": "image/png"}}}
    return {}


# -- interactions ---------------------------------------------------------------------------


@dataclass
class Catalogue:
    """What the bot offers and what the database holds, for drawing interactions."""

    subcommands: list[Subcommand]
    dynamic_templates: list[re.Pattern[str]]
    known_ids: list[int]
    fake: FakeDiscord
    attachments: list[bytes]


permissions = st.builds(
    lambda admin, mod, send: discord.Permissions(manage_guild=admin, manage_messages=mod, send_messages=send),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
users = st.one_of(st.sampled_from(USERS), st.sampled_from(USERS), st.sampled_from(EDGE_IDS), st.integers(1, 2**64 - 1))
locales = st.sampled_from(["en-US", "zh-CN", "en-GB", "fr", "xx-YY"])


@st.composite
def slash_command(draw: st.DrawFn, catalogue: Catalogue) -> dict[str, Any]:
    sub = draw(st.sampled_from(catalogue.subcommands))
    group, name = sub.group, sub.name
    if draw(st.integers(0, 30)) == 0:  # a command this bot does not know (yet, or any more)
        group, name = draw(st.sampled_from([(group, "paint"), ("avatar-old", name), (group, draw(texts))]))
    options: dict[str, Any] = {}
    option_types: dict[str, int] = {}
    resolved: dict[str, Any] = {}
    mode = draw(st.sampled_from([FITTING, FITTING, ONE_WRONG, WILD]))
    wrong = draw(st.sampled_from([o["name"] for o in sub.options])) if mode == ONE_WRONG and sub.options else None
    for option in sub.options:
        required = option.get("required", False)
        if not draw(st.booleans()) and not (required and (mode != WILD or draw(st.integers(0, 9)) > 0)):
            continue
        fits = option["name"] != wrong and (mode != WILD or draw(st.integers(0, 4)) > 0)
        value = draw(option_value(option, catalogue.known_ids, valid=fits))
        declared = option["type"]
        sent_type = declared if mode != WILD or draw(st.integers(0, 9)) > 0 else draw(st.integers(1, 11))
        options[option["name"]] = value
        option_types[option["name"]] = sent_type
        if sent_type in SNOWFLAKE_TYPES and draw(st.integers(0, 4)) > 0:
            attachment = draw(st.sampled_from(catalogue.attachments))
            for part, entries in resolved_for(sent_type, value, catalogue.fake, attachment).items():
                resolved.setdefault(part, {}).update(entries)
    if mode == WILD and draw(st.booleans()):  # an option the command never had
        options[draw(texts) or "x"] = draw(anything(catalogue.known_ids))
    focused = None
    if options and draw(st.integers(0, 5)) == 0:  # autocomplete, of any option
        focused = draw(st.sampled_from(sorted(options)))
    return command(
        group,
        name,
        options,
        user_id=draw(users),
        permissions=draw(permissions),
        locale=draw(locales),
        in_guild=draw(st.integers(0, 9)) > 0,
        focused=focused,
        resolved=resolved or None,
        option_types=option_types,
    )


@st.composite
def custom_id(draw: st.DrawFn, catalogue: Catalogue) -> str:
    """A dynamic item's custom_id (its numbers often the ids and users the database knows), or junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(
            st.one_of(texts, st.sampled_from(["avatar", "avatar:", "history:1:2", "forget:maybe:1", "x" * 100]))
        )
    template = draw(st.sampled_from(catalogue.dynamic_templates))
    made = draw(st.from_regex(template, fullmatch=True))
    match = template.fullmatch(made)
    assert match is not None
    # Put database ids and users in the numeric parts (a number too long is an unknown id: also fine).
    for name in sorted(match.groupdict(), key=lambda n: match.start(n), reverse=True):
        if match[name].isdigit() and draw(st.booleans()):
            number = draw(
                st.one_of(st.sampled_from(catalogue.known_ids + list(USERS) + list(EDGE_IDS)), st.integers(0, 2**64))
            )
            made = made[: match.start(name)] + str(number) + made[match.end(name) :]
    return made


@st.composite
def component(draw: st.DrawFn, catalogue: Catalogue) -> dict[str, Any]:
    target = draw(custom_id(catalogue))
    user_id, locale = draw(users), draw(locales)
    if draw(st.booleans()):
        return button_press(
            target, user_id=user_id, permissions=draw(permissions), locale=locale, ephemeral_message=draw(st.booleans())
        )
    values = draw(st.lists(st.one_of(st.sampled_from(ATTRIBUTE_VALUES), texts), min_size=0, max_size=3))
    return select_choice(target, values, user_id=user_id, locale=locale)


def interactions(catalogue: Catalogue) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(slash_command(catalogue), component(catalogue))


# -- the bot, its stand-in, its database ------------------------------------------------------


class RecordedLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    fake: FakeDiscord
    bot: AvatarBot
    sessions: sessionmaker[Session]
    store: LocalImageStore
    logs: RecordedLogs
    catalogue: Catalogue

    def throw(self, payload: dict[str, Any]) -> list[str]:
        """Feed one interaction; returns the problems seen (empty when all is well)."""
        calls, records = len(self.fake.calls), len(self.logs.records)
        self.loop.run_until_complete(self._feed(payload))
        problems = []
        callbacks = [
            c for c in self.fake.calls[calls:] if c.matches("POST", rf"/interactions/{payload['id']}/[^/]+/callback")
        ]
        if len(callbacks) != 1:
            problems.append(f"{len(callbacks)} answers instead of 1")
        for record in self.logs.records[records:]:
            if record.levelno >= logging.ERROR or "could not report an error" in record.getMessage():
                problems.append(f"logged {record.levelname}: {record.getMessage()}")
        problems += consistency_problems(self.sessions, self.store)
        return problems

    async def _feed(self, payload: dict[str, Any]) -> None:
        feed(self.bot, payload)
        await asyncio.sleep(0)  # let discord.py start the handler's task
        await settle(timeout=20.0)


def consistency_problems(sessions: sessionmaker[Session], store: LocalImageStore) -> list[str]:
    problems = []
    with sessions() as session:
        rows = session.execute(select(Job.id, Job.status, Job.image_key, Job.params)).all()
    named = set()
    for job_id, status, key, params in rows:
        if key is not None:
            named.add(key)
        if params and params.get("source_image_key"):
            named.add(params["source_image_key"])
        if status in (JobStatus.DONE, JobStatus.FLAGGED) and (key is None or not store.exists(key)):
            problems.append(f"job {job_id} is {status} without its file")
    files = {path.stem for path in store.root.rglob("*.png")}
    problems += [f"orphan file {key[:12]}" for key in sorted(files - named)]
    return problems


def seed_database(sessions: sessionmaker[Session], store: LocalImageStore) -> list[int]:
    """Avatars of every kind and state for the three users: what buttons and ids can land on."""
    made = []
    spec = parse_spec({"style": "lorelei", "hair": "long"})
    read = {"hair_color": "black", "hair": "long", "glasses": "glasses", "expression": "happy"}
    for owner in USERS:
        with sessions() as session:
            jobs = repo.create_jobs(
                session, owner_id=owner, spec=spec, seeds=[1, 2, 3, 4, 5], backend="builtin", guild_id=GUILD_ID
            )
            [photo] = repo.create_jobs(
                session,
                owner_id=owner,
                spec=spec,
                seeds=[6],
                backend="builtin",
                kind="photo",
                guild_id=GUILD_ID,
                photo_reading={"read": read, "confidence": {a: 0.9 for a in read}},
            )
            session.commit()
            ids = [job.id for job in jobs] + [photo.id]
        finish_job(sessions, store, ids[0])
        finish_job(sessions, store, ids[1])
        finish_job(sessions, store, ids[2], flagged=True)
        finish_job(sessions, store, ids[3], error="the generator gave up")
        finish_job(sessions, store, ids[5])  # the photo avatar; ids[4] stays queued
        made += ids
    return made


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch, bot_settings, bot_sessions, producer, bot_images) -> Iterator[Harness]:
    """The bot and its stand-in on an event loop of their own: hypothesis calls the test synchronously."""
    loop = asyncio.new_event_loop()
    fake = FakeDiscord()
    loop.run_until_complete(fake.start())
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    bot = build_bot(
        bot_settings,
        session_factory=bot_sessions,
        producer=producer,
        image_store=bot_images,
        progress_every_s=3600.0,
        sweep_every_s=3600.0,
    )
    logs = RecordedLogs()
    root = logging.getLogger()
    root.addHandler(logs)
    try:
        loop.run_until_complete(bot.login("offline-test-token"))
        payloads = loop.run_until_complete(command_payloads(bot.tree))
        templates = [item.__discord_ui_compiled_template__ for item in DYNAMIC_ITEMS]
        known = seed_database(bot_sessions, bot_images)
        not_an_image = b"GIF89a not really"
        tiny_png = bot_images.read_bytes(next(iter(sorted(p.stem for p in bot_images.root.rglob("*.png")))))
        catalogue = Catalogue(subcommands_of(payloads), templates, known, fake, [tiny_png, not_an_image, b""])
        yield Harness(loop, fake, bot, bot_sessions, bot_images, logs, catalogue)
    finally:
        root.removeHandler(logs)
        loop.run_until_complete(settle())
        loop.run_until_complete(bot.close())
        loop.run_until_complete(fake.close())
        loop.run_until_complete(_cancel_leftovers())
        loop.close()


async def _cancel_leftovers() -> None:
    """Cancel what is still pending on the harness's loop (discord.py's view timeout tasks)."""
    leftover = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in leftover:
        task.cancel()
    await asyncio.gather(*leftover, return_exceptions=True)


def test_every_command_and_component_is_offered(harness: Harness) -> None:
    """The fuzz draws from the bot's own tree and items: check they are all there to draw from."""
    offered = {(s.group, s.name) for s in harness.catalogue.subcommands}
    assert {("avatar", "create"), ("avatar", "photo"), ("avatar-mod", "ban"), ("avatar-admin", "settings")} <= offered
    assert len(offered) == sum(
        len(group.commands)
        for group in harness.bot.tree.get_commands()
        if isinstance(group, discord.app_commands.Group)
    )
    assert len(harness.catalogue.dynamic_templates) == len(harness.bot._connection._view_store._dynamic_items)


def fuzz_settings(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(
        max_examples=examples,
        derandomize=True,  # the same examples on every run: CI stays stable
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),  # one bot serves every example, on purpose
        print_blob=False,
    )


@fuzz_settings(EXAMPLES)
@given(data=st.data())
def test_any_interaction_is_answered_once_without_errors_and_loses_nothing(harness: Harness, data) -> None:
    payload = data.draw(interactions(harness.catalogue), label="interaction")
    problems = harness.throw(payload)
    user = (payload.get("member") or payload)["user"]["id"]
    assert not problems, f"{problems}\nfrom user {user}: {json.dumps(payload.get('data'), default=str)[:1500]}"
