"""Bot factory and runner: everything is built from what is passed in, nothing at import."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, Optional

import discord
from discord import app_commands
from discord.app_commands import locale_str
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session

from bot.admin.commands import AdminCommands
from bot.common import log_redaction
from bot.common.guild_settings import BACKENDS
from bot.common.metrics import BotMetrics
from bot.common.option_check import check_interaction
from bot.common.services import BotServices, ButtonAction
from bot.delivery.courier import Courier
from bot.delivery.store import DeliveryStore
from bot.export import handlers as export_handlers
from bot.export.commands import export_commands
from bot.gallery import handlers as gallery_handlers
from bot.gallery.commands import avatar_commands as gallery_commands
from bot.gallery.forget_me import ForgetMeButton
from bot.gallery.history import HistoryButton
from bot.i18n import AvatarTranslator
from bot.moderation import handlers as moderation_handlers
from bot.moderation.commands import ModerationCommands
from bot.packs.buttons import PackButton
from bot.packs.commands import avatar_commands as pack_commands
from bot.replies.errors import Refusal, refusal_reason
from bot.replies.interaction import reply_with_error
from bot.requests import handlers as request_handlers
from bot.requests.commands import avatar_commands as request_commands
from bot.requests.look_editor import LookChoice
from bot.requests.reading_editor import ReadingChoice
from bot.ui.buttons import AvatarButton
from core.db.engine import make_engine, make_session_factory
from core.dispatch import make_producer
from core.errors import AvatarError
from core.export.learned_matte import default_matter
from core.health import process_checks
from core.image_stores import make_image_store
from core.images import ImageStore
from core.notify import make_notifier
from core.ops_server import OpsServer
from core.settings import Settings
from photo import PhotoReader

log = logging.getLogger(__name__)


class MissingToken(AvatarError):
    """The bot cannot log in without a token."""


# The persistent buttons every bot registers: they are rebuilt from their custom_id on any press.
DYNAMIC_ITEMS = (AvatarButton, ForgetMeButton, HistoryButton, ReadingChoice, LookChoice, PackButton)


def button_actions() -> dict[str, ButtonAction]:
    """What each button under an avatar does, from the feature it belongs to."""
    return {
        **request_handlers.BUTTON_ACTIONS,
        **gallery_handlers.BUTTON_ACTIONS,
        **moderation_handlers.BUTTON_ACTIONS,
        **export_handlers.BUTTON_ACTIONS,
    }


def add_commands(tree: app_commands.CommandTree, services: BotServices) -> None:
    """Put every command group on `tree` (global commands; nothing is sent until a sync): /avatar
    holds the requests', the packs', the gallery's and the exports' commands; /avatar-mod and /avatar-admin are
    their features' own."""
    avatar = app_commands.Group(name=locale_str("avatar"), description=locale_str("Make cute chibi avatars"))
    for command in (
        *request_commands(services),
        *pack_commands(services),
        *gallery_commands(services),
        *export_commands(services),
    ):
        avatar.add_command(command)
    tree.add_command(avatar)
    tree.add_command(ModerationCommands(services))
    tree.add_command(AdminCommands(services))


