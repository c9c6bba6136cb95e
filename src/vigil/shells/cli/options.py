"""Options every command family shares: `--json`, times as users write them, and JSON given
inline, in a file or on stdin."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.api import Settings
from vigil.api.inputs import load_json, parse_json
from vigil.errors import ConfigError

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]
Start = Annotated[str | None, typer.Option(help="From this time: ISO 8601, or 15m/2h/7d ago.")]
End = Annotated[str | None, typer.Option(help="Up to this time: ISO 8601, or 15m/2h/7d ago.")]


class EngineChoice(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    EngineChoice | None,
    typer.Option(
        "--engine", help="The engine to run on (default: vigil.yaml's engine, or duckdb)."
    ),
]


def on_engine(settings: Settings, engine: EngineChoice | None) -> Settings:
    """The settings with the command's `--engine`, when it was given."""
    return replace(settings, engine=engine.value) if engine else settings


def json_argument(text: str, what: str) -> Any:
    """Inline JSON, a file, or - for stdin."""
    if text == "-":
        return parse_json(sys.stdin.read(), "stdin")
    if not text.lstrip().startswith(("{", "[")):
        path = Path(text)
        if not path.is_file():
            raise ConfigError(f"{what}: {text!r} is neither JSON nor a file")
        return load_json(path)
    return parse_json(text, what)
