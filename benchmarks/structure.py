"""The shape of the top floors: lines and function sizes of `vigil.api` and `vigil.shells`,
the service layer's public functions that return untyped documents (`dict[str, Any]`,
`list[dict[str, Any]]`, `Any`), and the imports inside functions. `--src DIR` measures another
checkout's `src/vigil` (e.g. an older commit from `git worktree add`)."""

from __future__ import annotations

import argparse
import ast
import re
import statistics
from pathlib import Path

UNTYPED = re.compile(r"^(list\[)?dict\[str, Any\]\]?$|^Any$")


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def measure(root: Path, package: str) -> None:
    files = sorted((root / package).rglob("*.py"))
    lines = sum(len(f.read_text().splitlines()) for f in files)
    sizes: list[int] = []
    late = 0
    untyped: list[str] = []
    public = 0
    for path in files:
        tree = ast.parse(path.read_text())
        for fn in functions(tree):
            sizes.append((fn.end_lineno or fn.lineno) - fn.lineno + 1)
            late += sum(isinstance(s, ast.Import | ast.ImportFrom) for s in ast.walk(fn))
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            if package == "api" and not fn.name.startswith("_"):
                public += 1
                returns = ast.unparse(fn.returns) if fn.returns else ""
                if UNTYPED.match(returns):
                    untyped.append(f"{path.stem}.{fn.name} -> {returns}")
    sizes.sort()
    print(f"{package}: {len(files)} files, {lines} lines; {len(sizes)} functions: median "
          f"{statistics.median(sizes):.0f} lines, p90 {sizes[int(len(sizes) * 0.9)]}, longest "
          f"{sizes[-1]}, {sum(s > 50 for s in sizes)} over 50 lines; "
          f"{late} imports inside functions")  # fmt: skip
    if package == "api":
        print(f"  {public} public functions, {len(untyped)} returning untyped documents")
        for line in untyped:
            print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", type=Path, default=Path(__file__).parents[1] / "src" / "vigil")
    root = parser.parse_args().src
    for package in ("api", "shells"):
        measure(root, package)


if __name__ == "__main__":
    main()
