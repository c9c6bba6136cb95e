"""The native API's other nouns, one route per service-layer operation: findings suppression
and export, Insights, log events, metrics, alarms, events, rules, the DLQ, posture, trail
verdicts, playbooks (plan, approve, apply), content, sources and the quarantine."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from vigil import api
from vigil.api.access import Need, Principal
from vigil.errors import VigilError
from vigil.shells.http.abandon import unless_abandoned

if TYPE_CHECKING:
    from vigil.shells.http.native import Kit


RunId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]


class Suppression(BaseModel):
    name: str
    criteria: list[str]  # KEY=VALUE pairs, as `vigil findings suppress`


class InsightsRequest(BaseModel):
    query: str
    log_groups: list[str] | None = None
    table: str | None = None
    start: str | None = None  # ISO 8601 or an age (1h, 7d)
    end: str | None = None
    max_rows: int = Field(1000, ge=1, le=2**31)


class PutEvents(BaseModel):
    entries: list[dict[str, Any]]


class PatternTest(BaseModel):
    pattern: Any
    event: dict[str, Any]


class RedriveRequest(BaseModel):
    ids: list[int] | None = None


class PlaybookBody(BaseModel):
    event: dict[str, Any]
    options: dict[str, Any] = {}
    endpoint_url: str | None = None
    role: str | None = None


class AlarmState(BaseModel):
    state: str
    reason: str


def _plain(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


def router(kit: "Kit") -> APIRouter:
    r = APIRouter()
    s = kit.settings
    Reader = Annotated[Principal, Depends(kit.caller(Need.READ))]
    Writer = Annotated[Principal, Depends(kit.caller(Need.WRITE))]
    Admin = Annotated[Principal, Depends(kit.caller(Need.CONFIGURE))]
    g = kit.guarded

    # -- findings ----------------------------------------------------------------------------
    @r.get("/findings-export", summary="Every active finding as ASFF, OCSF or GuardDuty JSON")
    def export(who: Reader, format: str = "asff", archived: bool = False) -> dict[str, Any]:
        return {"findings": g(lambda: api.findings.export(s, format, archived))}

    @r.get("/suppressions", summary="Suppression rules")
    def suppressions(who: Reader) -> dict[str, Any]:
        return {"rules": api.findings.suppressions(s)}

    @r.post("/suppressions", summary="Suppress findings like these (archives the matches)")
    def suppress(body: Suppression, who: Writer, request: Request) -> dict[str, Any]:
        archived = g(lambda: api.findings.suppress(s, body.name, body.criteria))
        kit.audit(who, request, "findings.suppress", body.name, body.model_dump())
        return {"name": body.name, "archived": archived}

    @r.delete("/suppressions/{name}", summary="Delete a suppression rule")
    def unsuppress(name: str, who: Writer, request: Request) -> dict[str, Any]:
        criteria = g(lambda: api.findings.delete_suppression(s, name))
        kit.audit(who, request, "findings.unsuppress", name, {"criteria": criteria})
        return {"name": name, "deleted": True}

    # -- logs and Insights --------------------------------------------------------------------
    @r.post("/insights", summary="A Logs Insights query over log groups or a lake table")
    async def insights(body: InsightsRequest, who: Reader, request: Request) -> dict[str, Any]:
        first, last = g(lambda: api.clock.time_range(body.start, body.end, ("start", "end")))
        table = await unless_abandoned(request, lambda cancel: g(lambda: api.logs.insights(
            s, body.query, groups=body.log_groups, table=body.table, start=first, end=last,
            cancel=cancel)))  # fmt: skip
        rows = table.slice(0, body.max_rows).to_pylist()
        return {"columns": table.column_names, "rows": rows,
                "truncated": table.num_rows > body.max_rows}  # fmt: skip

    @r.get("/logs/groups/{group:path}/events", summary="Events of a group (a filter pattern)")
    def log_events(group: str, who: Reader, pattern: str = "", start: str | None = None,
                   end: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> Any:  # fmt: skip
        first, last = g(lambda: api.clock.time_range(start, end, ("start", "end")))
        query = api.logs.EventsQuery(pattern=pattern, start=first, end=last, limit=limit)
        found = g(lambda: api.logs.filter_events(s, group, query))
        return {"events": [_plain(e) for e in found]}

    @r.get("/logs/groups/{group:path}/streams", summary="Streams of a group")
    def log_streams(group: str, who: Reader, prefix: str = "") -> dict[str, Any]:
        return {"streams": [_plain(x) for x in g(lambda: api.logs.streams(s, group, prefix))]}

    # -- metrics and alarms -------------------------------------------------------------------
    @r.get("/metrics", summary="Metrics (ListMetrics)")
    def metrics(who: Reader, namespace: str | None = None,
                name: str | None = None) -> dict[str, Any]:  # fmt: skip
        return {"metrics": [{"namespace": m.namespace, "name": m.name,
                             "dimensions": dict(m.dimensions)}
                            for m in api.metrics.list_metrics(s, namespace, name)]}  # fmt: skip

    @r.get("/alarms", summary="Alarms with their state (DescribeAlarms)")
    def alarms(who: Reader) -> dict[str, Any]:
        return {"alarms": api.metrics.alarms(s)}

    @r.get("/alarms/{name}/history", summary="An alarm's history")
    def alarm_history(name: str, who: Reader) -> dict[str, Any]:
        return {"history": api.metrics.alarm_history(s, name)}

    @r.post("/alarms/{name}/state", summary="Set an alarm's state until its next evaluation")
    def alarm_state(name: str, body: AlarmState, who: Writer, request: Request) -> dict[str, Any]:
        g(lambda: api.metrics.set_alarm_state(s, name, body.state, body.reason))
        kit.audit(who, request, "alarms.set-state", name, body.model_dump())
        return {"name": name, "state": body.state}

    @r.get("/dashboards", summary="Dashboards")
    def dashboards(who: Reader) -> dict[str, Any]:
        return {"dashboards": [_plain(d) for d in api.metrics.dashboards(s)]}

    # -- the event bus, rules, deliveries -----------------------------------------------------
    @r.get("/events", summary="Recent events on the bus")
    def events(who: Reader, source: str | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:  # fmt: skip
        return {"events": api.events.recent(s, limit, source)}

    @r.post("/events", summary="Put custom events (PutEvents)")
    def put_events(body: PutEvents, who: Writer, request: Request) -> dict[str, Any]:
        done = g(lambda: api.events.put_events(s, body.entries, account="000000000000",
                                               region="local"))  # fmt: skip
        kit.audit(who, request, "events.put", f"{len(body.entries)} entries", {})
        return {"failed": done.failed, "entries": done.entries}

    @r.post("/events/test-pattern", summary="Does a pattern match an event?")
    def test_pattern(body: PatternTest, who: Reader) -> dict[str, bool]:
        return {"matches": bool(g(lambda: api.events.test_pattern(body.pattern, body.event)))}

    @r.get("/rules", summary="Rules and their targets")
    def rules(who: Reader) -> dict[str, Any]:
        listing = api.events.rules(s)
        return {"rules": api.events.rule_documents(s), "problems": listing.problems}

    @r.put("/rules/{name}", summary="Add or replace a rule (checked first)")
    def put_rule(name: str, body: dict[str, Any], who: Admin, request: Request) -> dict[str, Any]:
        rule = g(lambda: api.events.put_rule(s, {**body, "name": name}))
        kit.audit(who, request, "rules.put", name, {"targets": len(rule.targets)})
        return {"name": rule.name, "targets": len(rule.targets)}

    @r.delete("/rules/{name}", summary="Delete a rule")
    def delete_rule(name: str, who: Admin, request: Request) -> dict[str, Any]:
        g(lambda: api.events.delete_rule(s, name))
        kit.audit(who, request, "rules.delete", name, {})
        return {"name": name, "deleted": True}

    @r.get("/deliveries", summary="Delivery attempts")
    def deliveries(who: Reader, limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
                   ) -> dict[str, Any]:  # fmt: skip
        return {"attempts": api.events.audit(s, limit)}

    @r.get("/dlq", summary="Dead-lettered deliveries")
    def dlq(who: Reader) -> dict[str, Any]:
        return {"dead_letters": api.events.dead_letters(s)}

    @r.post("/dlq/redrive", summary="Queue dead-lettered deliveries again")
    def redrive(body: RedriveRequest, who: Writer, request: Request) -> dict[str, Any]:
        count = api.events.redrive(s, body.ids)
        kit.audit(who, request, "dlq.redrive", f"{count} deliveries", {"ids": body.ids})
        return {"redriven": count}

    # -- posture, trail, playbooks, content ----------------------------------------------------
    @r.get("/posture", summary="The posture report of the newest (or a named) snapshot")
    def posture(who: Reader, snapshot: str | None = None) -> dict[str, Any]:
        return dict(g(lambda: api.posture.report(s, snapshot)))

    @r.get("/posture/history", summary="Posture snapshots and their scores")
    def posture_history(who: Reader) -> dict[str, Any]:
        return {"snapshots": api.posture.history(s)}

    @r.get("/posture/diff", summary="What changed between two snapshots")
    def posture_diff(who: Reader, older: str = "previous", newer: str = "latest") -> Any:
        return _plain(g(lambda: api.posture.diff(s, older, newer)))

    @r.get("/trail/verdicts", summary="CloudTrail log-file integrity verdicts")
    def trail_verdicts(who: Reader, limit: Annotated[int, Query(ge=1, le=10_000)] = 500) -> Any:
        sql = ("SELECT * FROM trail_validation ORDER BY validated_at DESC LIMIT "
               f"{int(limit)}")  # fmt: skip
        try:
            table = api.lake.query(s, sql).table
        except VigilError:
            return {"verdicts": []}  # nothing validated yet
        return {"verdicts": table.to_pylist()}

    @r.get("/playbooks", summary="Playbooks and their recorded runs")
    def playbooks(who: Reader) -> dict[str, Any]:
        return {"playbooks": [_plain(u) for u in api.playbooks.units()],
                "runs": api.playbooks.runs(s)}  # fmt: skip

    @r.post("/playbooks/{name}/plan", summary="Plan a playbook for an event (changes nothing)")
    def plan(name: str, body: PlaybookBody, who: Writer, request: Request) -> Any:
        g(lambda: api.events.check_endpoint(s, body.endpoint_url))
        done = g(lambda: api.playbooks.run(s, api.playbooks.PlaybookRequest(
            name, body.event, False, body.endpoint_url, body.options, body.role,
            who.user)))  # fmt: skip
        kit.audit(who, request, "playbooks.plan", name, {"run": done.run})
        return _plain(done)

    @r.post("/playbooks/{name}/apply", summary="Plan and carry a playbook out at once (admins)")
    def apply(name: str, body: PlaybookBody, who: Admin, request: Request) -> Any:
        g(lambda: api.events.check_endpoint(s, body.endpoint_url))
        done = g(lambda: api.playbooks.run(s, api.playbooks.PlaybookRequest(
            name, body.event, True, body.endpoint_url, body.options, body.role,
            who.user)))  # fmt: skip
        kit.audit(who, request, "playbooks.apply", name, {"run": done.run})
        return _plain(done)

    @r.post("/playbooks/runs/{run}/approve", summary="Approve a planned run (admins)")
    def approve(run: RunId, who: Admin, request: Request) -> Any:
        done = g(lambda: api.playbooks.approve(s, run, who.user))
        kit.audit(who, request, "playbooks.approve", str(run), {"playbook": done["playbook"]})
        return done

    @r.post("/playbooks/runs/{run}/apply", summary="Carry out an approved run's plan as planned")
    def apply_run(run: RunId, who: Writer, request: Request) -> Any:
        done = g(lambda: api.playbooks.apply_approved(s, run, who.user))
        kit.audit(who, request, "playbooks.apply", str(run),
                  {"playbook": done["playbook"], "approved_by": done["approved_by"]})  # fmt: skip
        return done

    @r.get("/content", summary="Detection units and their state")
    def content(who: Reader) -> dict[str, Any]:
        found, problems = api.content.units(s)
        return {"units": [_plain(u) for u in found], "problems": problems}

    # -- sources and the quarantine -----------------------------------------------------------
    @r.get("/sources", summary="Ingest sources with cursor, lag, counts and last error")
    def sources(who: Reader) -> dict[str, Any]:
        return {"sources": api.sources.listing(s)}

    @r.post("/sources", summary="Add a source (the keys of `vigil sources add`)")
    def add_source(body: dict[str, Any], who: Admin, request: Request) -> dict[str, Any]:
        g(lambda: api.events.check_endpoint(s, body.get("endpoint_url")))
        source = g(lambda: api.sources.add(s, body))
        doc: dict[str, Any] = source.as_dict()
        kit.audit(who, request, "sources.add", source.name, doc)
        return doc

    @r.delete("/sources/{name}", summary="Stop following a source")
    def remove_source(name: str, who: Admin, request: Request) -> dict[str, Any]:
        g(lambda: api.sources.remove(s, name))
        kit.audit(who, request, "sources.remove", name, {})
        return {"name": name, "removed": True}

    @r.get("/quarantine", summary="What ingest could not take")
    def quarantine(who: Reader) -> dict[str, Any]:
        return {"entries": [_plain(e) for e in api.quarantine.entries(s)]}

    return r
