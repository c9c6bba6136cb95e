"""The service layer: everything a user can do, one function per action, one module per noun
(`vigil.api.findings`, `vigil.api.logs`, …); the CLI, the native HTTP API, the AWS endpoints
and the console are shells over it. Import the noun you use (`from vigil.api import logs`):
each module imports its stages at the top, and the stages load Arrow, DuckDB and pySigma only
when they touch the lake or a rule, so a command loads only what it runs.

The settings a shell loads and the clock users' times go through are here too."""

from __future__ import annotations

from vigil import clock as clock
from vigil.config import Settings as Settings
