"""An offline stand-in for Discord: a local REST API that records every call, and builders of
interaction payloads shaped as Discord's gateway delivers them.

The bot under test logs in against the local server (the `fake_discord` fixture points discord.py's Route.BASE at it),
so discord.py runs its real HTTP, interaction-response and webhook code; a test then feeds an
interaction with `feed(bot, payload)` and waits for the calls it expects.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import discord
from aiohttp import web

APPLICATION_ID = 1_100_000_000_000_000_001
BOT_USER_ID = 1_100_000_000_000_000_002
GUILD_ID = 1_100_000_000_000_000_003
CHANNEL_ID = 1_100_000_000_000_000_004
OWNER_ID = 1_100_000_000_000_000_005
MEMBER_ID = 1_100_000_000_000_000_006

API_VERSION = "v10"
# Interaction callback types (Discord API docs, "Interaction Response Type").
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
EPHEMERAL = 1 << 6

_sequence = itertools.count()


def snowflake() -> str:
    """A unique id that, like Discord's, carries the current time (interaction tokens expire from it)."""
    return str(discord.utils.time_snowflake(discord.utils.utcnow()) + next(_sequence) % (1 << 22))


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


@dataclass(frozen=True)
class Call:
    """One request the bot made."""

    method: str
    path: str  # after /api/v10
    query: dict[str, str]
    json: Any
    files: tuple[tuple[str, bytes], ...]  # (filename, bytes) of multipart uploads
    at: float  # time.monotonic() when it arrived

    def matches(self, method: str, pattern: str) -> bool:
        return self.method == method and re.fullmatch(pattern, self.path) is not None

    @property
    def callback_type(self) -> Optional[int]:
        return self.json.get("type") if isinstance(self.json, dict) else None

    @property
    def flags(self) -> int:
        body = self.json or {}
        data = body.get("data", body) if self.callback_type is not None else body
        return int((data or {}).get("flags") or 0)

    @property
    def content(self) -> Optional[str]:
        body = self.json or {}
        data = body.get("data", body) if self.callback_type is not None else body
        return (data or {}).get("content")


@dataclass(frozen=True)
class Failure:
    """An answer the stand-in gives instead of success, for requests matching `method` and `pattern`
    (after letting the first `after` of them through: "the fourth upload fails")."""

    method: str
    pattern: str
    status: int
    code: int
    message: str
    after: int = 0


# Discord's answers to guild emoji and sticker uploads that go wrong (JSON error codes).
MAX_EMOJIS = (400, 30008, "Maximum number of emojis reached (50)")
MAX_STICKERS = (400, 30039, "Maximum number of stickers reached (5)")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
INVALID_FORM_BODY = (400, 50035, "Invalid Form Body")


