"""Detections: every unit with its tactics and state, and a unit's page: its settings with
where each comes from, a backtest over stored data (records nothing), and its tuning (admins:
enabled, parameters and exceptions, checked before tuning.yaml is written)."""

from collections import Counter
from typing import Any

import yaml
from fastapi import APIRouter, Request
from starlette.responses import Response

from vigil.api import Settings, clock, content, tuning
from vigil.errors import ConfigError, VigilError
from vigil.shells.web.deps import Configurer, ConsoleDep, Reader
from vigil.shells.web.kit import done_redirect, first

_EXAMPLE = "exceptions: {principals: ['arn:aws:iam::*:role/ci-*']}"


router = APIRouter()


@router.get("/detections", include_in_schema=False)
def detections(request: Request, c: ConsoleDep, session: Reader) -> Response:
    found, problems = content.units(c.settings)
    units = [u for u in found if u.kind == "detection"]
    tactic = request.query_params.get("tactic", "")
    shown = [u for u in units if not tactic or tactic in u.tactics]
    shown.sort(key=lambda u: (-(u.severity or 0), u.id))
    tactics = Counter(t for u in units for t in u.tactics)
    return c.page(request, session, "detections.html", units=shown, tactic=tactic,
                  tactics=sorted(tactics.items()), total=len(units),
                  problems=problems)  # fmt: skip


@router.get("/detections/{unit}", include_in_schema=False)
def unit_page(request: Request, c: ConsoleDep, session: Reader) -> Response:
    unit = request.path_params["unit"]
    view = tuning.show(c.settings, unit)
    since = request.query_params.get("since", "")
    backtest, failed = None, None
    if since:
        try:
            backtest = _backtest(c.settings, unit, since)
        except VigilError as exc:
            failed = exc.message + (f" ({exc.hint})" if exc.hint else "")
    return c.page(request, session, "detection.html", u=view, since=since or "30d",
                  backtest=backtest, failed=failed, entry=_entry_text(view),
                  flash=request.query_params.get("done"))  # fmt: skip


@router.post("/detections/{unit}/tuning", include_in_schema=False)
async def tune(request: Request, c: ConsoleDep, session: Configurer) -> Response:
    unit = request.path_params["unit"]
    fields = await c.form(request, session)
    entry = _parsed(first(fields, "entry"))
    view = tuning.set_unit(c.settings, unit, entry)
    c.audit(session, request, "content.tune", unit, entry)
    state = "enabled" if view.enabled.value else "disabled"
    return done_redirect(f"/detections/{unit}", f"Tuning saved: the unit is {state}.")


def _backtest(s: Settings, unit: str, since: str) -> Any:
    first_ms, _ = clock.time_range(since, None, ("since", "until"))
    return tuning.backtest(s, unit, clock.from_ms(first_ms))


def _entry_text(view: tuning.UnitView) -> str:
    """The unit's tuning entry as YAML for the form: what tuning.yaml holds for it."""
    entry: dict[str, Any] = {}
    if view.enabled.source == "tuning":
        entry["enabled"] = view.enabled.value
    tuned = {p.name: p.value for p in view.parameters if p.source == "tuning"}
    if tuned:
        entry["parameters"] = tuned
    exceptions = {k: v for k, v in view.exceptions.items() if v}
    if exceptions:
        entry["exceptions"] = exceptions
    return yaml.safe_dump(entry, sort_keys=False) if entry else ""


def _parsed(text: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"the tuning entry is not YAML{where}", hint=_EXAMPLE) from None
    if not isinstance(doc, dict):
        raise ConfigError("the tuning entry is a mapping of enabled, parameters and exceptions",
                          hint=_EXAMPLE)  # fmt: skip
    return doc
