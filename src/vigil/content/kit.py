"""The content kit: one loader for detections, posture checks, metric-filter packs and
playbooks. Each unit is a folder (its name is the id) holding a YAML metadata file, read into a
typed model (pydantic); a field that is wrong is reported with its file, line and column, and
each kind's loader collects every unit's problems (or, with `errors="raise"`, raises the
first). Units
come from the built-in content shipped in the package and from the user's own folder of the
same layout (`<home>/content/` or `Settings.content_dir`). Every unit's cases have one shape:
`cases: [{name, input, expect}]`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from vigil.content import content_root
from vigil.errors import FormatError
from vigil.inputs import InputError, parse_yaml, read_text

Kind = Literal["detection", "check", "metric_filter", "playbook"]
KINDS: Final[tuple[Kind, ...]] = ("detection", "check", "metric_filter", "playbook")
Origin = Literal["built-in", "user", "imported Sigma"]
Errors = Literal["raise", "collect"]  # fail fast, or gather every unit's problem
FOLDER: Final[dict[Kind, str]] = {
    "detection": "detections", "check": "checks", "metric_filter": "metric_filters",
    "playbook": "playbooks",
}  # fmt: skip
META: Final[dict[Kind, str]] = {
    "detection": "detection.yaml", "check": "check.yaml", "metric_filter": "filter.yaml",
    "playbook": "playbook.yaml",
}  # fmt: skip
M = TypeVar("M", bound=BaseModel)


class ContentError(FormatError):
    """A content unit that cannot be loaded or whose case fails; says which file and field."""


class Strict(BaseModel):
    """Metadata models: unknown fields are errors (a misspelt key would be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Case(Strict):
    name: str
    input: Any
    expect: Any


@dataclass(frozen=True)
class CaseResult:
    """One case of one unit, run: what it expected, what the unit did."""

    unit: str
    case: str
    passed: bool
    expected: Any
    found: Any
    problem: str = ""
    kind: Kind = "detection"


@dataclass(frozen=True)
class Root:
    path: Path
    origin: Origin


def roots(user_dir: Path | None = None) -> list[Root]:
    """The built-in content, then the user's folder when it exists."""
    found = [Root(content_root(), "built-in")]
    if user_dir is not None and user_dir.is_dir():
        found.append(Root(user_dir, "user"))
    return found


def folders(root: Path, kind: Kind) -> Iterator[Path]:
    """The unit folders of a kind under a root (metric filters sit one level down, in packs;
    folders starting with `_` hold shared parts, such as templates)."""
    base = root / FOLDER[kind]
    if not base.is_dir():
        return
    candidates = base.glob("*/*") if kind == "metric_filter" else base.glob("*")
    for path in sorted(candidates):
        if path.is_dir() and not path.name.startswith("_") and (path / META[kind]).is_file():
            yield path


def unit_id(path: Path, kind: Kind) -> str:
    return f"{path.parent.name}/{path.name}" if kind == "metric_filter" else path.name


def read_meta(path: Path, model: type[M], *, without: str | None = None) -> M:
    """A metadata file as its model; a wrong field names its line and column. `without`
    leaves a top-level block unread (a run needs no test cases, the bulk of a unit's file);
    a file that is wrong is read whole again, so that its error says the right line."""
    text = read_text(path, what="a content unit")
    if without is not None:
        try:
            return model.model_validate(parse_yaml(_without(text, without), str(path)))
        except (InputError, ValidationError):
            pass
    try:
        doc = parse_yaml(text, str(path))
    except InputError as exc:
        raise ContentError(exc.message, source=exc.path, line=exc.line, column=exc.column) from exc
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        # a misspelt field explains the missing one it was meant to be: say it first
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        loc = tuple(first["loc"])
        line, column = _position(text, loc, key=first["type"] == "extra_forbidden")
        field = ".".join(str(p) for p in loc) or "the document"
        if first["type"] == "missing":
            message = f"field {field!r} is missing"
        elif first["type"] == "extra_forbidden":
            message = f"field {field!r} is not one this unit has (misspelt?)"
        else:
            message = f"field {field!r}: {first['msg'].removeprefix('Value error, ')}"
        raise ContentError(message, source=str(path), line=line, column=column) from exc


def _without(text: str, key: str) -> str:
    """The YAML text without the top-level block `key:` (up to the next top-level key)."""
    lines = text.splitlines(keepends=True)
    start = next((n for n, line in enumerate(lines) if line.startswith(f"{key}:")), None)
    if start is None:
        return text
    end = next((n for n in range(start + 1, len(lines))
                if lines[n][:1].isalpha() or lines[n].startswith("---")), len(lines))  # fmt: skip
    return "".join(lines[:start] + lines[end:])


def _position(
    text: str, loc: tuple[Any, ...], *, key: bool = False
) -> tuple[int | None, int | None]:
    """The 1-based line and column of the node at `loc` (its key with `key`), or of its
    nearest parent."""
    try:
        node: Any = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None, None
    where = node
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == part), None)
            child = pair[0] if pair and key and part == loc[-1] else (pair[1] if pair else None)
            if child is None:  # a missing key: point at the mapping
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = where = child
    if where is None:
        return None, None
    return where.start_mark.line + 1, where.start_mark.column + 1
