"""Options every command family shares: `--json`, times as users write them, and JSON given
inline, in a file or on stdin."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.api.inputs import load_json, parse_json
from vigil.errors import ConfigError

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]
Start = Annotated[str | None, typer.Option(help="From this time: ISO 8601, or 15m/2h/7d ago.")]
End = Annotated[str | None, typer.Option(help="Up to this time: ISO 8601, or 15m/2h/7d ago.")]


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
