"""Dashboards as CloudWatch keeps them: a name and a `DashboardBody` (JSON with `widgets` on a
24-column grid), stored as `<home>/dashboards/<name>.json` (the file name is the name).

`validate` splits what PutDashboard says into errors (the body is refused, as CloudWatch
refuses a body that breaks the structure: not JSON, no `widgets` list, a widget type or place
out of range) and warnings (it is stored, and the message says what Vigil will not draw: a
widget kind it has no drawing for, a metrics row it cannot read, an expression it cannot
evaluate), each with the `DataPath` it is about."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from vigil.config import Settings
from vigil.errors import AwsApiError
from vigil.inputs import loads

NAME: Final = re.compile(r"[A-Za-z0-9_\-]{1,255}")
WIDGET_TYPES: Final = frozenset({"metric", "text", "log", "alarm", "explorer", "custom"})
GRID: Final = 24
MAX_WIDGETS: Final = 500


class DashboardError(AwsApiError):
    """A dashboard that cannot be stored or is not there; `code` is CloudWatch's."""

    def __init__(self, code: str, message: str, hint: str | None = None,
                 messages: list[dict[str, str]] | None = None) -> None:  # fmt: skip
        super().__init__(code, f"{code}: {message}", hint=hint)
        self.detail = message
        self.messages = messages or []


@dataclass(frozen=True)
class Dashboard:
    name: str
    body: str
    modified_ms: int
    size: int


def folder(settings: Settings) -> Path:
    return settings.home / "dashboards"


def _path(settings: Settings, name: str) -> Path:
    if not NAME.fullmatch(name):
        raise DashboardError("InvalidParameterInput", f"The value for field DashboardName "
                             f"{name!r} contains invalid characters: A-Z a-z 0-9 - _")  # fmt: skip
    return folder(settings) / f"{name}.json"


def validate(body: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(errors, warnings) as DashboardValidationMessages; a body that is not a JSON object with
    a `widgets` list is refused at once."""
    try:
        doc = loads(body)
    except ValueError as exc:
        raise DashboardError("InvalidParameterInput", f"The field DashboardBody must be a valid "
                             f"JSON object: {exc}") from None  # fmt: skip
    if not isinstance(doc, dict) or not isinstance(doc.get("widgets"), list):
        raise DashboardError("InvalidParameterInput", "The field DashboardBody must be a JSON "
                             'object with a "widgets" list')  # fmt: skip
    widgets = doc["widgets"]
    if len(widgets) > MAX_WIDGETS:
        raise DashboardError("InvalidParameterInput", f"at most {MAX_WIDGETS} widgets")
    errors = [m for i, w in enumerate(widgets) for m in _structure(w, f"/widgets/{i}")]
    return errors, ([] if errors else _drawing(body))


def _structure(w: object, where: str) -> list[dict[str, str]]:
    if not isinstance(w, dict):
        return [{"DataPath": where, "Message": "Should be an object"}]
    messages = []
    if w.get("type") not in WIDGET_TYPES:
        messages.append({"DataPath": f"{where}/type", "Message": "Should be one of "
                         + ", ".join(sorted(WIDGET_TYPES))})  # fmt: skip
    x, width = w.get("x", 0), w.get("width", 6)
    for key, value, low, high in (("x", x, 0, GRID - 1), ("y", w.get("y", 0), 0, None),
                                  ("width", width, 1, GRID),
                                  ("height", w.get("height", 6), 1, 1000)):  # fmt: skip
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (
                high is not None and value > high):  # fmt: skip
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            messages.append({"DataPath": f"{where}/{key}", "Message": f"Should be an integer "
                             f"{span}"})  # fmt: skip
    if isinstance(x, int) and isinstance(width, int) and x + width > GRID:
        messages.append({"DataPath": f"{where}/width", "Message": f"x + width should be at "
                         f"most {GRID}"})  # fmt: skip
    if "properties" in w and not isinstance(w["properties"], dict):
        messages.append({"DataPath": f"{where}/properties", "Message": "Should be an object"})
    return messages


def _drawing(body: str) -> list[dict[str, str]]:
    """What Vigil will not draw: each as a warning on the widget (or the row) it is about."""
    from vigil.metrics import metric_data  # noqa: F401  (the functions others register)
    from vigil.metrics.dashboard_view import read_board
    from vigil.metrics.math import check_expression

    out = []
    for i, w in enumerate(read_board(body).widgets):
        if w.problem:
            out.append({"DataPath": f"/widgets/{i}", "Message": w.problem})
        for j, line in enumerate(w.lines):
            problem = check_expression(line.expression) if line.expression else None
            if problem:
                out.append({"DataPath": f"/widgets/{i}/properties/metrics/{j}",
                            "Message": problem})  # fmt: skip
    return out


def put(settings: Settings, name: str, body: str) -> list[dict[str, str]]:
    """Store a dashboard; its warnings. A body with errors is refused (DashboardError with
    the messages), as PutDashboard refuses it."""
    path = _path(settings, name)
    errors, warnings = validate(body)
    if errors:
        raise DashboardError("InvalidParameterInput", f"The dashboard body is invalid, there "
                             f"are {len(errors)} validation errors: " + "; ".join(
                                 f"{m['DataPath']}: {m['Message']}" for m in errors),
                             messages=errors)  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(body)
    os.replace(tmp, path)
    return warnings


def get(settings: Settings, name: str) -> Dashboard:
    path = _path(settings, name)
    if not path.is_file():
        raise DashboardError("ResourceNotFound", f"Dashboard {name} does not exist",
                             hint="vigil dashboards list")  # fmt: skip
    stat = path.stat()
    return Dashboard(name, path.read_text(), int(stat.st_mtime * 1000), stat.st_size)


def listing(settings: Settings, prefix: str = "") -> list[Dashboard]:
    where = folder(settings)
    names = sorted(p.stem for p in where.glob("*.json")) if where.is_dir() else []
    return [get(settings, n) for n in names if n.startswith(prefix)]


def delete(settings: Settings, names: list[str]) -> None:
    """All or none: an unknown name fails the call and deletes nothing, as CloudWatch does."""
    paths = [_path(settings, n) for n in names]
    missing = [n for n, p in zip(names, paths, strict=True) if not p.is_file()]
    if missing:
        raise DashboardError("ResourceNotFound", f"Dashboard {missing[0]} does not exist")
    for p in paths:
        p.unlink()
