"""Dashboards as CloudWatch keeps them: a name and a `DashboardBody` (JSON with `widgets` on a
24-column grid), stored as `<home>/dashboards/<name>.json` (the file name is the name).

`check_body` returns what PutDashboard returns as `DashboardValidationMessages` (each with the
`DataPath` of the widget it is about); a body that is not a JSON object with a `widgets` list
is refused outright, as CloudWatch does."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from vigil.config import Settings
from vigil.errors import VigilError

NAME: Final = re.compile(r"[A-Za-z0-9_\-]{1,255}")
WIDGET_TYPES: Final = frozenset({"metric", "text", "log", "alarm", "explorer"})
GRID: Final = 24
MAX_WIDGETS: Final = 500


class DashboardError(VigilError):
    """A dashboard that cannot be stored or is not there; `code` is CloudWatch's."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(f"{code}: {message}", hint=hint)
        self.code = code


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


def check_body(body: str) -> list[dict[str, str]]:
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise DashboardError("InvalidParameterInput", f"The field DashboardBody must be a valid "
                             f"JSON object: {exc}") from None  # fmt: skip
    if not isinstance(doc, dict) or not isinstance(doc.get("widgets"), list):
        raise DashboardError("InvalidParameterInput", "The field DashboardBody must be a JSON "
                             'object with a "widgets" list')  # fmt: skip
    widgets = doc["widgets"]
    if len(widgets) > MAX_WIDGETS:
        raise DashboardError("InvalidParameterInput", f"at most {MAX_WIDGETS} widgets")
    messages = []
    for i, w in enumerate(widgets):
        where = f"/widgets/{i}"
        if not isinstance(w, dict):
            messages.append({"DataPath": where, "Message": "Should be an object"})
            continue
        if w.get("type") not in WIDGET_TYPES:
            messages.append({"DataPath": f"{where}/type", "Message": "Should be one of "
                             + ", ".join(sorted(WIDGET_TYPES))})  # fmt: skip
        x, width = w.get("x", 0), w.get("width", 6)
        for key, value in (("x", x), ("y", w.get("y", 0)), ("width", width),
                           ("height", w.get("height", 6))):  # fmt: skip
            if not isinstance(value, int) or value < 0:
                messages.append({"DataPath": f"{where}/{key}", "Message": "Should be an "
                                 "integer of at least 0"})  # fmt: skip
        if isinstance(x, int) and isinstance(width, int) and not 1 <= x + width <= GRID:
            messages.append({"DataPath": f"{where}/width", "Message": f"x + width should be at "
                             f"most {GRID}"})  # fmt: skip
        if "properties" in w and not isinstance(w["properties"], dict):
            messages.append({"DataPath": f"{where}/properties", "Message": "Should be an object"})
    return messages


def put(settings: Settings, name: str, body: str) -> list[dict[str, str]]:
    """Store a dashboard; the validation messages (it is stored only if there are none)."""
    path = _path(settings, name)
    messages = check_body(body)
    if not messages:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(body)
        os.replace(tmp, path)
    return messages


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
