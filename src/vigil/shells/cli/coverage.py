"""The coverage table of the built-in detections (`vigil content list --markdown`), as the
README quotes it: by each unit's main (first) ATT&CK v19 tactic, its finding type,
techniques, severity and source."""

from __future__ import annotations

from typing import Any

from vigil.model.attack import TACTICS


def markdown(units: list[dict[str, Any]]) -> str:
    """`units` as `vigil content list --json` gives them."""
    shown = [u for u in units if u["kind"] == "detection" and u["origin"] == "built-in"]
    order = {name: n for n, name in enumerate(TACTICS)}

    def first_tactic(u: dict[str, Any]) -> str:  # the unit's own first: its main tactic
        return str((u.get("tactics") or [""])[0])

    shown.sort(key=lambda u: (order.get(first_tactic(u), len(order)), u["type"] or "", u["id"]))
    lines = [
        "| Tactic (ATT&CK v19) | Finding type | Techniques | Severity | Source | Unit |",
        "|---|---|---|---|---|---|",
    ]
    for u in shown:
        tactic = first_tactic(u)
        name = TACTICS[tactic].name if tactic in TACTICS else "—"
        more = [TACTICS[t].name for t in u.get("tactics") or [] if t != tactic and t in TACTICS]
        label = name + (f" (also {', '.join(more)})" if more else "")
        techniques = ", ".join(u.get("mitre") or []) or "—"
        lines.append(f"| {label} | `{u['type']}` | {techniques} | {u['severity']} | "
                     f"{u['source']} · {u['logic']} | `{u['id']}` |")  # fmt: skip
    return "\n".join(lines) + "\n"
