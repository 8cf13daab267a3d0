"""The bot entry point without a token."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.app import MissingToken, build_bot, run_bot
from core.settings import Settings


def test_run_without_token_says_what_to_set() -> None:
    with pytest.raises(MissingToken, match="AVATARBOT_DISCORD_TOKEN"):
        run_bot(Settings(discord_token=None))


def test_python_m_bot_exits_2_with_one_line(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "AVATARBOT_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot"], capture_output=True, text=True, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "AVATARBOT_DISCORD_TOKEN" in result.stderr


def test_build_bot_does_not_connect() -> None:
    bot = build_bot(Settings())
    assert not bot.is_ready() and bot.settings.backend == "builtin"


def test_build_bot_from_settings_wires_the_database_and_queue(tmp_path) -> None:
    from bot.app import build_bot_from_settings
    from bot.requests.studio import studio_of

    bot = build_bot_from_settings(Settings(data_dir=tmp_path, broker_url="filesystem"))
    services = bot.services
    assert services.session_factory is not None and services.producer is not None
    assert services.notifier is not None and services.image_store is not None
    assert studio_of(services).producer is services.producer
    assert bot.courier is not None and bot.courier.progress_every_s == 2.0  # progress edits at most every 2 s
    engine = services.session_factory.kw["bind"]
    assert str(engine.url).endswith("avatarbot.sqlite3")
    engine.dispose()
    services.producer.close()


def test_interaction_tokens_are_redacted_from_logs() -> None:
    import io
    import logging

    from bot.common import log_redaction

    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpzZWNyZXQtc2VjcmV0"
    stream = io.StringIO()
    logger = logging.getLogger("avatarbot-test-redaction")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(stream))
    logger.setLevel(logging.DEBUG)
    log_redaction.install(logger)
    log_redaction.install(logger)  # once is enough
    url = f"https://discord.com/api/v10/webhooks/1100000000000000001/{token}/messages/@original"
    logger.debug("Webhook ID %s with %s %s has returned status code %s", 1, "PATCH", url, 200)
    logger.debug("POST /interactions/123456789012345678/%s/callback with None", token)
    text = stream.getvalue()
    assert token not in text and text.count("<token>") == 2
    assert len(logger.handlers[0].filters) == 1
