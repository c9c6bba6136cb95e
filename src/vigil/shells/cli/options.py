"""Options every command family shares: `--json`, and times as users write them."""

from __future__ import annotations

from typing import Annotated

import typer

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]
Start = Annotated[str | None, typer.Option(help="From this time: ISO 8601, or 15m/2h/7d ago.")]
End = Annotated[str | None, typer.Option(help="Up to this time: ISO 8601, or 15m/2h/7d ago.")]
