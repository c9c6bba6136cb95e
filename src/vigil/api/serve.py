"""The server's settings (`<home>/vigil.yaml` and its environment variables, checked at start;
`live.serve_config`) and its telemetry (`live.telemetry`). Light on purpose: commands that only
read a setting (an account and Region for an ARN) import this, not the server's jobs
(`api.runtime`)."""

from __future__ import annotations

from vigil.live.serve_config import ServeConfig as ServeConfig
from vigil.live.serve_config import for_serving as for_serving
from vigil.live.telemetry import Telemetry as Telemetry
