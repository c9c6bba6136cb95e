"""The agent: load its settings (checked first) and run it until asked to stop."""

from __future__ import annotations

import threading
from pathlib import Path

from vigil.agent.config import AgentConfig as AgentConfig
from vigil.agent.config import load as load_config
from vigil.agent.run import Agent
from vigil.agent.run import Totals as Totals
from vigil.errors import ConfigError


def load(path: Path) -> AgentConfig:
    if not path.is_file():
        raise ConfigError(f"{path}: no such file", hint="an agent.yaml with logs.logs_collected"
                          ".files.collect_list (the CloudWatch agent's keys)")  # fmt: skip
    return load_config(path)


def run(config: AgentConfig, stop: threading.Event, *, once: bool = False) -> Totals:
    return Agent(config).run(stop, once=once)
