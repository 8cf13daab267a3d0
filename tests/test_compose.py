"""docker-compose.yml, Dockerfile and .env.example, checked against Settings and the CLI.

Docker cannot run here, so this parses the files and checks what `docker compose up` relies on:
the services, healthchecks, depends_on conditions, the GPU reservation, the volumes, that every
AVATARBOT_* variable is a Settings field, that each service gets the settings it needs in
production, that the image's commands are real CLI subcommands, and that the code reads no
environment variable behind Settings' back.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

from avatarbot.cli import build_parser
from core.image_stores import make_image_store
from core.local_images import LocalImageStore
from core.s3_images import S3ImageStore
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOMS = ("core", "generator", "bot", "avatarbot")

APP_SERVICES = ("migrate", "worker", "worker-cpu", "bot")
WORKERS = ("worker", "worker-cpu")
LONG_RUNNING = ("worker", "worker-cpu", "bot")
IMAGE_MOUNT_USERS = ("worker", "worker-cpu", "bot")  # workers write images, the bot uploads them

# Environment variables the code may touch directly, with the reason. Everything else goes
# through Settings (AVATARBOT_*), read once in an entry point.
ALLOWED_ENV_NAMES: dict[str, str] = {}

# `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
PLACEHOLDER = "placeholder-from-test"


# -- reading the files ---------------------------------------------------------------------------


def settings_env_names() -> dict[str, str]:
    """AVATARBOT_* variable name -> Settings field, derived from Settings itself."""
    prefix = Settings.model_config["env_prefix"]
    return {f"{prefix}{name}".upper(): name for name in Settings.model_fields}


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path.name}: not NAME=value: {line!r}")
        values[name.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """What docker compose makes of ${...} in a value, given the operator's .env."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name)
        missing = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":?", "?") and missing:
            raise ValueError(f"${{{name}}} is required: {arg}")
        if op in (":-", "-") and missing:
            return arg
        return value or ""

    return INTERPOLATION.sub(replace, text.replace("$$", "\0")).replace("\0", "$")


