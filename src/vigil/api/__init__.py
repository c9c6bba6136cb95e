"""The service layer: everything a user can do, one function per action, split by noun
(`api.lake`, `api.findings`, `api.logs`, …). The CLI, the HTTP API and the console are shells
over it. It is also the composition root: it wires the stages together (the worker's job and
playbook senders, metric filters on every log put, findings from detections and posture).

Submodules load on first use (`api.findings.list_findings(...)`), so a command imports only
what it needs and the CLI starts at once.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from vigil import clock
from vigil.config import Settings

__all__ = ["Settings", "clock"]  # times as users write them; the settings a shell loads

NOUNS = (
    "access", "agent", "buses", "content", "detect", "entities", "entity_links", "events",
    "findings", "flows", "hub", "inputs", "intel",
    "lake", "logs", "metrics", "playbooks", "posture", "quarantine", "serve", "sources", "trail",
    "tuning", "worker",
)  # fmt: skip

if TYPE_CHECKING:
    from vigil.api import (
        access as access,
    )
    from vigil.api import (
        buses as buses,
    )
    from vigil.api import (
        content as content,
    )
    from vigil.api import (
        detect as detect,
    )
    from vigil.api import (
        entities as entities,
    )
    from vigil.api import (
        entity_links as entity_links,
    )
    from vigil.api import (
        events as events,
    )
    from vigil.api import (
        findings as findings,
    )
    from vigil.api import (
        flows as flows,
    )
    from vigil.api import (
        hub as hub,
    )
    from vigil.api import (
        inputs as inputs,
    )
    from vigil.api import (
        intel as intel,
    )
    from vigil.api import (
        lake as lake,
    )
    from vigil.api import (
        logs as logs,
    )
    from vigil.api import (
        metrics as metrics,
    )
    from vigil.api import (
        playbooks as playbooks,
    )
    from vigil.api import (
        posture as posture,
    )
    from vigil.api import (
        quarantine as quarantine,
    )
    from vigil.api import (
        serve as serve,
    )
    from vigil.api import (
        trail as trail,
    )
    from vigil.api import (
        tuning as tuning,
    )
    from vigil.api import (
        worker as worker,
    )


def __getattr__(name: str) -> ModuleType:
    if name in NOUNS:
        return importlib.import_module(f"vigil.api.{name}")
    raise AttributeError(f"module 'vigil.api' has no attribute {name!r}")
