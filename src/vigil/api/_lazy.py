"""Names a service-layer module exports from the stages, loaded on first use: a command pays
for pyarrow, DuckDB or pySigma only when it touches them."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def exports(module: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `names` (name → "module" or "module:attribute")."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        where, _, attribute = names[name].partition(":")
        value = getattr(importlib.import_module(where), attribute or name)
        vars(importlib.import_module(module))[name] = value  # the next access is a plain one
        return value

    return __getattr__
