"""EventBridge's event buses, archives and replays (AWS JSON 1.1) over the service layer.
Errors the service layer raises carry EventBridge's codes (ResourceNotFoundException,
ResourceAlreadyExistsException, InvalidEventPatternException, IllegalStatusException, …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from vigil.api import Settings, buses
from vigil.api.access import Need
from vigil.shells.http.aws import AwsApiError, Caller
from vigil.shells.views import buses as views

Handler = Callable[[Settings, Caller, dict[str, Any]], dict[str, Any]]
_ARCHIVE_STATES: Final = ("ENABLED", "DISABLED", "CREATING", "UPDATING", "CREATE_FAILED",
                          "UPDATE_FAILED")  # fmt: skip
_REPLAY_STATES: Final = ("STARTING", "RUNNING", "CANCELLING", "COMPLETED", "CANCELLED", "FAILED")


def _required(p: dict[str, Any], name: str) -> Any:
    value = p.get(name)
    if value is None or value == "":
        raise AwsApiError("ValidationException", f"1 validation error detected: Value null at "
                       f"'{name}' failed to satisfy constraint: Member must not be "
                       "null")  # fmt: skip
    return value


def page_of(items: list[Any], p: dict[str, Any]) -> tuple[list[Any], str | None]:
    """A page of a listing by `Limit` (at most 100) and `NextToken` (the offset)."""
    token = str(p.get("NextToken") or "0")
    if not token.isdigit():
        raise AwsApiError("ValidationException", "The NextToken is not valid.")
    start, limit = int(token), int(p.get("Limit") or 100)
    if not 1 <= limit <= 100:
        raise AwsApiError("ValidationException", "Limit: 1 to 100")
    more = start + limit < len(items)
    return items[start : start + limit], str(start + limit) if more else None


def _page(items: list[Any], p: dict[str, Any], key: str) -> dict[str, Any]:
    page, token = page_of(items, p)
    return {key: page, **({"NextToken": token} if token else {})}


def _ms(value: Any, name: str) -> int:
    """A timestamp as the JSON protocol sends it (epoch seconds) or already read."""
    from vigil.shells.http.aws.protocol import timestamp

    try:
        return int(timestamp(value).timestamp() * 1000)
    except (ValueError, TypeError, OverflowError):
        raise AwsApiError("ValidationException", f"{name} {value!r} is not a timestamp") from None


def _one_of(p: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = p.get(name)
    if value is not None and value not in allowed:
        raise AwsApiError("ValidationException", f"{name} {value!r}: one of {', '.join(allowed)}")
    return str(value) if value is not None else None


# -- buses ---------------------------------------------------------------------------------------
def create_event_bus(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("EventSourceName"):
        raise AwsApiError("ValidationException", "Partner event buses are not served: create a "
                       "custom bus without EventSourceName")  # fmt: skip
    tags = p.get("Tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, dict) and "Key" in t for t in tags):
        raise AwsApiError("ValidationException", "Tags: a list of {Key, Value}")
    made = buses.create_bus(s, str(_required(p, "Name")), str(p.get("Description") or ""), tags)
    out = {"EventBusArn": made.arn(c.account, c.region)}
    if made.description:
        out["Description"] = made.description
    return out


def describe_event_bus(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return views.bus_doc(buses.describe_bus(s, p.get("Name")), c.account, c.region)


def update_event_bus(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("KmsKeyIdentifier") or p.get("DeadLetterConfig") or p.get("LogConfig"):
        raise AwsApiError("ValidationException", "Vigil updates a bus's Description only (no KMS "
                       "key, dead-letter queue or log configuration)")  # fmt: skip
    desc = p.get("Description")
    done = buses.update_bus(s, p.get("Name"), None if desc is None else str(desc))
    doc = views.bus_doc(done, c.account, c.region)
    return {k: v for k, v in doc.items() if k in ("Arn", "Name", "Description")}


def list_event_buses(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    found = buses.list_buses(s, str(p.get("NamePrefix") or ""))
    return _page([views.bus_doc(b, c.account, c.region) for b in found], p, "EventBuses")


def delete_event_bus(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    buses.delete_bus(s, str(_required(p, "Name")))
    return {}


# -- archives ------------------------------------------------------------------------------------
def create_archive(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    made = buses.create_archive(
        s, str(_required(p, "ArchiveName")), str(_required(p, "EventSourceArn")),
        p.get("EventPattern"), str(p.get("Description") or ""), p.get("RetentionDays"),
    )  # fmt: skip
    return views.archive_state(made, c.account, c.region)


def describe_archive(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    found = buses.describe_archive(s, str(_required(p, "ArchiveName")))
    return views.archive_doc(found, c.account, c.region, full=True)


def list_archives(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    state = _one_of(p, "State", _ARCHIVE_STATES)
    found = buses.list_archives(s, str(p.get("NamePrefix") or ""), p.get("EventSourceArn"), state)
    docs = [views.archive_doc(a, c.account, c.region, full=False) for a in found]
    return _page(docs, p, "Archives")


def update_archive(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    done = buses.update_archive(
        s, str(_required(p, "ArchiveName")), p.get("EventPattern"), p.get("Description"),
        p.get("RetentionDays"),
    )  # fmt: skip
    return views.archive_state(done, c.account, c.region)


def delete_archive(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    buses.delete_archive(s, str(_required(p, "ArchiveName")))
    return {}


# -- replays -------------------------------------------------------------------------------------
def start_replay(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    destination = _required(p, "Destination")
    if not isinstance(destination, dict) or not destination.get("Arn"):
        raise AwsApiError("ValidationException", "Destination: {Arn: the event bus's ARN, "
                       "FilterArns: [rule ARNs]}")  # fmt: skip
    started = buses.start_replay(
        s, str(_required(p, "ReplayName")), str(_required(p, "EventSourceArn")),
        _ms(_required(p, "EventStartTime"), "EventStartTime"),
        _ms(_required(p, "EventEndTime"), "EventEndTime"), str(destination["Arn"]),
        [str(a) for a in destination.get("FilterArns") or []], str(p.get("Description") or ""),
        c.account, c.region,
    )  # fmt: skip
    return views.replay_started(started)


def describe_replay(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return views.replay_doc(buses.describe_replay(s, str(_required(p, "ReplayName"))), full=True)


def list_replays(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    state = _one_of(p, "State", _REPLAY_STATES)
    found = buses.list_replays(s, str(p.get("NamePrefix") or ""), state,
                                    p.get("EventSourceArn"))  # fmt: skip
    return _page([views.replay_doc(r, full=False) for r in found], p, "Replays")


def cancel_replay(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return views.replay_state(buses.cancel_replay(s, str(_required(p, "ReplayName"))))


def operations() -> dict[str, tuple[Need, Handler]]:
    R, C = Need.READ, Need.CONFIGURE
    return {
        "CreateEventBus": (C, create_event_bus), "DescribeEventBus": (R, describe_event_bus),
        "ListEventBuses": (R, list_event_buses), "DeleteEventBus": (C, delete_event_bus),
        "UpdateEventBus": (C, update_event_bus),
        "CreateArchive": (C, create_archive), "DescribeArchive": (R, describe_archive),
        "ListArchives": (R, list_archives), "UpdateArchive": (C, update_archive),
        "DeleteArchive": (C, delete_archive), "StartReplay": (C, start_replay),
        "DescribeReplay": (R, describe_replay), "ListReplays": (R, list_replays),
        "CancelReplay": (C, cancel_replay),
    }  # fmt: skip
