"""EventBridge targets as Vigil's rule targets and back. A target's `Arn` names where events
go. Vigil reads (IMPL, see the README): `arn:aws:sns:R:A:TOPIC` → a topic;
`arn:aws:logs:R:A:log-group:G` → a log group; `https://…` (or `http://…`) → a webhook, with
`HttpParameters.HeaderParameters` as its headers; `vigil:TYPE:VALUE` → any other Vigil target
by its main setting (`vigil:playbook:NAME`, `vigil:slack:env:SLACK_URL`,
`vigil:email:ops@example.com`, `vigil:job:detect`, …)."""

from __future__ import annotations

from typing import Any, Final

from vigil.shells.http.aws import AwsApiError, Caller

MAIN_SETTING: Final = {
    "slack": "url", "pagerduty": "routing_key", "email": "to", "command": "command",
    "python": "handler", "playbook": "playbook", "job": "job", "webhook": "url",
    "topic": "topic", "log": "log_group",
}  # fmt: skip


def _valid(message: str) -> AwsApiError:
    return AwsApiError("ValidationException", message)


def target_doc(t: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge Target as a Vigil rule target."""
    ident, arn = str(t.get("Id") or ""), str(t.get("Arn") or "")
    if not ident or not arn:
        raise _valid("Each target needs an Id and an Arn.")
    doc: dict[str, Any] = {"id": ident}
    parts = arn.split(":")
    if arn.startswith(("https://", "http://")):
        doc.update(type="webhook", url=arn)
        headers = (t.get("HttpParameters") or {}).get("HeaderParameters")
        if headers:
            doc["headers"] = dict(headers)
    elif arn.startswith("arn:aws:sns:") and len(parts) == 6:
        doc.update(type="topic", topic=parts[5])
    elif arn.startswith("arn:aws:logs:") and len(parts) >= 7 and parts[5] == "log-group":
        doc.update(type="log", log_group=parts[6])
    elif arn.startswith("vigil:") and len(parts) >= 3 and parts[1] in MAIN_SETTING:
        doc.update(type=parts[1], **{MAIN_SETTING[parts[1]]: ":".join(parts[2:])})
    else:
        raise _valid(f"Target {ident}: Vigil delivers to an https:// URL, an SNS topic ARN, a "
                     f"log group ARN or vigil:TYPE:VALUE, not {arn!r}")  # fmt: skip
    if t.get("InputPath"):
        doc["input_path"] = t["InputPath"]
    if t.get("Input"):
        doc["input_transformer"] = {"template": t["Input"]}
    if t.get("InputTransformer"):
        tr = t["InputTransformer"]
        doc["input_transformer"] = {"paths": dict(tr.get("InputPathsMap") or {}),
                                    "template": tr.get("InputTemplate") or ""}  # fmt: skip
    retry = t.get("RetryPolicy") or {}
    if "MaximumRetryAttempts" in retry:
        doc["max_attempts"] = int(retry["MaximumRetryAttempts"])
    if "MaximumEventAgeInSeconds" in retry:
        doc["max_age_seconds"] = int(retry["MaximumEventAgeInSeconds"])
    return doc


def target_aws(c: Caller, doc: dict[str, Any]) -> dict[str, Any]:
    kind = str(doc.get("type"))
    main = str(doc.get(MAIN_SETTING.get(kind, ""), ""))
    if kind == "webhook":
        arn = main
    elif kind == "topic":
        arn = f"arn:aws:sns:{c.region}:{c.account}:{main}"
    elif kind == "log" and main:
        arn = f"arn:aws:logs:{c.region}:{c.account}:log-group:{main}"
    else:
        arn = f"vigil:{kind}:{main}"
    out: dict[str, Any] = {"Id": str(doc.get("id", "")), "Arn": arn}
    if doc.get("input_path"):
        out["InputPath"] = doc["input_path"]
    tr = doc.get("input_transformer") or {}
    if tr.get("paths"):
        out["InputTransformer"] = {"InputPathsMap": tr["paths"], "InputTemplate": tr["template"]}
    elif tr.get("template"):
        out["Input"] = tr["template"]
    if kind == "webhook" and doc.get("headers"):
        out["HttpParameters"] = {"HeaderParameters": doc["headers"]}
    names = (("MaximumRetryAttempts", "max_attempts"),
             ("MaximumEventAgeInSeconds", "max_age_seconds"))  # fmt: skip
    retry = {k: doc[v] for k, v in names if v in doc}
    if retry:
        out["RetryPolicy"] = retry
    return out
