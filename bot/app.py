"""Bot factory and runner: everything is built from what is passed in, nothing at import."""

from __future__ import annotations

import logging
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
from bot.gallery import handlers as gallery_handlers
from bot.gallery.commands import avatar_commands as gallery_commands
from bot.gallery.forget_me import ForgetMeButton
from bot.gallery.history import HistoryButton
from bot.i18n import AvatarTranslator
from bot.moderation import handlers as moderation_handlers
from bot.moderation.commands import ModerationCommands
from bot.packs.buttons import PackButton
from bot.packs.commands import avatar_commands as pack_commands
from bot.replies.errors import refusal_reason
from bot.replies.interaction import reply_with_error
from bot.requests import handlers as request_handlers
from bot.requests.commands import avatar_commands as request_commands
from bot.requests.look_editor import LookChoice
from bot.requests.reading_editor import ReadingChoice
from bot.ui.buttons import AvatarButton
from core.db.engine import make_engine, make_session_factory
from core.dispatch import make_producer
from core.errors import AvatarError
from core.health import broker_check, database_check
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
    return {**request_handlers.BUTTON_ACTIONS, **gallery_handlers.BUTTON_ACTIONS, **moderation_handlers.BUTTON_ACTIONS}


def add_commands(tree: app_commands.CommandTree, services: BotServices) -> None:
    """Put every command group on `tree` (global commands; nothing is sent until a sync): /avatar
    holds the requests', the packs' and the gallery's commands; /avatar-mod and /avatar-admin are their
    features' own."""
    avatar = app_commands.Group(name=locale_str("avatar"), description=locale_str("Make cute chibi avatars"))
    for command in (*request_commands(services), *pack_commands(services), *gallery_commands(services)):
        avatar.add_command(command)
    tree.add_command(avatar)
    tree.add_command(ModerationCommands(services))
    tree.add_command(AdminCommands(services))


class AvatarTree(app_commands.CommandTree):
    """The command tree; its on_error is the one error edge of every command."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        check_interaction(interaction)  # BadOptionValue reaches on_error
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        reason = refusal_reason(error)
        outcome = "refused" if reason is not None else "error"
        metrics = getattr(self.client, "metrics", None)
        if isinstance(metrics, BotMetrics):
            metrics.handled(command_label(interaction), outcome, reason=reason)
        log.info(
            "interaction %s %s %s", interaction.id, command_label(interaction), outcome,
            extra={"interaction_id": interaction.id, "command": command_label(interaction), "outcome": outcome},
        )
        await reply_with_error(interaction, error)


# Buttons' custom_id prefixes (a metrics label: anything else is "other").
_BUTTON_PREFIXES = frozenset({"avatar", "forget", "history", "pack"})


def command_label(interaction: discord.Interaction) -> str:
    """A bounded name for what was used: a registered command's qualified name, or a button's kind."""
    if interaction.type is discord.InteractionType.component:
        prefix = str((interaction.data or {}).get("custom_id", "")).split(":", 1)[0]
        return f"button:{prefix}" if prefix in _BUTTON_PREFIXES else "button:other"
    command = interaction.command
    return command.qualified_name if command is not None else "unknown"


class AvatarBot(discord.Client):
    """The Discord client. It receives its services in the constructor (see discord.py's
    examples/advanced_startup.py); the commands are on its tree from the start, and
    setup_hook (run at login) installs the translator and starts delivery."""

    def __init__(
        self,
        services: BotServices,
        *,
        progress_every_s: float = 2.0,
        sweep_every_s: float = 30.0,
    ) -> None:
        # Slash commands and buttons need no privileged intents; guilds keeps channels resolvable.
        super().__init__(intents=discord.Intents(guilds=True), application_id=services.settings.discord_application_id)
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

    async def on_app_command_completion(self, interaction: discord.Interaction, command: Any) -> None:
        if self.metrics is not None:
            self.metrics.handled(command_label(interaction), "ok")
        label = command_label(interaction)
        log.info("interaction %s %s ok", interaction.id, label,
                 extra={"interaction_id": interaction.id, "command": label, "outcome": "ok"})

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
    )
    return AvatarBot(
        services, progress_every_s=progress_every_s, sweep_every_s=sweep_every_s
    )


def build_bot_from_settings(settings: Settings, metrics: Optional[BotMetrics] = None) -> AvatarBot:
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
        image_store=ImageStore(settings.resolved_image_dir),
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
    bot = build_bot_from_settings(settings, BotMetrics(registry))
    ops_server = None
    if settings.metrics_port:
        engine = make_engine(settings.resolved_database_url)
        checks = [database_check(engine), broker_check(settings)]
        ops_server = OpsServer(registry, checks, settings.metrics_port).start()
    try:
        bot.run(settings.discord_token.get_secret_value(), log_handler=None)
    finally:
        if ops_server is not None:
            ops_server.stop()
