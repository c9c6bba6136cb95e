"""What each target type takes, checked when a rule is put (not at delivery): required and
known settings, their types, and secrets only as `env:NAME` or `file:/path`. The specs sit in
the one table of target types (`vigil.events.target_types.TARGETS`); this module holds the
checks they use.

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

from collections.abc import Callable, Mapping
from typing import Any, Final

Spec = tuple[frozenset[str], frozenset[str], frozenset[str]]  # required, optional, secrets
# A target type's check of its settings: (its spec, the settings) -> every problem.
Check = Callable[[Spec, Mapping[str, Any]], list[str]]


def spec(required: str = "", optional: str = "", secrets: str = "") -> Spec:
    return frozenset(required.split()), frozenset(optional.split()), frozenset(secrets.split())


JOBS: Final[dict[str, Spec]] = {
    "detect": spec(),
    "alarms": spec(),
    "ingest": spec("sources", "endpoint_url format account region"),
    "posture": spec("", "regions profiles profile accounts role endpoint_url"),
}
_LISTS: Final = frozenset({"sources", "regions", "accounts"})


def check_settings(kind: Spec, settings: Mapping[str, Any]) -> list[str]:
    """The names the spec knows and requires, and secrets given only by reference."""
    required, optional, secrets = kind
    problems = _names(settings, required, optional)
    for name in sorted(secrets & settings.keys()):
        if not str(settings[name]).startswith(("env:", "file:")):
            problems.append(f"{name}: a secret is given as env:NAME or file:/path, not the value")
    return problems


def check_email(kind: Spec, settings: Mapping[str, Any]) -> list[str]:
    problems = check_settings(kind, settings)
    if "port" in settings and not str(settings["port"]).isdigit():
        problems.append("port is a number")
    return problems


def check_playbook(kind: Spec, settings: Mapping[str, Any]) -> list[str]:
    problems = check_settings(kind, settings)
    if "apply" in settings and not isinstance(settings["apply"], bool):
        problems.append("apply is true or false")
    return problems


def check_job(kind: Spec, settings: Mapping[str, Any]) -> list[str]:
    """`job` names the job; the other settings are that job's options (JOBS)."""
    problems = check_settings(kind, {k: v for k, v in settings.items() if k == "job"})
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
        problems += _flow_format(str(rest["format"]))
    return problems


def _flow_format(text: str) -> list[str]:
    from vigil.errors import FormatError
    from vigil.formats.flowlog_fields import parse_format

    try:
        parse_format(text)
    except FormatError as exc:
        return [f"job ingest: format: {exc}"]
    return []


def _names(
    settings: Mapping[str, Any], required: frozenset[str], optional: frozenset[str]
) -> list[str]:
    problems = [f"{name} is required" for name in sorted(required - settings.keys())]
    for name in sorted(settings.keys() - required - optional):
        known = ", ".join(sorted(required | optional)) or "none"
        problems.append(f"unknown setting {name!r} (known: {known})")
    return problems
