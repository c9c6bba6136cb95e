"""What each target type takes, checked when a rule is put (not at delivery): required and
known settings, their types, and secrets only as `env:NAME` or `file:/path`.

| type | required | optional (secrets marked *) |
|---|---|---|
| webhook | url | headers, secret* |
| slack | url* | link |
| pagerduty | routing_key* | action (trigger, resolve), url |
| email | from, to | subject, host, port, starttls, ca_file, username, password* |
| command | command | timeout |
| python | handler (module:function) | |
| topic | topic | |
| log | | log_group, stream |
| playbook | playbook | apply, role, endpoint_url, subnet |
| job | job (detect, alarms, ingest, posture) | per job, below |

Job options: `ingest` takes sources (a list, required), endpoint_url, format (a flow-log
format), account, region; `posture` takes regions, profiles (or profile), accounts, role,
endpoint_url; `detect` and `alarms` take none.
"""

from __future__ import annotations

from typing import Any, Final

Spec = tuple[frozenset[str], frozenset[str], frozenset[str]]  # required, optional, secrets


def _spec(required: str = "", optional: str = "", secrets: str = "") -> Spec:
    return frozenset(required.split()), frozenset(optional.split()), frozenset(secrets.split())


SPECS: Final[dict[str, Spec]] = {
    "webhook": _spec("url", "headers secret", "secret"),
    "slack": _spec("url", "link", "url"),
    "pagerduty": _spec("routing_key", "action url", "routing_key"),
    "email": _spec("from to", "subject host port starttls ca_file username password", "password"),
    "command": _spec("command", "timeout"),
    "python": _spec("handler"),
    "topic": _spec("topic"),
    "log": _spec("", "log_group stream"),
    "playbook": _spec("playbook", "apply role endpoint_url subnet"),
    "job": _spec("job"),
}
JOBS: Final[dict[str, Spec]] = {
    "detect": _spec(),
    "alarms": _spec(),
    "ingest": _spec("sources", "endpoint_url format account region"),
    "posture": _spec("", "regions profiles profile accounts role endpoint_url"),
}
_LISTS: Final = frozenset({"sources", "regions", "accounts"})


def check_target(kind: str, settings: dict[str, Any]) -> list[str]:
    """Every problem with a target's settings (empty when it can be delivered to)."""
    required, optional, secrets = SPECS[kind]
    named = {k: v for k, v in settings.items() if kind != "job" or k == "job"}
    problems = _names(named, required, optional)
    for name in secrets & settings.keys():
        value = str(settings[name])
        if not value.startswith(("env:", "file:")):
            problems.append(f"{name}: a secret is given as env:NAME or file:/path, not the value")
    if kind == "job":
        job = str(settings.get("job"))
        if job not in JOBS:
            return [f"job {job!r}: one of {', '.join(JOBS)}"]
        required, optional, _ = JOBS[job]
        rest = {k: v for k, v in settings.items() if k != "job"}
        problems += [f"job {job}: {p}" for p in _names(rest, required, optional)]
        for name in _LISTS & rest.keys():
            if not isinstance(rest[name], list | str) or rest[name] in ([], ""):
                problems.append(f"job {job}: {name} is a list (or one value)")
        if job == "ingest" and "format" in rest:
            from vigil.errors import FormatError
            from vigil.formats.flowlog_fields import parse_format

            try:
                parse_format(str(rest["format"]))
            except FormatError as exc:
                problems.append(f"job ingest: format: {exc}")
    if kind == "playbook" and "apply" in settings and not isinstance(settings["apply"], bool):
        problems.append("apply is true or false")
    if kind == "email" and "port" in settings and not str(settings["port"]).isdigit():
        problems.append("port is a number")
    return problems


def _names(
    settings: dict[str, Any], required: frozenset[str], optional: frozenset[str]
) -> list[str]:
    problems = [f"{name} is required" for name in sorted(required - settings.keys())]
    for name in sorted(settings.keys() - required - optional):
        known = ", ".join(sorted(required | optional)) or "none"
        problems.append(f"unknown setting {name!r} (known: {known})")
    return problems