@dataclass
class FakeDiscord:
    """The local REST API. `calls` lists every request in order; `files` are served for attachment
    downloads (path -> bytes); `failures` make matching requests fail (as an expired token would).
    The guild (GUILD_ID) has a boost tier and its custom emojis and stickers, which uploads add to."""

    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    premium_tier: int = 0
    guild_emojis: list[dict[str, Any]] = field(default_factory=list)
    guild_stickers: list[dict[str, Any]] = field(default_factory=list)
    _runner: Optional[web.AppRunner] = None
    _base: str = ""
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def api_base(self) -> str:
        return f"{self._base}/api/{API_VERSION}"

    def file_url(self, name: str, data: bytes) -> str:
        """Serve `data` as an attachment (as Discord's CDN would); returns its URL."""
        path = f"/attachments/{snowflake()}/{name}"
        self.files[path] = data
        return f"{self._base}{path}"

    def fail(
        self, method: str, pattern: str, *, status: int = 404, code: int = 10015, message: str = "Unknown Webhook",
        after: int = 0,
    ) -> None:
        self.failures.append(Failure(method, pattern, status, code, message, after))

    def fail_with(self, method: str, pattern: str, answer: tuple[int, int, str], *, after: int = 0) -> None:
        """Fail matching requests with one of Discord's error answers (MAX_EMOJIS, MISSING_PERMISSIONS...)."""
        status, code, message = answer
        self.fail(method, pattern, status=status, code=code, message=message, after=after)

    def add_emoji(self, name: str, *, animated: bool = False) -> None:
        self.guild_emojis.append(_emoji(name, animated=animated))

    def add_sticker(self, name: str) -> None:
        self.guild_stickers.append(_sticker(name, "", "\N{GRINNING FACE}"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/attachments/{tail:.*}", self._attachment)
        app.router.add_route("*", "/api/{version}/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._base = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, method: str, pattern: str, *, timeout: float = 5.0, after: int = 0) -> Call:
        """The first call (from index `after`) matching method and path regex; fails after `timeout`."""

        def found() -> Optional[Call]:
            return next((c for c in self.calls[after:] if c.matches(method, pattern)), None)

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: found() is not None), timeout)
            except TimeoutError:
                seen = [f"{c.method} {c.path}" for c in self.calls]
                raise AssertionError(f"no {method} {pattern} within {timeout}s; calls: {seen}") from None
        call = found()
        assert call is not None
        return call

    def matching(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.matches(method, pattern)]

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.files.get(request.path)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # -- the API -----------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: list[tuple[str, bytes]] = []
        form: dict[str, str] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(data)
                elif part.filename is None:  # type: ignore[union-attr]  # a plain form field (a sticker's name)
                    form[str(part.name)] = bytes(data).decode()  # type: ignore[union-attr]
                else:
                    files.append((part.filename or "", bytes(data)))  # type: ignore[union-attr]
            if body is None and form:
                body = form
        elif request.can_read_body:
            body = await request.json()
        call = Call(request.method, path, dict(request.query), body, tuple(files), time.monotonic())
        async with self._arrived:
            self.calls.append(call)
            self._arrived.notify_all()
        # Interaction callbacks and webhooks are authorised by their token; the rest by the bot's.
        needs_bot_token = not path.startswith(("/interactions/", "/webhooks/"))
        if needs_bot_token and not request.headers.get("Authorization", "").startswith("Bot "):
            return _error(401, "401: Unauthorized", 0)
        for failure in self.failures:
            if call.matches(failure.method, failure.pattern) and len(self.matching(call.method, failure.pattern)) > (
                failure.after
            ):
                return _error(failure.status, failure.message, failure.code)
        return self._respond(call)

    def _respond(self, call: Call) -> web.StreamResponse:
        if call.matches("GET", r"/users/@me"):
            return _json(user_payload(BOT_USER_ID, "avatarbot", bot=True))
        if call.matches("GET", r"/oauth2/applications/@me"):
            return _json(_application())
        if call.matches("POST", r"/interactions/(\d+)/[^/]+/callback"):
            return _json(_callback_response(call))
        if call.matches("POST", rf"/webhooks/{APPLICATION_ID}/[^/]+"):
            return _json(message_payload(call.json or {}, flags=call.flags))
        if call.matches("PATCH", rf"/webhooks/{APPLICATION_ID}/[^/]+/messages/[^/]+"):
            return _json(message_payload(call.json or {}))
        if call.matches("DELETE", rf"/webhooks/{APPLICATION_ID}/[^/]+/messages/[^/]+"):
            return web.Response(status=204)
        if call.matches("POST", r"/channels/\d+/messages"):
            return _json(message_payload(call.json or {}, channel_id=int(call.path.split("/")[2]), webhook=False))
        if call.matches("PATCH", r"/channels/\d+/messages/\d+"):
            channel_id, message_id = call.path.split("/")[2], call.path.split("/")[4]
            edited = message_payload(call.json or {}, channel_id=int(channel_id), webhook=False)
            return _json({**edited, "id": message_id})
        if call.matches("POST", r"/users/@me/channels"):
            recipient = int((call.json or {})["recipient_id"])
            dm = {"id": str(recipient + 1), "type": 1, "recipients": [user_payload(recipient, "someone")], "flags": 0}
            return _json(dm)
        if call.matches("GET", rf"/guilds/{GUILD_ID}"):
            return _json(self._guild())
        if call.matches("GET", rf"/guilds/{GUILD_ID}/emojis"):
            return _json(list(self.guild_emojis))
        if call.matches("GET", rf"/guilds/{GUILD_ID}/stickers"):
            return _json(list(self.guild_stickers))
        if call.matches("POST", rf"/guilds/{GUILD_ID}/emojis"):
            emoji = _emoji(str((call.json or {}).get("name")))
            self.guild_emojis.append(emoji)
            return _json(emoji, status=201)
        if call.matches("POST", rf"/guilds/{GUILD_ID}/stickers"):
            body = call.json or {}
            sticker = _sticker(body.get("name", ""), body.get("description", ""), body.get("tags", ""))
            self.guild_stickers.append(sticker)
            return _json(sticker, status=201)
        if call.matches("PUT", rf"/applications/{APPLICATION_ID}/commands"):
            return _json(
                [
                    {**c, "id": snowflake(), "application_id": str(APPLICATION_ID), "version": snowflake()}
                    for c in call.json
                ]
            )
        return _error(404, "404: Not Found", 0)


    def _guild(self) -> dict[str, Any]:
        return {
            "id": str(GUILD_ID),
            "name": "avatar club",
            "icon": None,
            "owner_id": str(OWNER_ID),
            "premium_tier": self.premium_tier,
            "premium_subscription_count": 0,
            "features": [],
            "roles": [],
            "emojis": list(self.guild_emojis),
            "stickers": list(self.guild_stickers),
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
        }


def _emoji(name: str, *, animated: bool = False) -> dict[str, Any]:
    return {"id": snowflake(), "name": name, "roles": [], "require_colons": True, "managed": False,
            "animated": animated, "available": True}


def _sticker(name: str, description: str, tags: str) -> dict[str, Any]:
    return {"id": snowflake(), "name": name, "description": description, "tags": tags, "type": 2,
            "format_type": 1, "available": True, "guild_id": str(GUILD_ID)}


def _json(data: Any, *, status: int = 200) -> web.Response:
    # Exactly Discord's content type: discord.py parses a body as JSON only for this header.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def _error(status: int, message: str, code: int) -> web.Response:
    return _json({"message": message, "code": code}, status=status)


def _application() -> dict[str, Any]:
    return {
        "id": str(APPLICATION_ID),
        "name": "avatarbot",
        "icon": None,
        "description": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user_payload(OWNER_ID, "owner"),
        "verify_key": "0" * 64,
        "flags": 0,
        "team": None,
    }


def message_payload(
    body: dict[str, Any], *, flags: int = 0, channel_id: int = CHANNEL_ID, webhook: bool = True
) -> dict[str, Any]:
    """A message as Discord returns it after a bot creates or edits one (by webhook or by bot token)."""
    message = {
        "id": snowflake(),
        "channel_id": str(channel_id),
        "type": 20,
        "content": body.get("content") or "",
        "author": user_payload(BOT_USER_ID, "avatarbot", bot=True),
        "attachments": [],
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": "2026-01-01T00:00:00.000000+00:00",
        "edited_timestamp": None,
        "flags": flags or int(body.get("flags") or 0),
        "application_id": str(APPLICATION_ID),
    }
    if webhook:
        message["webhook_id"] = str(APPLICATION_ID)
    return message


def _callback_response(call: Call) -> dict[str, Any]:
    # The reply to POST .../callback?with_response=1 (an "interaction callback response").
    interaction_id = call.path.split("/")[2]
    kind = call.callback_type
    resource: dict[str, Any] = {"type": kind}
    if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, UPDATE_MESSAGE):
        resource["message"] = message_payload((call.json or {}).get("data") or {}, flags=call.flags)
    return {
        "interaction": {
            "id": interaction_id,
            "type": 2,
            "response_message_id": resource.get("message", {}).get("id"),
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(call.flags & EPHEMERAL),
        },
        "resource": resource,
    }


