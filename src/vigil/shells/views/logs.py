"""TestMetricFilter's matches in CloudWatch Logs' own shape, as its AWS-compatible endpoint
answers and the CLI's `--json` prints them."""

from __future__ import annotations

from typing import Any

from vigil.api.logs import FilterMatch


def filter_match(m: FilterMatch) -> dict[str, Any]:
    return {"eventNumber": m.event_number, "eventMessage": m.event_message,
            "extractedValues": m.extracted_values}  # fmt: skip