def operator_env() -> dict[str, str]:
    """The .env an operator writes from .env.example: its defaults, required secrets filled in."""
    return {name: value or PLACEHOLDER for name, value in read_env_file(ROOT / ".env.example").items()}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as raw strings (before interpolation), list or mapping form."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(name): "" if value is None else str(value) for name, value in env.items()}


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def healthcheck_command(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return shlex.split(test)
    if test[0] == "CMD-SHELL":
        return shlex.split(test[1])
    assert test[0] == "CMD", f"healthcheck test must start with CMD or CMD-SHELL: {test}"
    return list(test[1:])


def named_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Named volume -> mount path (bind mounts left out)."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            target = rest.split(":")[0]
        else:
            if volume.get("type", "volume") != "volume":
                continue
            source, target = volume["source"], volume["target"]
        if not source.startswith((".", "/", "~", "$")):
            mounts[source] = target
    return mounts


def settings_of(service: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings the container would build: only its own environment, interpolated."""
    for name in list(os.environ):
        if name.startswith(Settings.model_config["env_prefix"]):
            monkeypatch.delenv(name)
    env = operator_env()
    for name, value in environment(service).items():
        monkeypatch.setenv(name, interpolate(value, env))
    return Settings()


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, args = pending.strip().partition(" ")
        instructions.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    return instructions


# -- services, healthchecks, ordering -------------------------------------------------------------


def test_services_and_profiles(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= {"postgres", "redis", *APP_SERVICES}
    assert services["worker-cpu"].get("profiles") == ["cpu"]
    assert services["prometheus"].get("profiles") == services["flower"].get("profiles") == ["ops"]
    # Everything else starts with a plain `docker compose up`.
    assert services["minio"].get("profiles") == services["minio-init"].get("profiles") == ["s3"]
    assert [name for name, svc in services.items() if svc.get("profiles")] == [
        "worker-cpu",
        "prometheus",
        "flower",
        "minio",
        "minio-init",
    ]
    assert services["migrate"]["restart"] == "no"  # a string: YAML's bare no would be False
    for name in LONG_RUNNING + ("postgres", "redis"):
        assert services[name].get("restart") in ("unless-stopped", "always"), name


def test_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    postgres = healthcheck_command(services["postgres"])
    assert postgres[0] == "pg_isready"
    env = environment(services["postgres"])
    assert postgres[postgres.index("-U") + 1] == env["POSTGRES_USER"]
    assert postgres[postgres.index("-d") + 1] == env["POSTGRES_DB"]
    assert healthcheck_command(services["redis"]) == ["redis-cli", "ping"]


def test_depends_on_conditions(services: dict[str, dict[str, Any]]) -> None:
    expected = {
        "migrate": {"postgres": "service_healthy"},
        **{
            name: {
                "postgres": "service_healthy",
                "redis": "service_healthy",
                "migrate": "service_completed_successfully",
                # The bucket of --profile s3; optional, so a plain `up` (no MinIO) starts too.
                "minio-init": "service_completed_successfully",
            }
            for name in LONG_RUNNING
        },
        "minio-init": {"minio": "service_healthy"},
    }
    for name, wanted in expected.items():
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: depends_on needs the long form with conditions"
        assert {dep: spec.get("condition") for dep, spec in depends_on.items()} == wanted, name
        for dep, spec in depends_on.items():
            # A service of another profile may not be running: waiting on it must be optional.
            optional = not set(services[dep].get("profiles") or []) <= set(services[name].get("profiles") or [])
            assert spec.get("required", True) is not optional, f"{name} -> {dep}: required must be {not optional}"
    # service_healthy only makes sense on a service that has a healthcheck.
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep}, which has no healthcheck"


def test_gpu_worker_reserves_one_nvidia_gpu_and_cpu_worker_none(services: dict[str, dict[str, Any]]) -> None:
    devices = services["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert len(devices) == 1
    device = devices[0]
    assert device["driver"] == "nvidia"
    assert device["count"] == 1  # an int: compose rejects an interpolated count
    assert "gpu" in device["capabilities"]
    assert "deploy" not in services["worker-cpu"]


def solo_pool_calls(path: Path) -> list[int]:
    """Lines in `path` that start a worker with pool="solo" and concurrency=1."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            keywords = {kw.arg: kw.value for kw in node.keywords if isinstance(kw.value, ast.Constant)}
            pool, concurrency = keywords.get("pool"), keywords.get("concurrency")
            if pool is not None and pool.value == "solo" and concurrency is not None and concurrency.value == 1:
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("name", WORKERS)
def test_workers_run_one_solo_process(name: str, services: dict[str, dict[str, Any]]) -> None:
    # CUDA cannot be re-initialised in a forked child: the solo pool, one process per GPU.
    cmd = command(services[name])
    assert cmd[0] == "worker"
    if "--pool" in cmd or "--concurrency" in cmd:
        assert cmd[cmd.index("--pool") + 1] == "solo"
        assert cmd[cmd.index("--concurrency") + 1] == "1"
    else:
        worker_entry = ROOT / "generator" / "worker.py"
        assert solo_pool_calls(worker_entry), f"{worker_entry.name} must start Celery with pool='solo', concurrency=1"


def test_volumes(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, svc in services.items():
        for volume in named_mounts(svc):
            assert volume in declared, f"{name} mounts undeclared volume {volume}"
    pg_mounts = named_mounts(services["postgres"])
    assert "/var/lib/postgresql/data" in pg_mounts.values(), "postgres data must live on a named volume"
    image_volumes = {
        volume
        for name in IMAGE_MOUNT_USERS
        for volume, target in named_mounts(services[name]).items()
        if target == "/data/images"
    }
    assert len(image_volumes) == 1, f"workers and bot must share one images volume, got {image_volumes}"
    assert not image_volumes & set(pg_mounts)


# -- settings --------------------------------------------------------------------------------------


def test_every_avatarbot_variable_is_a_settings_field(services: dict[str, dict[str, Any]]) -> None:
    known = settings_env_names()
    compose_text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\bAVATARBOT_[A-Z0-9_]+", compose_text))
    used |= {name for name in read_env_file(ROOT / ".env.example") if name.startswith("AVATARBOT_")}
    used |= {
        word
        for keyword, args in dockerfile_instructions()
        if keyword in ("ENV", "ARG")
        for word in re.findall(r"\bAVATARBOT_[A-Z0-9_]+", args)
    }
    assert used, "expected AVATARBOT_* settings in the compose file"
    unknown = sorted(used - set(known))
    assert not unknown, f"not fields of core.settings.Settings (typo?): {unknown}"


def test_env_example_lists_exactly_what_compose_interpolates() -> None:
    compose_text = (ROOT / "docker-compose.yml").read_text()
    interpolated = {m["name"] for m in INTERPOLATION.finditer(compose_text)}
    required = {m["name"] for m in INTERPOLATION.finditer(compose_text) if m["op"] in (None, ":?", "?")}
    listed = set(read_env_file(ROOT / ".env.example"))
    assert required <= listed, f"required but not in .env.example: {sorted(required - listed)}"
    assert listed <= interpolated, f"in .env.example but unused by docker-compose.yml: {sorted(listed - interpolated)}"
    # Without a .env, compose must refuse to start rather than run with an empty secret.
    with pytest.raises(ValueError, match="AVATARBOT_DISCORD_TOKEN"):
        interpolate("${AVATARBOT_DISCORD_TOKEN:?set it}", {"AVATARBOT_DISCORD_TOKEN": ""})


@dataclass(frozen=True)
class Needs:
    database: bool = True
    broker: bool = False
    images: bool = False
    backend: bool = False
    discord: bool = False


NEEDS = {
    "migrate": Needs(),
    "worker": Needs(broker=True, images=True, backend=True),
    "worker-cpu": Needs(broker=True, images=True, backend=True),
    "bot": Needs(broker=True, images=True, backend=True, discord=True),
}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_service_gets_the_settings_it_needs(
    name: str, services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = services[name]
    raw = environment(svc)
    settings = settings_of(svc, monkeypatch)  # validates every value against Settings' types
    needs = NEEDS[name]

    if needs.database:
        url = make_url(settings.resolved_database_url)
        pg_env = {k: interpolate(v, operator_env()) for k, v in environment(services["postgres"]).items()}
        assert url.drivername == "postgresql+psycopg"
        assert (url.host, url.port or 5432) == ("postgres", 5432)
        assert (url.username, url.password, url.database) == (
            pg_env["POSTGRES_USER"],
            pg_env["POSTGRES_PASSWORD"],
            pg_env["POSTGRES_DB"],
        )
    if needs.broker:
        assert settings.uses_redis_broker
        assert urlsplit(settings.broker_url).hostname == "redis"
        assert settings.notification_redis_url, "the bot learns about finished jobs through Redis"
    if needs.images:
        mounts = named_mounts(svc)
        assert "AVATARBOT_IMAGE_DIR" in raw
        assert any(settings.resolved_image_dir.is_relative_to(target) for target in mounts.values()), (
            f"{name}: image dir {settings.resolved_image_dir} is not on a named volume ({mounts})"
        )
    if needs.backend:
        assert "AVATARBOT_BACKEND" in raw
    if needs.discord:
        assert re.fullmatch(r"\$\{AVATARBOT_DISCORD_TOKEN:\?[^}]+\}", raw["AVATARBOT_DISCORD_TOKEN"])
        assert settings.discord_token is not None
        assert settings.discord_token.get_secret_value() == PLACEHOLDER
    else:
        assert "AVATARBOT_DISCORD_TOKEN" not in raw, f"{name} has no use for the Discord token"


def test_worker_devices(services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment(services["worker"])["AVATARBOT_DEVICE"] == "cuda"
    assert environment(services["worker-cpu"])["AVATARBOT_DEVICE"] == "cpu"
    assert settings_of(services["worker"], monkeypatch).device == "cuda"


def test_services_agree_on_database_broker_queue_and_images(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = {}
    for name in APP_SERVICES:
        s = settings_of(services[name], monkeypatch)
        seen[name] = (s.resolved_database_url, s.broker_url, s.queue_name, s.resolved_image_dir)
    assert len({v[0] for v in seen.values()}) == 1, seen
    # The bot enqueues on its backend's queue; the workers must consume that queue.
    assert len({v[1:] for n, v in seen.items() if n != "migrate"}) == 1, seen


# -- the image -------------------------------------------------------------------------------------


def test_dockerfile_installs_torch_first_then_lock_then_project() -> None:
    steps = dockerfile_instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = [(i, args) for i, (keyword, args) in enumerate(steps) if keyword == "RUN"]

    def first(pattern: str) -> int:
        hits = [i for i, args in runs if re.search(pattern, args)]
        assert hits, f"no RUN step matches {pattern!r}"
        return hits[0]

    torch_step = first(r"pip install .*torch==2\.13\.0")
    assert "${TORCH_INDEX_URL}" in steps[torch_step][1]
    assert ("ARG", "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu") in steps[:torch_step]
    lock_step = first(r"pip install .*-r \S*requirements\.lock")
    project_step = first(r"pip install --no-deps ")
    assert torch_step < lock_step < project_step


def test_image_runs_as_non_root_with_avatarbot_entrypoint() -> None:
    steps = dockerfile_instructions()
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    entrypoints = [args for keyword, args in steps if keyword == "ENTRYPOINT"]
    assert entrypoints and ast.literal_eval(entrypoints[-1]) == ["avatarbot"]
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["avatarbot"] == "avatarbot.cli:main"


def test_compose_builds_with_dockerfile_args(services: dict[str, dict[str, Any]]) -> None:
    declared_args = {args.split("=")[0] for keyword, args in dockerfile_instructions() if keyword == "ARG"}
    for name in APP_SERVICES:
        build = services[name]["build"]
        assert build["context"] == "."
        assert set(build.get("args") or {}) <= declared_args, name
    gpu_index = interpolate(services["worker"]["build"]["args"]["TORCH_INDEX_URL"], operator_env())
    assert "/whl/cpu" not in gpu_index, "the GPU worker needs torch's CUDA build"
    for name in ("migrate", "worker-cpu", "bot"):
        assert services[name]["build"]["args"]["TORCH_INDEX_URL"].endswith("/whl/cpu")


def test_dockerignore_keeps_secrets_and_bulk_out() -> None:
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for needed in (".env", ".git", ".venv/", "**/node_modules/", "var/", "*.ckpt"):
        assert needed in patterns, needed


@pytest.mark.parametrize("name", APP_SERVICES)
def test_commands_are_cli_subcommands(name: str, services: dict[str, dict[str, Any]]) -> None:
    cmd = command(services[name])
    expected = {"migrate": ["db", "upgrade"], "bot": ["bot"], "worker": ["worker"], "worker-cpu": ["worker"]}[name]
    assert cmd[: len(expected)] == expected
    # The CLI's own parser raises UsageError on an unknown subcommand or option.
    build_parser().parse_args(cmd)


# -- no environment reads behind Settings' back ----------------------------------------------------


def env_accesses(tree: ast.AST) -> list[tuple[int, str, str | None]]:
    """(line, kind, variable) for every use of os.environ / getenv; kind: read, write, copy, unknown."""
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node

    def is_environ(node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb"):
            return isinstance(node.value, ast.Name) and node.value.id == "os"
        return isinstance(node, ast.Name) and node.id in ("environ", "environb")

    def is_getenv(node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute) and node.attr in ("getenv", "getenvb", "putenv", "unsetenv"):
            return isinstance(node.value, ast.Name) and node.value.id == "os"
        return isinstance(node, ast.Name) and node.id in ("getenv", "getenvb", "putenv", "unsetenv")

    def constant(node: ast.AST | None) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(tree):
        parent = parents.get(node)
        if is_getenv(node):
            call = parent if isinstance(parent, ast.Call) and parent.func is node else None
            name = constant(call.args[0]) if call and call.args else None
            kind = "write" if getattr(node, "attr", getattr(node, "id", "")) in ("putenv", "unsetenv") else "read"
            found.append((node.lineno, kind if name else "unknown", name))
        elif is_environ(node):
            grand = parents.get(parent) if parent else None
            if isinstance(parent, ast.Subscript) and parent.value is node:
                kind = "read" if isinstance(parent.ctx, ast.Load) else "write"
                found.append((node.lineno, kind if constant(parent.slice) else "unknown", constant(parent.slice)))
            elif isinstance(parent, ast.Attribute) and isinstance(grand, ast.Call) and grand.func is parent:
                method = parent.attr
                name = constant(grand.args[0]) if grand.args else None
                if method == "copy" and not grand.args:
                    found.append((node.lineno, "copy", None))
                elif method in ("get", "pop", "setdefault") and name:
                    found.append((node.lineno, "read" if method == "get" else "write", name))
                else:
                    found.append((node.lineno, "unknown", None))
            elif isinstance(parent, ast.Compare) and node in parent.comparators:
                found.append((node.lineno, "read", constant(parent.left)))
            elif isinstance(parent, ast.Dict) and node in parent.values and None in parent.keys:
                found.append((node.lineno, "copy", None))  # {**os.environ, ...} for a child process
            elif isinstance(parent, ast.Call) and getattr(parent.func, "id", None) == "dict" and parent.args == [node]:
                found.append((node.lineno, "copy", None))
            else:
                found.append((node.lineno, "unknown", None))
    return sorted(found, key=lambda access: access[0])


def test_env_scanner_sees_reads_writes_and_copies() -> None:
    # The scanner itself must catch each form, or the next test could never fail.
    code = (
        "import os\nfrom os import environ, getenv\n"
        "a = os.environ['A']\nb = os.environ.get('B')\nc = os.getenv('C')\nd = getenv('D')\n"
        "e = 'E' in os.environ\nos.environ['F'] = '1'\nos.environ.setdefault('G', '1')\n"
        "h = environ['H']\nchild = {**os.environ, 'X': '1'}\nalias = os.environ\n"
    )
    kinds = [(kind, name) for _, kind, name in env_accesses(ast.parse(code))]
    assert kinds == [
        ("read", "A"),
        ("read", "B"),
        ("read", "C"),
        ("read", "D"),
        ("read", "E"),
        ("write", "F"),
        ("write", "G"),
        ("read", "H"),
        ("copy", None),
        ("unknown", None),
    ]


def test_code_reads_no_environment_variable_outside_settings() -> None:
    problems = []
    files = [
        path
        for room in SOURCE_ROOMS
        for path in sorted((ROOT / room).rglob("*.py"))
        if "node_modules" not in path.parts
    ]
    assert any(path.name == "settings.py" for path in files)
    for path in files:
        text = path.read_text()
        if "environ" not in text and "getenv" not in text and "putenv" not in text:
            continue
        for line, kind, name in env_accesses(ast.parse(text, filename=str(path))):
            where = f"{path.relative_to(ROOT)}:{line}"
            if kind == "copy":
                continue  # handing the whole environment to a child process reads nothing itself
            if kind == "unknown":
                problems.append(f"{where}: environment used in a way this test cannot check")
            elif name not in ALLOWED_ENV_NAMES:
                problems.append(f"{where}: {kind}s {name} (add a Settings field instead)")
    assert not problems, "\n".join(problems)


# -- operations: metrics ports and Prometheus' scrape targets ------------------------------------------


def test_prometheus_scrapes_every_metrics_port_and_nothing_else(services: dict[str, dict[str, Any]]) -> None:
    config = yaml.safe_load((ROOT / "ops" / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    ports = {
        f"{name}:{service['environment']['AVATARBOT_METRICS_PORT']}"
        for name, service in services.items()
        if "AVATARBOT_METRICS_PORT" in (service.get("environment") or {})
    }
    assert ports == {"bot:9100", "worker:9101", "worker-cpu:9102"}
    assert targets == ports
    mounted = services["prometheus"]["volumes"][0].split(":")
    assert mounted[0] == "./ops/prometheus.yml" and mounted[1] == "/etc/prometheus/prometheus.yml"


def test_the_grafana_dashboard_queries_metrics_the_code_defines() -> None:
    import json
    import re

    dashboard = json.loads((ROOT / "ops" / "grafana" / "avatarbot-dashboard.json").read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"avatarbot_[a-z_]+", target["expr"])
    }
    defined = {
        name
        for path in (ROOT / "generator" / "metrics.py", ROOT / "bot" / "common" / "metrics.py")
        for name in re.findall(r'"(avatarbot_[a-z_]+)"', path.read_text())
    }
    suffixes = ("_bucket", "_count", "_sum")
    assert {n.removesuffix(s) for n in used for s in suffixes if n.endswith(s)} | {
        n for n in used if not n.endswith(suffixes)
    } <= defined


# -- images in S3 (--profile s3) -------------------------------------------------------------------


def test_the_s3_profile_runs_minio_and_makes_the_bucket_the_services_use(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    minio, init = services["minio"], services["minio-init"]
    assert command(minio)[:2] == ["server", "/data"] and "minio" in named_mounts(minio)
    assert healthcheck_command(minio) == ["mc", "ready", "local"]
    assert minio["restart"] == "unless-stopped" and init["restart"] == "no"
    s3 = operator_env() | {
        "AVATARBOT_IMAGE_BACKEND": "s3",
        "AVATARBOT_S3_ACCESS_KEY_ID": "avatarbot",
        "AVATARBOT_S3_SECRET_ACCESS_KEY": "a-long-password",
    }
    monkeypatch.setattr(sys.modules[__name__], "operator_env", lambda: s3)
    minio_env = {k: interpolate(v, s3) for k, v in environment(minio).items()}
    init_env = {k: interpolate(v, s3) for k, v in environment(init).items()}
    assert init_env["MINIO_ROOT_USER"] == minio_env["MINIO_ROOT_USER"] == "avatarbot"
    assert init_env["MINIO_ROOT_PASSWORD"] == minio_env["MINIO_ROOT_PASSWORD"] == "a-long-password"
    script = " ".join(command(init))
    assert 'mc alias set store http://minio:9000 "$$MINIO_ROOT_USER" "$$MINIO_ROOT_PASSWORD"' in script
    assert 'mc mb --ignore-existing "store/$$BUCKET"' in script
    for name in LONG_RUNNING:
        settings = settings_of(services[name], monkeypatch)
        store = make_image_store(settings)
        assert isinstance(store, S3ImageStore), name
        assert (store.bucket, store.endpoint) == (init_env["BUCKET"], "http://minio:9000"), name
        assert settings.s3_access_key_id is not None and settings.s3_secret_access_key is not None
        assert settings.s3_access_key_id.get_secret_value() == minio_env["MINIO_ROOT_USER"]
        assert settings.s3_secret_access_key.get_secret_value() == minio_env["MINIO_ROOT_PASSWORD"]


def test_without_the_s3_profile_images_stay_on_the_volume(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in LONG_RUNNING:
        store = make_image_store(settings_of(services[name], monkeypatch))
        assert isinstance(store, LocalImageStore) and store.root == Path("/data/images"), name
