"""The exception tree of `vigil.errors`: every exception class Vigil defines derives from
VigilError and is named in the tree its docstring draws (private signals and a web framework's
own HTTP exceptions aside)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import vigil.errors
from vigil.errors import AwsApiError, VigilError

SRC = Path(vigil.errors.__file__).parent


def _exception_classes() -> list[tuple[str, str]]:
    """(module, class) of every public class under src/vigil whose name says it is an error."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "content" in path.relative_to(SRC).parts[:1]:
            continue
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                found.append((module.removesuffix(".__init__"), node.name))
    return found


def test_every_exception_derives_from_vigil_error_and_is_in_the_tree() -> None:
    tree = vigil.errors.__doc__ or ""
    loose, unnamed = [], []
    for module, name in _exception_classes():
        cls = getattr(importlib.import_module(module), name)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            continue
        if any(b.__module__.startswith(("starlette", "fastapi")) for b in cls.__mro__[1:]):
            continue  # the web framework's own HTTP answers
        if not issubclass(cls, VigilError):
            loose.append(f"{module}.{name}")
        elif name not in tree:
            unnamed.append(f"{module}.{name}")
    assert loose == []
    assert unnamed == []


def test_every_aws_shaped_error_is_one_class() -> None:
    from vigil.events.buses import BusError
    from vigil.events.targets import DeliveryFailed
    from vigil.logs.groups import LogsError
    from vigil.metrics.dashboards import DashboardError

    for cls in (LogsError, DashboardError, BusError, DeliveryFailed):
        assert issubclass(cls, AwsApiError)
    err = LogsError("ResourceNotFoundException", "The specified log group does not exist.")
    assert (err.code, err.status, err.sender) == ("ResourceNotFoundException", 400, True)
    assert str(err).startswith("ResourceNotFoundException: ")
