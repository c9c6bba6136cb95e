"""The content kit: one loader for detections, posture checks, metric-filter packs and
playbooks. Each unit is a folder (its name is the id) holding a YAML metadata file, read into a
typed model (pydantic); a field that is wrong is reported with its file, line and column, and
each kind's loader collects every unit's problems (or, with `errors="raise"`, raises the
first). Units
come from the built-in content shipped in the package and from the user's own folder of the
same layout (`<home>/content/` or `Settings.content_dir`). Every unit's cases have one shape:
`cases: [{name, input, expect}]`. A unit whose logic is Python (a check's `check.py`) has it
loaded by `unit_code`, which names the file when it does not load."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
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


def unit_code(path: Path, function: str, may_import: tuple[str, ...]) -> Callable[..., Any]:
    """The function `function` of a unit's Python file, loaded once per version of the file
    (its size and modification time). The file may import the standard library and, of Vigil,
    the modules under `may_import` (a unit's code sits in the layer of what runs it); a file
    that imports another, does not load, or lacks the function is a ContentError naming it."""
    try:
        st = path.stat()
    except OSError as exc:
        raise ContentError("missing", source=str(path)) from exc
    key = (str(path), st.st_size, st.st_mtime_ns, function)
    if key not in _CODE:
        _CODE[key] = _load_code(path, function, may_import)
    return _CODE[key]


_CODE: dict[tuple[str, int, int, str], Callable[..., Any]] = {}


def _load_code(path: Path, function: str, may_import: tuple[str, ...]) -> Callable[..., Any]:
    text = read_text(path, what="a content unit's code")
    try:
        tree = ast.parse(text, str(path))
    except SyntaxError as exc:
        raise ContentError(f"not valid Python: {exc.msg}", source=str(path), line=exc.lineno,
                           column=exc.offset) from exc  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "vigil":  # from vigil import x
            names = [f"vigil.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        for name in names:
            if (name == "vigil" or name.startswith("vigil.")) and not any(
                name == m or name.startswith(m + ".") for m in may_import
            ):
                raise ContentError(f"imports {name}: a unit of this kind may import only "
                                   f"{', '.join(may_import)} of Vigil", source=str(path),
                                   line=node.lineno, column=node.col_offset + 1)  # fmt: skip
    # a name of its own per file, so that a user's unit and a built-in one of the same id differ
    name = "vigil_unit_" + hashlib.sha256(str(path).encode()).hexdigest()[:16]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ContentError("cannot be loaded as Python", source=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing look a module up by its name
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ContentError(f"does not load: {type(exc).__name__}: {exc}", source=str(path),
                           line=_line_in(exc, path)) from exc  # fmt: skip
    found = getattr(module, function, None)
    if not callable(found):
        raise ContentError(f"defines no function {function}()", source=str(path))
    return found  # type: ignore[no-any-return]


def _line_in(exc: BaseException, path: Path) -> int | None:
    """The line of `path` the exception was raised from, when it was."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
