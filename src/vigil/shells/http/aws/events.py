"""EventBridge (AWS JSON 1.1, `AWSEvents.*`) over the service layer: PutEvents, rules (on the
default bus or a custom one, `EventBusName` as a name or an ARN), their targets (read as Vigil's
in `events_targets`), TestEventPattern; buses, archives and replays are in `events_buses`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from vigil.api import Settings, buses, events
from vigil.api.access import Need
from vigil.api.inputs import loads
from vigil.errors import VigilError
from vigil.shells.http.aws import AwsApiError, Caller, events_buses
from vigil.shells.http.aws.events_buses import page_of
from vigil.shells.http.aws.events_targets import target_aws, target_doc

Handler = Callable[[Settings, Caller, dict[str, Any]], dict[str, Any]]
MAX_ENTRIES: Final = 10


def _valid(message: str) -> AwsApiError:
    return AwsApiError("ValidationException", message)


def _required(p: dict[str, Any], name: str) -> Any:
    value = p.get(name)
    if value is None or value == "" or value == []:
        raise _valid(f"1 validation error detected: Value null at '{name}' failed to satisfy "
                     "constraint: Member must not be null")  # fmt: skip
    return value


def _bus(s: Settings, p: dict[str, Any]) -> str:
    """The bus the request names (default when absent), or ResourceNotFoundException."""
    return buses.bus_name(s, p.get("EventBusName"))


def _doc(s: Settings, name: str, bus: str) -> dict[str, Any]:
    try:
        return events.rule_document(s, name, bus).written
    except VigilError:
        raise AwsApiError(
            "ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus}."
        ) from None


def _arn(c: Caller, name: str, bus: str = "default") -> str:
    key = name if bus == "default" else f"{bus}/{name}"
    return f"arn:aws:events:{c.region}:{c.account}:rule/{key}"


def _save(s: Settings, doc: dict[str, Any]) -> None:
    try:
        events.put_rule(s, doc)
    except VigilError as exc:
        raise _valid(exc.message) from None


def put_events(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    entries = _required(p, "Entries")
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise _valid("1 validation error detected: Value at 'entries' failed to satisfy "
                     "constraint: Member must have length less than or equal to "
                     f"{MAX_ENTRIES}")  # fmt: skip
    good: list[Any] = []
    for entry in entries:  # each entry's EventBusName is read by the bus (an unknown one fails)
        clean = dict(entry) if isinstance(entry, dict) else entry
        if isinstance(clean, dict) and hasattr(clean.get("Time"), "isoformat"):
            clean["Time"] = clean["Time"].isoformat()
        good.append(clean)
    out = events.put_events(s, good, account=c.account, region=c.region).entries
    return {"FailedEntryCount": sum(1 for e in out if "ErrorCode" in e), "Entries": out}


def put_rule(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    name = _required(p, "Name")
    bus = _bus(s, p)
    pattern, schedule = p.get("EventPattern"), p.get("ScheduleExpression")
    if bool(pattern) == bool(schedule):
        raise _valid("Parameter(s) EventPattern or ScheduleExpression must be specified"
                     if not pattern else "A rule has an EventPattern or a ScheduleExpression, "
                     "not both.")  # fmt: skip
    if schedule and bus != "default":
        raise _valid("ScheduleExpression is supported only on the default event bus.")
    try:
        old = events.rule_document(s, name, bus).written
    except VigilError:
        old = {}
    doc: dict[str, Any] = {"name": name, **({"pattern": pattern} if pattern else
                                            {"schedule": schedule})}  # fmt: skip
    doc["enabled"] = p.get("State", "ENABLED") != "DISABLED"
    doc["description"] = p.get("Description") or ""
    doc["account"], doc["region"] = c.account, c.region
    doc["targets"] = old.get("targets") or []
    if old.get("created_ms"):
        doc["created_ms"] = old["created_ms"]
    if bus != "default":
        doc["bus"] = bus
    _save(s, doc)
    return {"RuleArn": _arn(c, name, bus)}


def _describe(c: Caller, doc: dict[str, Any]) -> dict[str, Any]:
    bus = str(doc.get("bus") or "default")
    out: dict[str, Any] = {
        "Name": doc["name"], "Arn": _arn(c, doc["name"], bus), "EventBusName": bus,
        "State": "ENABLED" if doc.get("enabled", True) else "DISABLED",
        "CreatedBy": c.account,
    }  # fmt: skip
    if doc.get("description"):
        out["Description"] = doc["description"]
    if "pattern" in doc:
        raw = doc["pattern"]
        out["EventPattern"] = raw if isinstance(raw, str) else json.dumps(raw)
    else:
        out["ScheduleExpression"] = str(doc["schedule"])
    return out


def describe_rule(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return _describe(c, _doc(s, _required(p, "Name"), _bus(s, p)))


def list_rules(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    prefix = p.get("NamePrefix") or ""
    found = [d.written for d in events.rule_documents(s, _bus(s, p))]
    docs = [d for d in found if str(d["name"]).startswith(prefix)]
    page, token = page_of(docs, p)
    out: dict[str, Any] = {"Rules": [_describe(c, d) for d in page]}
    if token:
        out["NextToken"] = token
    return out


def list_rule_names_by_target(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    arn = str(_required(p, "TargetArn"))
    docs = [d.written for d in events.rule_documents(s, _bus(s, p))]
    names = [str(d["name"]) for d in docs
             if any(target_aws(c, t)["Arn"] == arn for t in d.get("targets") or [])]  # fmt: skip
    page, token = page_of(names, p)
    return {"RuleNames": page, **({"NextToken": token} if token else {})}


def delete_rule(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    name = _required(p, "Name")
    bus = _bus(s, p)
    try:
        doc = events.rule_document(s, name, bus).written
    except VigilError:
        return {}  # AWS: deleting a rule that is not there succeeds
    if doc.get("targets"):
        raise _valid("Rule can't be deleted since it has targets.")
    events.delete_rule(s, name, bus)
    return {}


def _enable(enabled: bool) -> Handler:
    def handler(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        name = _required(p, "Name")
        bus = _bus(s, p)
        _doc(s, name, bus)
        events.set_rule_enabled(s, name, enabled, bus)
        return {}

    return handler


def put_targets(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    name = _required(p, "Rule")
    doc = _doc(s, name, _bus(s, p))
    targets = {str(t.get("id")): t for t in doc.get("targets") or []}
    failed = []
    for t in _required(p, "Targets"):
        try:
            new = target_doc(t)
            _check(s, {**doc, "targets": [new]})
            targets[new["id"]] = new
        except AwsApiError as exc:
            failed.append({"TargetId": str(t.get("Id", "")), "ErrorCode": exc.code,
                           "ErrorMessage": exc.message})  # fmt: skip
    if len(targets) > 5:
        raise AwsApiError("LimitExceededException", "The requested resource exceeds the maximum "
                       "number allowed: a rule has at most 5 targets.")  # fmt: skip
    _save(s, {**doc, "targets": list(targets.values())})
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


def _check(s: Settings, doc: dict[str, Any]) -> None:
    """Would this rule take this target (its settings checked as when a rule is put)?"""
    try:
        events.check_rule(s, doc)
    except VigilError as exc:
        raise _valid(exc.message) from None


def list_targets_by_rule(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    doc = _doc(s, _required(p, "Rule"), _bus(s, p))
    return {"Targets": [target_aws(c, t) for t in doc.get("targets") or []]}


def remove_targets(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    name = _required(p, "Rule")
    doc = _doc(s, name, _bus(s, p))
    ids = {str(i) for i in _required(p, "Ids")}
    kept = [t for t in doc.get("targets") or [] if str(t.get("id")) not in ids]
    _save(s, {**doc, "targets": kept})
    return {"FailedEntryCount": 0, "FailedEntries": []}


def test_event_pattern(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    pattern, text = _required(p, "EventPattern"), _required(p, "Event")
    try:
        event = loads(text)
    except ValueError as exc:
        raise _valid(f"Parameter Event is not valid: {exc}") from None
    if not isinstance(event, dict):
        raise _valid("Parameter Event is not valid: a JSON object")
    missing = [k for k in ("id", "account", "source", "time", "region") if k not in event]
    if missing:
        raise _valid(f"Parameter Event is not valid: it lacks {', '.join(missing)}")
    try:
        return {"Result": events.test_pattern(pattern, event)}
    except VigilError as exc:
        raise AwsApiError("InvalidEventPatternException", f"Event pattern is not valid. Reason: "
                       f"{exc.message}") from None  # fmt: skip


def operations() -> dict[str, tuple[Need, Handler]]:
    R, W, C = Need.READ, Need.WRITE, Need.CONFIGURE
    return {
        **events_buses.operations(),
        "ListRuleNamesByTarget": (R, list_rule_names_by_target),
        "PutEvents": (W, put_events), "PutRule": (C, put_rule), "DescribeRule": (R, describe_rule),
        "ListRules": (R, list_rules), "DeleteRule": (C, delete_rule),
        "EnableRule": (C, _enable(True)), "DisableRule": (C, _enable(False)),
        "PutTargets": (C, put_targets), "ListTargetsByRule": (R, list_targets_by_rule),
        "RemoveTargets": (C, remove_targets), "TestEventPattern": (R, test_event_pattern),
    }  # fmt: skip
