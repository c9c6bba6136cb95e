"""The layers of DESIGN.md, checked: every import (lazy ones inside functions too) goes to the
module's own layer or below; the shells reach the library only through the service layer; DuckDB
is imported only by the engine and the lake writer."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Final

SRC: Final = Path(__file__).resolve().parents[2] / "src" / "vigil"

# Lowest first. A package not listed here is an error (a new one must take its place).
LAYERS: Final = (
    ("errors", "config", "clock", "state", "model", "content", "inputs", "access"),
    ("sources", "agent"),
    ("formats",),
    ("lake", "query"),
    ("ingest",),
    ("logs", "insights", "intel"),
    ("detect", "metrics", "posture", "trail"),
    ("findings",),
    ("events",),
    ("playbooks",),
    ("live",),
    ("api",),
    ("shells", "demo", "__main__"),
)
RANK: Final = {name: i for i, layer in enumerate(LAYERS) for name in layer}
# The demo is a scripted user of the service layer, beside the shells: its command runs it.
SHELL_MAY_IMPORT: Final = ("vigil.api", "vigil.model", "vigil.errors", "vigil.shells", "vigil.demo")
# The engine, and the lake writer's own private DuckDB for rewriting files. And one parser:
# ingest reads CloudTrail files with DuckDB's JSON reader (a parser of files, not SQL on the
# lake, so it stays beside the other formats).
DUCKDB_ONLY_IN: Final = (
    "vigil.query.engine", "vigil.query.duckdb", "vigil.lake.writer", "vigil.formats.cloudtrail_fast"
)  # fmt: skip


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            if base in ("vigil", *(f"vigil.{p}" for p in RANK)):  # `from vigil import api`
                found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _walk() -> list[tuple[str, str, int, str]]:
    """(file, module, line, imported) for every import of every module under src/vigil."""
    rows = []
    for path in sorted(SRC.rglob("*.py")):
        if "content" in path.relative_to(SRC).parts[:1] and path.name != "__init__.py":
            continue  # content units' own code is checked by the content kit
        module = _module(path)
        for line, imported in _imports(path, module):
            rows.append((str(path.relative_to(SRC.parents[1])), module, line, imported))
    return rows


def test_every_package_has_a_layer() -> None:
    packages = {_stage(_module(p)) for p in SRC.rglob("*.py")} - {"__init__"}
    assert packages - set(RANK) == set()


def test_no_import_goes_up_a_layer() -> None:
    wrong = [
        f"{file}:{line}: {module} ({_stage(module)}) imports {imported} ({_stage(imported)})"
        for file, module, line, imported in _walk()
        if imported.startswith("vigil.")
        and _stage(imported) in RANK
        and _stage(module) in RANK
        and RANK[_stage(imported)] > RANK[_stage(module)]
    ]
    assert wrong == []


def _shell_imports() -> dict[str, list[str]]:
    wrong: dict[str, list[str]] = {}
    for file, module, line, imported in _walk():
        if (
            _stage(module) in ("shells", "__main__")
            and imported.startswith("vigil.")
            and imported != "vigil.__version__"
            and not any(imported == m or imported.startswith(m + ".") for m in SHELL_MAY_IMPORT)
        ):
            wrong.setdefault(module, []).append(f"{file}:{line}: imports {imported}")
    return wrong


def test_shells_reach_the_library_only_through_the_service_layer() -> None:
    assert _shell_imports() == {}


def test_duckdb_is_imported_only_by_the_engine_and_the_lake_writer() -> None:
    wrong = [
        f"{file}:{line}: {module} imports {imported}"
        for file, module, line, imported in _walk()
        if imported.split(".")[0] == "duckdb"
        and not any(module == m or module.startswith(m + ".") for m in DUCKDB_ONLY_IN)
    ]
    assert wrong == []


def test_the_walk_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    sample = tmp_path / "vigil" / "detect" / "x.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "from . import units\n"
        "def f():\n    from vigil.findings.store import FindingStore\n    import duckdb\n"
    )
    seen = [m for _, m in _imports(sample, "vigil.detect.x")]
    assert seen == ["vigil.detect", "vigil.detect.units", "vigil.findings.store", "duckdb"]


def _edges() -> dict[str, set[str]]:
    """module → the vigil modules it imports (at the top, inside functions, under
    TYPE_CHECKING alike); `from package import name` is an edge to the module `name` when the
    package has one."""
    known = {_module(p) for p in SRC.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if "content" in path.relative_to(SRC).parts[:1] and path.name != "__init__.py":
            continue
        module = _module(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        out = edges.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                out |= {a.name for a in node.names if a.name in known}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    out.add(target if target in known else base)
        out.discard(module)
        edges[module] = {m for m in out if m in known}
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_modules() -> None:
    assert _cycles(_edges()) == []


def test_the_cycle_check_sees_a_cycle_under_type_checking() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]


SHELL_FAMILIES: Final = (
    "vigil.shells.cli", "vigil.shells.http.native", "vigil.shells.web", "vigil.shells.http.aws"
)  # fmt: skip
# What a shell module may be about: the service layer's nouns, the AWS services, the demo.
NOUNS: Final = {p.stem for p in (SRC / "api").glob("*.py") if not p.stem.startswith("_")} | {
    "cloudwatch", "securityhub", "demo", "auth", "overview", "search", "live"
}  # fmt: skip


def _noun(module: str) -> str | None:
    """The noun of a shell module (`logs` for `shells.http.aws.logs_paging`), or None for the
    family's shared modules (options, deps, kit, protocol, …)."""
    head = module.rpartition(".")[2].split("_")[0]
    return head if head in NOUNS else None


