"""`vigil` command line: parse, call vigil.api once, render (tables for people, --json)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Final

import click
import typer

from vigil.api import Settings
from vigil.errors import ConfigError, VigilError
from vigil.shells import render
from vigil.shells.cli import tree

app = typer.Typer(
    help="Vigil: collect AWS logs into a local lake, query them, and watch for threats.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        from vigil import __version__

        render.line(f"vigil {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(help="Where Vigil keeps its data (env VIGIL_HOME; default ./vigil-data)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_show_version
        ),
    ] = False,
) -> None:
    ctx.obj = Settings.load(home)
    asks_help = "--help" in sys.argv[1:]
    if not ctx.obj.home.is_dir() and not asks_help and _command_words(sys.argv[1:]) in READ_ONLY:
        raise ConfigError(
            f"no Vigil home at {ctx.obj.home}: there is nothing to read yet",
            hint="give --home (or VIGIL_HOME) where you ingested, or start with vigil ingest",
        )


def _command_words(argv: list[str]) -> str:
    """`findings list` from `--home h findings list --json`: the command's own words."""
    words: list[str] = []
    skip = False
    for arg in argv:
        if skip or arg.startswith("-"):
            skip = arg == "--home"
            if words:
                break
            continue
        words.append(arg)
    return next((" ".join(words[:n]) for n in (3, 2, 1) if " ".join(words[:n]) in READ_ONLY), "")


# Commands that only read: pointed at a home that does not exist they say so instead of
# creating an empty one and printing nothing.
READ_ONLY: Final = (
    "query", "insights", "lake info", "content backtest", "findings list", "findings show",
    "findings export", "alarms list", "alarms history", "events list", "events audit",
    "events rules list", "events dlq list", "logs groups", "logs streams", "logs get",
    "logs filter", "logs tail", "logs metric-filters", "metrics list", "metrics stats",
    "playbooks runs", "posture history", "posture diff", "posture report", "posture prove",
    "posture estimate-flow-volume", "quarantine list", "quarantine show", "intel list",
)  # fmt: skip


_attached: list[str | None] = []


def attach(word: str | None, *, full: bool = False, sub: str | None = None) -> None:
    """Add the command tree to `app` (once): in full the command that `word` names, or every
    one with `full`; the others only by name and help, as `vigil --help` lists them (`sub`: the
    group's command that runs, when a group borrows commands from another module)."""
    if _attached:
        return
    _attached.append(word)
    for name, (module, attribute, text) in tree.COMMANDS.items():
        if name == word or full:
            app.command(name)(_load(module, attribute))
        else:
            app.command(name, help=text)(_not_built)
    for name, (module, attribute, text) in tree.GROUPS.items():
        if name == word or full:
            app.add_typer(_group(name, module, attribute, sub, every=full), name=name)
        else:
            app.add_typer(typer.Typer(help=text), name=name)


def _group(name: str, module: str, attribute: str, sub: str | None, *, every: bool) -> typer.Typer:
    """A group built in full: its own commands, then those `tree.EXTRA_COMMANDS` gives it —
    in full the one that runs (`sub`), or all of them with `every`; the others by name and
    help."""
    group: typer.Typer = _load(module, attribute)
    for extra_module, extra_attribute, command, text in tree.EXTRA_COMMANDS.get(name, ()):
        if every or sub == command:
            group.command(command)(_load(extra_module, extra_attribute))
        else:
            group.command(command, help=text)(_not_built)
    return group


def _load(module: str, attribute: str) -> Any:
    """The command or group `attribute` of `module`, imported only now."""
    import importlib

    return getattr(importlib.import_module(module), attribute)


def _not_built() -> None:  # never runs: a command is built in full before it runs
    raise ConfigError("internal: command not built")


def _click_types(name: str) -> tuple[type[BaseException], ...]:
    """The exception class from click and from typer's vendored copy of it (typer >= 0.20)."""
    found: list[type[BaseException]] = [getattr(click.exceptions, name)]
    try:
        import importlib

        vendored = importlib.import_module("typer._click.exceptions")
        found.append(getattr(vendored, name))
    except (ImportError, AttributeError):
        pass
    return tuple(found)


AWS_HINTS: Final = {
    "NoCredentialsError": "give credentials the standard way: aws configure, AWS_PROFILE, "
    "or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
    "PartialCredentialsError": "the credentials found are incomplete; check aws configure list",
    "ProfileNotFound": "aws configure list-profiles shows the profiles there are",
    "EndpointConnectionError": "check --endpoint-url, the region and the network",
    "ConnectTimeoutError": "check --endpoint-url, the region and the network",
    "NoRegionError": "give a region: --regions, AWS_DEFAULT_REGION or the profile's region",
}


def _aws_error(exc: Exception) -> tuple[str, str] | None:
    """An error from the AWS SDK as one line and a hint (None for anything else)."""
    if not type(exc).__module__.startswith("botocore"):
        return None
    name = type(exc).__name__
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:  # AWS answered and refused
        error = response["Error"]
        return (
            f"AWS refused: {error.get('Code')}: {error.get('Message')}",
            "check the permissions of the credentials in use (aws sts get-caller-identity)",
        )
    return f"AWS: {exc}", AWS_HINTS.get(name, "check the AWS credentials, region and endpoint")


def main() -> None:
    words = tree.command_words(sys.argv[1:], 2)
    attach(words[0] if words else None, sub=words[1] if len(words) > 1 else None)
    try:
        code = app(standalone_mode=False)
    except VigilError as exc:
        render.print_error(str(exc), exc.hint)
        sys.exit(1)
    except _click_types("Abort"):
        render.print_error("interrupted")
        sys.exit(130)
    except _click_types("ClickException") as exc:
        render.print_error(exc.format_message(), "see vigil --help")  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except _click_types("Exit") as exc:
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except OSError as exc:  # a path the user gave that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        render.print_error(f"{exc.strerror or exc}{where}", "check the path and its permissions")
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("VIGIL_DEBUG"):
            raise
        aws = _aws_error(exc)
        if aws:
            render.print_error(*aws)
            sys.exit(1)
        render.print_error(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug in Vigil; rerun with VIGIL_DEBUG=1 for the traceback and report it",
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
