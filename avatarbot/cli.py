"""The `avatarbot` command: generate, photo, edit, pack, export, animate, worker, bot, db upgrade, reconcile.

Settings are built once in main() and passed down. This is an edge: an
AvatarError shows its own sentence; bad input exits 2 with one line; anything
else prints "internal error (id …)" and the traceback goes to the log file.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, Optional

from pydantic import ValidationError

from avatarbot.errors import UsageError
from core.errors import AvatarError, ImageStoreMisconfigured, InvalidAnimation, InvalidExport, InvalidSpec
from core.json_logs import log_formatter
from core.settings import Settings
from core.spec import MAX_COUNT, MAX_SEED, AvatarSpec, parse_spec
from core.vocabulary import ATTRIBUTES, VALUES

log = logging.getLogger("avatarbot")

EXIT_FAILED = 1
EXIT_USAGE = 2
PROG = "avatarbot"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage dump) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Cute chibi avatars from a diffusion model, through a real queue.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    generate = commands.add_parser(
        "generate", help="make avatars: specs -> queue -> worker -> PNG files and a contact sheet"
    )
    for attribute in ATTRIBUTES:
        flag = "--" + attribute.replace("_", "-")
        # Values are checked by the spec (one readable message), not by argparse choices.
        generate.add_argument(flag, dest=attribute, metavar="VALUE", help=f"one of: {', '.join(VALUES[attribute])}")
    generate.add_argument("--seed", metavar="N", help=f"whole number 0..{MAX_SEED} (random when left out)")
    generate.add_argument("--count", metavar="N", help=f"how many avatars of this spec, 1..{MAX_COUNT} (default 1)")
    generate.add_argument("--details", metavar="TEXT", help="free text, used only by text-conditioned backends")
    generate.add_argument("--examples", action="store_true", help="make a handful of varied example avatars")
    generate.add_argument("--out", metavar="DIR", type=Path, default=Path("out"), help="output folder (default out/)")
    generate.add_argument(
        "--timeout", metavar="SECONDS", type=float, default=900.0, help="give up waiting after this long"
    )

    _add_photo_parser(commands)
    _add_export_parser(commands)
    _add_animate_parser(commands)
    _add_look_parsers(commands)
    commands.add_parser("worker", help="run a worker for the configured backend's queue (solo pool)")
    commands.add_parser("bot", help="run the Discord bot (needs AVATARBOT_DISCORD_TOKEN)")
    db_parser = commands.add_parser("db", help="database maintenance")
    db_commands = db_parser.add_subparsers(dest="db_command", required=True, metavar="ACTION", parser_class=_Parser)
    db_commands.add_parser("upgrade", help="run the migrations up to the newest schema")
    reconcile = commands.add_parser("reconcile", help="re-send lost jobs and return jobs of dead workers, once")
    reconcile.add_argument(
        "--now",
        action="store_true",
        help="re-send every queued job with no message in the broker without waiting for its lease (after an outage)",
    )
    return parser


def _add_photo_parser(commands: argparse._SubParsersAction) -> None:
    photo = commands.add_parser(
        "photo", help="avatars from photos: read each face's hair, skin, glasses, smile; options override"
    )
    photo.add_argument("paths", metavar="PATH", nargs="+", type=Path, help="photo files (JPEG, PNG, WebP)")
    for attribute in ATTRIBUTES:
        flag = "--" + attribute.replace("_", "-")
        photo.add_argument(flag, dest=attribute, metavar="VALUE", help=f"one of: {', '.join(VALUES[attribute])}")
    photo.add_argument("--seed", metavar="N", help=f"whole number 0..{MAX_SEED} (random when left out)")
    photo.add_argument("--out", metavar="DIR", type=Path, default=Path("out"), help="output folder (default out/)")
    photo.add_argument("--timeout", metavar="SECONDS", type=float, default=900.0, help="give up waiting after this")


def _add_export_parser(commands: argparse._SubParsersAction) -> None:
    from core.export.options import FRAMES, SHAPES, SIZES

    export = commands.add_parser(
        "export", help="a profile-ready file from an avatar PNG: transparent, round, framed, up to 1024 px"
    )
    export.add_argument("image", metavar="IMAGE", type=Path, help="an avatar PNG (from generate, or saved)")
    export.add_argument("--transparent", action="store_true", help="cut the character out of its background")
    export.add_argument("--shape", metavar="SHAPE", help=f"one of: {', '.join(SHAPES)} (default square)")
    export.add_argument("--frame", metavar="NAME", help=f"one of: {', '.join(FRAMES)} (default none)")
    export.add_argument("--size", metavar="PX", help=f"one of: {', '.join(map(str, SIZES))} (default 256)")
    export.add_argument("--webp", action="store_true", help="write WebP instead of PNG")
    export.add_argument("--out", metavar="DIR", type=Path, default=Path("out"), help="output folder (default out/)")


def _add_animate_parser(commands: argparse._SubParsersAction) -> None:
    from core.export.animation import MOTIONS

    animate = commands.add_parser(
        "animate", help="a short looping animation of an avatar PNG, drawn by a worker: APNG, WebP and sticker"
    )
    animate.add_argument("image", metavar="IMAGE", type=Path, help="an avatar PNG made by avatarbot or the bot")
    animate.add_argument("--motion", metavar="MOTION", default=MOTIONS[0], help=f"one of: {', '.join(MOTIONS)}")
    animate.add_argument("--out", metavar="DIR", type=Path, default=Path("out"), help="output folder (default out/)")
    animate.add_argument("--timeout", metavar="SECONDS", type=float, default=900.0, help="give up waiting after this")


def export_options(args: argparse.Namespace):  # -> ExportOptions (imported lazily: the CLI starts fast)
    """The options given with `export`, checked now (InvalidExport) so bad input writes nothing."""
    from core.export import parse_export_options

    return parse_export_options(
        {
            "background": "transparent" if args.transparent else None,
            "shape": args.shape,
            "frame": args.frame,
            "size": args.size,
            "format": "webp" if args.webp else None,
        }
    )
def _add_look_parsers(commands: argparse._SubParsersAction) -> None:
    edit = commands.add_parser(
        "edit", help="the same character with some attributes changed, from a PNG avatarbot made"
    )
    edit.add_argument("image", metavar="IMAGE", type=Path, help="a PNG avatarbot made (its spec and seed are read)")
    edit.add_argument("--set", dest="changes", metavar="ATTRIBUTE=VALUE", action="append", default=[],
                      help=f"a new value, e.g. hair_color=blue (repeatable); attributes: {', '.join(ATTRIBUTES)}")
    edit.add_argument("--out", metavar="DIR", type=Path, default=Path("out"), help="output folder (default out/)")
    edit.add_argument("--timeout", metavar="SECONDS", type=float, default=900.0, help="give up waiting after this")
    pack = commands.add_parser(
        "pack", help="the same character in every expression its style offers, as emoji and sticker PNGs"
    )
    pack.add_argument("image", metavar="IMAGE", type=Path, help="a PNG avatarbot made (its spec and seed are read)")
    pack.add_argument("--name", metavar="NAME", help="emoji names are NAME_<expression> (default: the file's name)")
    pack.add_argument("--out", metavar="DIR", type=Path, default=Path("out"), help="output folder (default out/)")
    pack.add_argument("--timeout", metavar="SECONDS", type=float, default=900.0, help="give up waiting after this")


def look_order(args: argparse.Namespace) -> Optional[tuple]:
    """For edit and pack: the source PNG read and the plan checked (InvalidSpec, UsageError) before any job."""
    if args.command not in ("edit", "pack"):
        return None
    from avatarbot.looks import default_name, edit_plan_from_args, pack_plan_from_args, parse_changes, read_source

    if args.command == "edit":
        changes = parse_changes(args.changes)
        source = read_source(args.image)
        return source, edit_plan_from_args(source, changes), None
    source = read_source(args.image)
    name = args.name if args.name is not None else default_name(source)
    return source, pack_plan_from_args(source, name), name


def photo_overrides(args: argparse.Namespace) -> dict[str, str]:
    """The options given with `photo`, checked now (InvalidSpec) so bad input never reads a photo."""
    given = {name: getattr(args, name) for name in (*ATTRIBUTES, "seed")}
    given = {name: value for name, value in given.items() if value is not None}
    parse_spec(given)
    return given


def specs_from_args(args: argparse.Namespace) -> list[AvatarSpec]:
    """The specs to render: the examples, or one spec from the options."""
    from avatarbot.generate import example_specs

    given = {name: getattr(args, name) for name in (*ATTRIBUTES, "seed", "count", "details")}
    given = {name: value for name, value in given.items() if value is not None}
    if args.examples:
        if given:
            raise UsageError(f"--examples makes its own specs; leave out --{next(iter(given)).replace('_', '-')}")
        return example_specs()
    return [parse_spec(given)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        settings = _settings()
        # Input is checked before anything is written (logs included).
        specs = specs_from_args(args) if args.command == "generate" else []
        overrides = photo_overrides(args) if args.command == "photo" else {}
        if args.command == "export":
            args.export_options = export_options(args)
        if args.command == "animate":
            from avatarbot.animate import check_animation_request

            check_animation_request(args.image, args.motion)
        look = look_order(args)
        _configure_logging(settings, args.command)
        if look is not None:
            return _run_look(args, settings, *look)
        return _run(args, settings, specs, overrides)
    except UsageError as exc:
        message = str(exc)
        return _fail(message if message.startswith(PROG) else f"{PROG}: {message}", EXIT_USAGE)
    except (InvalidSpec, InvalidExport, InvalidAnimation, ImageStoreMisconfigured) as exc:
        return _fail(f"{PROG}: {exc}", EXIT_USAGE)
    except AvatarError as exc:
        return _fail(f"{PROG}: {exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail(f"{PROG}: interrupted", 130)
    except Exception:  # the CLI's one edge handler: an id on screen, the traceback in the log
        error_id = secrets.token_hex(4)
        log.exception("internal error %s", error_id)
        return _fail(f"{PROG}: internal error (id {error_id})", EXIT_FAILED)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_setting_problem(e) for e in exc.errors())
        raise UsageError(f"{PROG}: bad settings: {problems}") from exc


def _setting_problem(error: Any) -> str:
    # A check across several settings (no location) names its variables in its own message.
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    return f"AVATARBOT_{'_'.join(map(str, error['loc'])).upper()}: {message}"


def _run(args: argparse.Namespace, settings: Settings, specs: Sequence[AvatarSpec], overrides: dict[str, str]) -> int:
    if args.command == "generate":
        from avatarbot.generate import run_generate_command

        return run_generate_command(settings, specs, args.out, timeout_s=args.timeout, stdout=sys.stdout)
    if args.command == "photo":
        from avatarbot.photo import run_photo_command

        return run_photo_command(settings, args.paths, overrides, args.out, timeout_s=args.timeout, stdout=sys.stdout)
    if args.command == "export":
        from avatarbot.export import run_export_command
        from core.export.learned_matte import default_matter

        return run_export_command(args.image, args.export_options, args.out, matter=default_matter(), stdout=sys.stdout)
    if args.command == "animate":
        from avatarbot.animate import run_animate_command

        return run_animate_command(
            settings, args.image, args.motion, args.out, timeout_s=args.timeout, stdout=sys.stdout
        )
    if args.command == "worker":
        from generator.worker import run_worker

        return run_worker(settings, loglevel=settings.log_level)
    if args.command == "bot":
        from bot.app import run_bot

        run_bot(settings)
        return 0
    if args.command == "db":
        from core.db.engine import safe_url
        from core.db.migrate import upgrade

        upgrade(settings.resolved_database_url)
        print(f"database is at the newest schema: {safe_url(settings.resolved_database_url)}")
        return 0
    if args.command == "reconcile":
        return _reconcile(settings, now=args.now)
    raise UsageError(f"{PROG}: unknown command {args.command!r}")


def _run_look(args: argparse.Namespace, settings: Settings, source, plan, name: Optional[str]) -> int:
    from avatarbot.looks import run_edit_command, run_pack_command

    if args.command == "edit":
        return run_edit_command(settings, source, plan, args.out, timeout_s=args.timeout, stdout=sys.stdout)
    return run_pack_command(settings, source, plan, name or "avatar", args.out, timeout_s=args.timeout,
                            stdout=sys.stdout)


def _reconcile(settings: Settings, *, now: bool = False) -> int:
    from core.db.engine import make_engine, make_session_factory
    from core.dispatch import make_producer
    from generator.reconcile import reconcile

    engine = make_engine(settings.resolved_database_url)
    producer = make_producer(settings)
    try:
        report = reconcile(settings, make_session_factory(engine), producer, now=now)
    finally:
        producer.close()
        engine.dispose()
    print(f"reconciler: {report.summary()}")
    return 0


def _configure_logging(settings: Settings, command: str) -> None:
    if command == "worker":
        return  # Celery sets up the worker's logging itself
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    root = logging.getLogger()
    root.setLevel(level)
    # Tracebacks go to a log file; the screen gets one-line messages.
    try:
        log_dir = settings.data_dir.resolve() / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_dir / "avatarbot.log")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(log_formatter(settings.log_format))
    root.addHandler(handler)
    if command == "bot":
        console = logging.StreamHandler(sys.stderr)
        short = logging.Formatter("%(levelname)s %(name)s: %(message)s")
        console.setFormatter(log_formatter("json") if settings.log_format == "json" else short)
        root.addHandler(console)


def _fail(message: str, code: int) -> int:
    print(message.splitlines()[0] if message else PROG, file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
