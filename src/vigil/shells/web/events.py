"""Response: the event rules and their targets, a test event to a target, recent deliveries
with their tries, what the demo's receiver got, the DLQ and its redrive, and playbook runs."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from vigil.api import events, playbooks
from vigil.demo import receiver as demo_receiver
from vigil.shells.views.events import dead_letter
from vigil.shells.web.deps import ConsoleDep, Reader, Writer
from vigil.shells.web.kit import done_redirect, first

router = APIRouter()


@router.get("/response", include_in_schema=False)
def response(request: Request, c: ConsoleDep, session: Reader) -> Response:
    s = c.settings
    return c.page(request, session, "response.html", rules=events.rules(s),
                  targets=_targets([d.written for d in events.rule_documents(s)]),
                  deliveries=events.deliveries(s, 50),
                  received=demo_receiver.received(s.home),
                  dlq=[dead_letter(d) for d in events.dead_letters(s)],
                  runs=playbooks.runs(s, 50),
                  flash=request.query_params.get("done"))  # fmt: skip


@router.post("/response/test", include_in_schema=False)
async def test_event(request: Request, c: ConsoleDep, session: Writer) -> Response:
    fields = await c.form(request, session)
    rule, target = first(fields, "rule"), first(fields, "target")
    found = await run_in_threadpool(events.send_test_event, c.settings, rule, target,
                                    session.principal.user)  # fmt: skip
    outcome = [_outcome(d) for d in found]
    c.audit(session, request, "response.test-event", f"{rule}/{target}",
            {"deliveries": [d.id for d in found], "results": outcome})  # fmt: skip
    return done_redirect(
        "/response", f"Test event to {rule} / {target}: " + "; ".join(outcome) + "."
    )


@router.post("/response/redrive", include_in_schema=False)
async def redrive(request: Request, c: ConsoleDep, session: Writer) -> Response:
    fields = await c.form(request, session)
    ids = [int(i) for i in fields.get("ids", []) if i.isdigit()] or None
    count = events.redrive(c.settings, ids)
    c.audit(session, request, "dlq.redrive", "dlq", {"ids": ids, "queued": count})
    return done_redirect("/response", f"{count} deliveries queued again.")


def _targets(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each rule's targets as the page lists them: id, type, where (a URL that is not a
    secret reference), and whether a test event may go there."""
    out: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        out[str(doc.get("name"))] = [
            {"id": t.get("id"), "type": t.get("type"),
             "url": _shown_url(str(t.get("url", ""))),
             "testable": t.get("type") not in ("job", "playbook")}
            for t in doc.get("targets") or [] if isinstance(t, dict)
        ]  # fmt: skip
    return out


def _shown_url(url: str) -> str:
    """A target's URL without its query (which may carry a token); a secret reference not."""
    return url.partition("?")[0] if url.startswith(("http://", "https://")) else ""


def _outcome(d: Any) -> str:
    if not d.tries:
        return f"queued as delivery {d.id}; the worker has not tried it yet"
    last = d.tries[-1]
    if last.result == "delivered":
        answer = f"HTTP {last.status}" if last.status is not None else (last.excerpt or "ok")
        return f"delivered ({answer})"
    then = "it will be retried" if last.result == "retry" else "it is in the DLQ"
    return f"not delivered ({last.error or last.excerpt}); {then}"
