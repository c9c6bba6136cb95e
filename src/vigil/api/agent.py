"""The agent: load its settings (checked first) and run it until asked to stop."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.api._lazy import exports

if TYPE_CHECKING:
    from vigil.agent.config import AgentConfig
    from vigil.agent.run import Totals

__getattr__ = exports(__name__, {"AgentConfig": "vigil.agent.config",
                                 "Totals": "vigil.agent.run"})  # fmt: skip
__all__ = ["AgentConfig", "Totals"]


def load(path: Path) -> AgentConfig:
    from vigil.agent.config import load as load_config
    from vigil.errors import ConfigError

    if not path.is_file():
        raise ConfigError(f"{path}: no such file", hint="an agent.yaml with logs.logs_collected"
                          ".files.collect_list (the CloudWatch agent's keys)")  # fmt: skip
    return load_config(path)


def run(config: AgentConfig, stop: threading.Event, *, once: bool = False) -> Totals:
    from vigil.agent.run import Agent

    return Agent(config).run(stop, once=once)