class AvatarTree(app_commands.CommandTree):
    """The command tree; its on_error is the one error edge of every command."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        check_interaction(interaction)  # BadOptionValue reaches on_error
        if interaction.type is discord.InteractionType.autocomplete and not _completes(interaction):
            # discord.py would log the mismatch as an exception and leave the client waiting: no choices.
            log.warning("autocomplete asked for an option that has none; answered no choices")
            await interaction.response.autocomplete([])
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        reason = refusal_reason(error)
        outcome = "refused" if reason is not None else "error"
        metrics = getattr(self.client, "metrics", None)
        if isinstance(metrics, BotMetrics):
            metrics.handled(command_label(interaction), outcome, reason=reason)
        log.info(
            "interaction %s %s %s",
            interaction.id,
            command_label(interaction),
            outcome,
            extra={"interaction_id": interaction.id, "command": command_label(interaction), "outcome": outcome},
        )
        await reply_with_error(interaction, error)


def _completes(interaction: discord.Interaction) -> bool:
    """Whether the option being typed has an autocomplete handler in the command this bot has (an unknown
    command is left to the tree, which reports it as outdated)."""
    command = interaction.command
    if not isinstance(command, app_commands.Command):
        return True
    focused = _focused_option((interaction.data or {}).get("options") or [])
    return any(
        parameter.autocomplete and focused in (parameter.name, parameter.display_name)
        for parameter in command.parameters
    )


def _focused_option(options: list[Any]) -> Optional[str]:
    for option in options:
        if not isinstance(option, dict):
            continue
        if option.get("focused"):
            return str(option.get("name"))
        found = _focused_option(option.get("options") or [])
        if found is not None:
            return found
    return None


# Buttons' custom_id prefixes (a metrics label: anything else is "other").
_BUTTON_PREFIXES = frozenset({"avatar", "forget", "history", "pack"})


def command_label(interaction: discord.Interaction) -> str:
    """A bounded name for what was used: a registered command's qualified name, or a button's kind."""
    if interaction.type is discord.InteractionType.component:
        prefix = str((interaction.data or {}).get("custom_id", "")).split(":", 1)[0]
        return f"button:{prefix}" if prefix in _BUTTON_PREFIXES else "button:other"
    command = interaction.command
    return command.qualified_name if command is not None else "unknown"


class AvatarBot(discord.AutoShardedClient):
    """The Discord client. It receives its services in the constructor (see discord.py's
    examples/advanced_startup.py); the commands are on its tree from the start, and
    setup_hook (run at login) installs the translator and starts delivery.

    Sharded: AVATARBOT_SHARD_COUNT shards in all (unset: Discord's recommendation), of which this
    process runs AVATARBOT_SHARD_IDS (unset: all); delivery follows the same split (bot.delivery.routing)."""

    def __init__(
        self,
        services: BotServices,
        *,
        progress_every_s: float = 2.0,
        sweep_every_s: float = 30.0,
    ) -> None:
        # Slash commands and buttons need no privileged intents; guilds keeps channels resolvable.
        shards = services.settings.shards
        super().__init__(
            intents=discord.Intents(guilds=True),
            application_id=services.settings.discord_application_id,
            shard_count=shards.count,
            shard_ids=list(shards.ids) if shards.ids is not None else None,
        )
        self.services = services
        self.metrics = services.metrics
        self.tree = AvatarTree(self)
        add_commands(self.tree, services)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        # Delivery needs the database and the images; the notifier only makes it faster.
        self.courier: Optional[Courier] = None
        if services.session_factory is not None and services.image_store is not None:
            store = DeliveryStore(services.settings, services.session_factory, services.image_store)
            self.courier = Courier(
                self,
                store,
                services.reply_guard,
                notifier=services.notifier,
                progress_every_s=progress_every_s,
                sweep_every_s=sweep_every_s,
                metrics=services.metrics,
            )

    @property
    def settings(self) -> Settings:
        return self.services.settings

    async def install_translator(self) -> None:
        if self.tree.translator is None:
            await self.tree.set_translator(AvatarTranslator())

    async def setup_hook(self) -> None:
        await self.install_translator()
        if self.courier is not None:
            self.courier.start()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if self.metrics is not None:
            self.loop.create_task(self.metrics.watch_ack(interaction), name="ack-watch")
        if interaction.type is discord.InteractionType.component and not self._has_handler(interaction):
            await self._answer_unknown_component(interaction)

    def _has_handler(self, interaction: discord.Interaction) -> bool:
        """Whether a registered item takes this component: a dynamic item's template, or a view discord.py
        keeps for the message (its view store is where it dispatches; it answers nothing that misses)."""
        data = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        store = self._connection._view_store
        if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
            return True
        key = (data.get("component_type"), custom_id)
        message_id = interaction.message.id if interaction.message is not None else None
        return any(key in store._views.get(entity, {}) for entity in (message_id, None))

    async def _answer_unknown_component(self, interaction: discord.Interaction) -> None:
        """A button or menu no item takes (from an older version, or forged): say so, once, instead of
        leaving the user with Discord's "This interaction failed"."""
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        log.warning(
            "a button or menu nothing handles was used (%r); asked the user to run the command again", custom_id[:100]
        )
        if self.metrics is not None:
            self.metrics.handled(command_label(interaction), "refused", reason="error.component_unknown")
        await reply_with_error(interaction, Refusal("error.component_unknown"))

    async def on_app_command_completion(self, interaction: discord.Interaction, command: Any) -> None:
        if self.metrics is not None:
            self.metrics.handled(command_label(interaction), "ok")
        label = command_label(interaction)
        log.info(
            "interaction %s %s ok",
            interaction.id,
            label,
            extra={"interaction_id": interaction.id, "command": label, "outcome": "ok"},
        )

    async def close(self) -> None:
        if self.courier is not None:
            await self.courier.close()
        await super().close()


def build_bot(
    settings: Settings,
    *,
    session_factory: Optional[Callable[[], Session]] = None,
    producer: Optional[Any] = None,
    notifier: Optional[Any] = None,
    image_store: Optional[Any] = None,
    progress_every_s: float = 2.0,
    sweep_every_s: float = 30.0,
    metrics: Optional[BotMetrics] = None,
) -> AvatarBot:
    """Build the bot without connecting, so tests and operators can drive it offline.

    Delivery edits progress at most every `progress_every_s` and sweeps for missed results
    every `sweep_every_s`.
    """
    services = BotServices(
        settings=settings,
        session_factory=session_factory,
        producer=producer,
        notifier=notifier,
        image_store=image_store,
        photo_reader=PhotoReader(),
        button_actions=MappingProxyType(button_actions()),
        metrics=metrics,
        matter=default_matter(),
    )
    return AvatarBot(services, progress_every_s=progress_every_s, sweep_every_s=sweep_every_s)


def build_bot_from_settings(
    settings: Settings,
    metrics: Optional[BotMetrics] = None,
    *,
    image_store: Optional[ImageStore] = None,
    progress_every_s: float = 2.0,
    sweep_every_s: float = 30.0,
) -> AvatarBot:
    """The bot with its database, queue producer, notifier and image store, as configured.

    The schema must be at head already (`avatarbot db upgrade`); nothing connects until used.
    """
    session_factory = make_session_factory(make_engine(settings.resolved_database_url))
    if metrics is not None:
        metrics.watch_queue_depth(session_factory, BACKENDS)
    return build_bot(
        settings,
        metrics=metrics,
        session_factory=session_factory,
        producer=make_producer(settings),
        notifier=make_notifier(settings, session_factory),
        image_store=image_store if image_store is not None else make_image_store(settings),
        progress_every_s=progress_every_s,
        sweep_every_s=sweep_every_s,
    )


def run_bot(settings: Settings) -> None:
    """Log in and run until stopped."""
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        raise MissingToken(
            "no Discord bot token: set AVATARBOT_DISCORD_TOKEN "
            "(Discord developer portal -> your application -> Bot -> Reset Token)"
        )
    log_redaction.install()  # the entry point has configured logging by now
    registry = CollectorRegistry()
    image_store = make_image_store(settings)
    bot = build_bot_from_settings(settings, BotMetrics(registry), image_store=image_store)
    ops_server = None
    if settings.metrics_port:
        engine = make_engine(settings.resolved_database_url)
        checks = process_checks(settings, engine, image_store)
        ops_server = OpsServer(registry, checks, settings.metrics_port).start()
    log.info("bot starting with %s", settings.shards.describe())
    try:
        asyncio.run(run_until_stopped(bot, settings.discord_token.get_secret_value()))
    finally:
        if ops_server is not None:
            ops_server.stop()


async def run_until_stopped(bot: AvatarBot, token: str) -> None:
    """Run the bot until it closes; SIGTERM and SIGINT close it cleanly (deliveries under way finish,
    the gateway sessions are closed), so an orchestrator's stop loses nothing that was claimed."""
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def stop(name: str) -> None:
        if not stopping:
            log.warning("%s received: closing the bot", name)
            stopping.append(loop.create_task(bot.close(), name="avatarbot-stop"))

    signals = (signal.SIGTERM, signal.SIGINT)
    for number in signals:
        loop.add_signal_handler(number, stop, signal.Signals(number).name)
    try:
        async with bot:
            await bot.start(token)
            if stopping:
                await asyncio.gather(*stopping, return_exceptions=True)
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
