"""The commands the bot syncs: valid for Discord's API, within its limits, fully translated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.command_payloads import bot_command_payloads
from core.settings import Settings
from core.vocabulary import VOCABULARY

# Discord's OpenAPI description sits next to the checkout (../shared), or where this names it.
OPENAPI = Path(
    os.environ.get(
        "AVATARBOT_DISCORD_OPENAPI",
        Path(__file__).resolve().parents[3] / "shared" / "discord-api-spec" / "openapi.json",
    )
)
PUT_COMMANDS = "/applications/{application_id}/commands"
# Discord limits the combined length of a command's names, descriptions and choice values.
MAX_COMMAND_CHARACTERS = 4000
NAME_PUNCTUATION = set("-_'")


@pytest.fixture(scope="module")
def put_commands_validator() -> jsonschema.protocols.Validator:
    if not OPENAPI.exists():
        message = f"Discord's OpenAPI spec is not at {OPENAPI} (set AVATARBOT_DISCORD_OPENAPI)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    spec = json.loads(OPENAPI.read_text())
    body = spec["paths"][PUT_COMMANDS]["put"]["requestBody"]["content"]["application/json"]["schema"]
    # The body schema's $refs point into the document (#/components/...): make it their root.
    root = {**body, "components": spec["components"]}
    return jsonschema.Draft202012Validator(root)


@pytest.fixture(scope="module")
def printed_commands() -> list[dict[str, Any]]:
    env = {"PATH": "/usr/bin:/bin", "AVATARBOT_DATA_DIR": "/nonexistent"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "commands"], capture_output=True, env=env, timeout=60, check=True
    )
    return json.loads(result.stdout.decode("utf-8"))


def _walk(options: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for option in options:
        yield option
        yield from _walk(option.get("options") or [])


def _names(command: dict[str, Any]) -> Iterator[str]:
    for item in [command, *_walk(command.get("options") or [])]:
        yield item["name"]
        yield from (item.get("name_localizations") or {}).values()


def test_python_m_bot_commands_matches_the_put_commands_schema(printed_commands, put_commands_validator) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in put_commands_validator.iter_errors(printed_commands)]
    assert not errors, errors[:5]
    assert [c["name"] for c in printed_commands] == ["avatar", "avatar-mod", "avatar-admin"]


async def test_the_stable_diffusion_commands_match_the_schema_too(put_commands_validator) -> None:
    payloads = await bot_command_payloads(Settings(backend="stable-diffusion"))
    put_commands_validator.validate(payloads)
    create = next(o for o in payloads[0]["options"] if o["name"] == "create")
    assert "details" in [o["name"] for o in create["options"]]


def test_the_validator_rejects_what_discord_would(printed_commands, put_commands_validator) -> None:
    too_long = json.loads(json.dumps(printed_commands))
    too_long[0]["options"][0]["name"] = "x" * 33
    assert not put_commands_validator.is_valid(too_long)
    too_many = json.loads(json.dumps(printed_commands))
    create = next(o for o in too_many[0]["options"] if o["name"] == "create")
    style = next(o for o in create["options"] if o["name"] == "style")
    style["choices"] = [{"name": f"s{i}", "value": f"s{i}"} for i in range(26)]
    assert not put_commands_validator.is_valid(too_many)


def test_create_offers_every_attribute_and_the_extras(printed_commands) -> None:
    create = next(o for o in printed_commands[0]["options"] if o["name"] == "create")
    names = [o["name"] for o in create["options"]]
    assert names == [*VOCABULARY.attributes, "seed", "count", "private"]
    by_name = {o["name"]: o for o in create["options"]}
    assert by_name["count"]["min_value"] == 1 and by_name["count"]["max_value"] == 4
    for attribute in VOCABULARY.attributes:
        option = by_name[attribute]
        offered = [c["value"] for c in option.get("choices", [])]
        assert option.get("autocomplete") or offered == list(VOCABULARY.values[attribute])


def test_names_follow_discords_rules(printed_commands) -> None:
    for command in printed_commands:
        for name in _names(command):
            assert 1 <= len(name) <= 32 and name == name.lower(), name
            assert all(ch.isalnum() or ch in NAME_PUNCTUATION for ch in name), name


def test_sibling_names_are_unique_in_every_language(printed_commands) -> None:
    def check(items: list[dict[str, Any]]) -> None:
        for locale in ("default", "zh-CN"):
            names = [i["name"] if locale == "default" else i["name_localizations"][locale] for i in items]
            assert len(names) == len(set(names)), names
        for item in items:
            if item.get("type", 1) in (1, 2) and item.get("options"):
                check(item["options"])

    check(printed_commands)


def test_every_name_description_and_choice_has_chinese(printed_commands) -> None:
    missing = []
    for command in printed_commands:
        for item in [command, *_walk(command.get("options") or [])]:
            for key in ("name", "description"):
                if "zh-CN" not in (item.get(f"{key}_localizations") or {}):
                    missing.append(f"{key} {item[key]!r}")
            missing += [
                f"choice {c['name']!r}"
                for c in item.get("choices") or []
                if "zh-CN" not in c.get("name_localizations", {})
            ]
    assert not missing, missing


def test_commands_stay_under_discords_combined_length(printed_commands) -> None:
    def length(item: dict[str, Any]) -> int:
        own = len(item["name"]) + len(item.get("description") or "")
        own += sum(len(c["name"]) + len(str(c["value"])) for c in item.get("choices") or [])
        return own + sum(length(o) for o in item.get("options") or [])

    for command in printed_commands:
        assert length(command) <= MAX_COMMAND_CHARACTERS, command["name"]


def test_moderation_and_admin_groups_are_hidden_by_default(printed_commands) -> None:
    by_name = {c["name"]: c for c in printed_commands}
    assert int(by_name["avatar-mod"]["default_member_permissions"]) == 1 << 13  # Manage Messages
    assert int(by_name["avatar-admin"]["default_member_permissions"]) == 1 << 5  # Manage Server
    assert by_name["avatar-mod"]["dm_permission"] is False and by_name["avatar-admin"]["dm_permission"] is False
    assert by_name["avatar"].get("default_member_permissions") is None