# -- interactions as the gateway delivers them ------------------------------


def _base_interaction(
    kind: int, *, user_id: int, permissions: discord.Permissions, locale: str, in_guild: bool
) -> dict[str, Any]:
    user = user_payload(user_id, f"user{user_id % 1000}")
    payload: dict[str, Any] = {
        "id": snowflake(),
        "application_id": str(APPLICATION_ID),
        "type": kind,
        "token": f"interaction-token-{snowflake()}",
        "version": 1,
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "app_permissions": str(discord.Permissions(send_messages=True, embed_links=True, attach_files=True).value),
    }
    if in_guild:
        payload |= {
            "guild_id": str(GUILD_ID),
            "guild": {"id": str(GUILD_ID), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "channel_id": str(CHANNEL_ID),
            "channel": {
                "id": str(CHANNEL_ID),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "avatars",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "flags": 0,
            },
            "member": {
                "user": user,
                "roles": [],
                "joined_at": "2025-01-01T00:00:00.000000+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(permissions.value),
            },
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
        }
    else:
        payload |= {
            "user": user,
            "channel_id": str(user_id + 1),
            "channel": {"id": str(user_id + 1), "type": 1, "recipients": [user], "flags": 0},
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 1,
        }
    return payload


def _option(name: str, value: Any, *, focused: bool = False) -> dict[str, Any]:
    kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 10 if isinstance(value, float) else 3
    option: dict[str, Any] = {"type": kind, "name": name, "value": value}
    if focused:
        option["focused"] = True
    return option


def command(
    group: str,
    subcommand: str,
    options: Optional[dict[str, Any]] = None,
    *,
    user_id: int = MEMBER_ID,
    permissions: Optional[discord.Permissions] = None,
    locale: str = "en-US",
    in_guild: bool = True,
    focused: Optional[str] = None,
    resolved: Optional[dict[str, Any]] = None,
    option_types: Optional[dict[str, int]] = None,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND (type 2) interaction, or AUTOCOMPLETE (type 4) when `focused` names
    the option being typed. `option_types` overrides the inferred type (e.g. 6 user, 7 channel,
    11 attachment, whose values are ids)."""
    perms = permissions if permissions is not None else discord.Permissions(send_messages=True)
    kind = 4 if focused else 2
    payload = _base_interaction(kind, user_id=user_id, permissions=perms, locale=locale, in_guild=in_guild)
    sub_options = []
    for name, value in (options or {}).items():
        option = _option(name, value, focused=name == focused)
        if option_types and name in option_types:
            option["type"] = option_types[name]
        sub_options.append(option)
    data: dict[str, Any] = {
        "id": snowflake(),
        "name": group,
        "type": 1,
        "options": [{"type": 1, "name": subcommand, "options": sub_options}],
    }
    if resolved:
        data["resolved"] = resolved
    payload["data"] = data
    return payload


def button_press(
    custom_id: str,
    *,
    user_id: int = MEMBER_ID,
    permissions: Optional[discord.Permissions] = None,
    locale: str = "en-US",
    ephemeral_message: bool = False,
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT (type 3) interaction: a press of the button `custom_id` on a bot message."""
    perms = permissions if permissions is not None else discord.Permissions(send_messages=True)
    payload = _base_interaction(3, user_id=user_id, permissions=perms, locale=locale, in_guild=True)
    message = message_payload(
        {"components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}]}]},
        flags=EPHEMERAL if ephemeral_message else 0,
    )
    payload["message"] = message
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    return payload


def select_choice(
    custom_id: str,
    values: list[str],
    *,
    user_id: int = MEMBER_ID,
    locale: str = "en-US",
    ephemeral_message: bool = True,
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT (type 3) interaction: `values` picked in the select menu `custom_id`."""
    payload = _base_interaction(
        3, user_id=user_id, permissions=discord.Permissions(send_messages=True), locale=locale, in_guild=True
    )
    options = [{"label": v, "value": v} for v in values]
    menu = {"type": 3, "custom_id": custom_id, "options": options, "min_values": 1, "max_values": 1}
    payload["message"] = message_payload(
        {"components": [{"type": 1, "components": [menu]}]}, flags=EPHEMERAL if ephemeral_message else 0
    )
    payload["data"] = {"custom_id": custom_id, "component_type": 3, "values": values}
    return payload


def feed(bot: discord.Client, payload: dict[str, Any]) -> None:
    """Hand an interaction to the bot exactly as its gateway would (INTERACTION_CREATE)."""
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]


# Names discord.py gives the tasks that run command and component handlers (and the bot's on_interaction).
_HANDLER_TASKS = ("CommandTree-invoker", "discord-ui-", "discord.py: on_interaction")


async def settle(timeout: float = 5.0) -> None:
    """Wait until the handlers of fed interactions have finished (before closing the bot)."""
    running = [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and t.get_name().startswith(_HANDLER_TASKS) and not t.done()
    ]
    if running:
        _, still = await asyncio.wait(running, timeout=timeout)
        if still:
            raise AssertionError(f"{len(still)} interaction handler(s) still running after {timeout}s")