def test_a_shell_module_imports_no_other_nouns_shell_module() -> None:
    wrong = []
    for module, imported in ((m, i) for m, targets in _edges().items() for i in targets):
        family = module.rpartition(".")[0]
        if family not in SHELL_FAMILIES or imported.rpartition(".")[0] != family:
            continue
        ours, theirs = _noun(module), _noun(imported)  # shared modules may gather the nouns
        if ours is not None and theirs is not None and theirs != ours:
            wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_the_service_layer_has_no_module_getattr_and_few_late_imports() -> None:
    """`api.x.y` resolves where it reads (no `__getattr__`); imports inside api functions only
    where a measured start-up figure needs them."""
    late = []
    for path in sorted((SRC / "api").glob("*.py")):
        tree = ast.parse(path.read_text())
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} | {
            t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
            if isinstance(t, ast.Name)
        }  # fmt: skip
        assert "__getattr__" not in names, path
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            late += [f"{path.name}:{s.lineno}" for s in ast.walk(fn)
                     if isinstance(s, ast.Import | ast.ImportFrom)]  # fmt: skip
    assert len(late) <= 6, late


UNTYPED: Final = re.compile(r"^(list\[)?dict\[str, Any\]\]?$|^Any$")
AWS_SHAPED_AT_MOST: Final = 5


def test_the_service_layer_returns_typed_values() -> None:
    """No public api function returns an untyped document, except at most five that return
    documents in AWS's own shapes (each says so in its docstring)."""
    aliases = {}
    untyped, aws = [], []
    for path in sorted((SRC / "api").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # `Doc = dict[str, Any]` would hide one
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.AST):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if isinstance(target, ast.Name) and UNTYPED.match(ast.unparse(node.value)):
                    aliases[target.id] = path.name
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            returns = ast.unparse(fn.returns) if fn.returns else "Any"
            bare = returns.removeprefix("list[").removesuffix("]")
            if fn.name.startswith("_") or not (UNTYPED.match(returns) or bare in aliases):
                continue
            doc = ast.get_docstring(fn) or ""
            (aws if "AWS's own shape" in doc else untyped).append(f"{path.stem}.{fn.name}")
    assert untyped == []
    assert len(aws) <= AWS_SHAPED_AT_MOST, aws
