"""Rendering for the CLI: rich tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, default=_default, indent=None, ensure_ascii=False)


def print_json(value: Any) -> None:
    sys.stdout.write(to_json(value) + "\n")


def print_error(message: str, hint: str | None = None) -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    if hint:
        err.print(f"[dim]hint:[/] {hint}", markup=True, highlight=False, soft_wrap=True)


def arrow_table(table: pa.Table, title: str | None = None, limit: int = 1000) -> None:
    view = Table(title=title, show_lines=False)
    for name in table.column_names:
        view.add_column(name, overflow="fold")
    for row in table.slice(0, limit).to_pylist():
        view.add_row(*("" if v is None else _cell(v) for v in row.values()))
    out.print(view)
    if table.num_rows > limit:
        out.print(f"[dim]… {table.num_rows - limit} more rows (use --format csv or --out)[/]")
    else:
        out.print(f"[dim]{table.num_rows} row(s)[/]")


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return to_json(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(table: pa.Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(["" if v is None else _cell(v) for v in row.values()])
    return buffer.getvalue()


def rows(pairs: list[tuple[str, Any]], title: str | None = None) -> None:
    view = Table(title=title, show_header=False, box=None)
    view.add_column(style="bold")
    view.add_column()
    for key, value in pairs:
        view.add_row(key, str(value))
    out.print(view)
