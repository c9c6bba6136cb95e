"""Rendering for the CLI: rich tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Markup is off: user text (patterns, file names, log lines) is printed as it is, never read as
# rich markup. Styled output is built from parts with `styled`.
out = Console(markup=False, highlight=False)
err = Console(stderr=True, markup=False, highlight=False)

if TYPE_CHECKING:
    import pyarrow as pa

Part = str | tuple[str, str]  # plain text, or (text, style)


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


def styled(*parts: Part, to_err: bool = False) -> None:
    """One line from plain and styled parts; nothing in them is read as markup."""
    text = Text.assemble(*parts)
    (err if to_err else out).print(text, soft_wrap=True)


def tagged(tag: str, style: str, message: str) -> None:
    """`tag message` on stderr, the tag styled (note:, warning:, rejected:, error:)."""
    styled((tag, style), " ", message, to_err=True)


def line(text: str) -> None:
    out.print(text, soft_wrap=True)


def done(json_out: bool, text: str, doc: dict[str, Any]) -> None:
    """What a command did: a line for people, or (--json) one JSON document for scripts."""
    if json_out:
        print_json(doc)
    else:
        line(text)


def print_error(message: str, hint: str | None = None) -> None:
    tagged("error:", "bold red", message)
    if hint:
        tagged("hint:", "dim", hint)


def table(
    headers: list[str], body: list[list[Any]], title: str | None = None, empty: str = "none"
) -> None:
    """A table of plain cells (rows of any values)."""
    if not body:
        styled((f"{title}: {empty}" if title else empty, "dim"))
        return
    view = Table(title=title, show_lines=False)
    for name in headers:
        view.add_column(name, overflow="fold")
    for row in body:
        view.add_row(*(Text("" if v is None else _cell(v)) for v in row))
    out.print(view)


def dict_table(rows: list[dict[str, Any]], title: str | None = None) -> None:
    """Rows of the same keys as a table, with the count."""
    table([str(k) for k in rows[0]] if rows else [], [list(r.values()) for r in rows], title)
    if rows:
        styled((f"{len(rows)} row(s)", "dim"))


def arrow_table(table: pa.Table, title: str | None = None, limit: int = 1000) -> None:
    view = Table(title=title, show_lines=False)
    for name in table.column_names:
        view.add_column(name, overflow="fold")
    for row in table.slice(0, limit).to_pylist():
        view.add_row(*(Text("" if v is None else _cell(v)) for v in row.values()))
    out.print(view)
    if table.num_rows > limit:
        styled((f"… {table.num_rows - limit} more rows (use --format csv or --out)", "dim"))
    else:
        styled((f"{table.num_rows} row(s)", "dim"))


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
        view.add_row(Text(key), Text(str(value)))
    out.print(view)
