"""Rules: an event pattern or a schedule, and up to five targets (none is allowed, as PutRule
makes a rule before PutTargets gives it any), as YAML files in
`<home>/rules/<name>.yaml` (the file name is the rule's name) for the default event bus and
`<home>/rules/<bus>/<name>.yaml` for a custom bus (the folder is the bus): a rule sees only
its own bus's events, and names are unique per bus.

A target says where an event goes (`type` and its settings), how it is shaped (`input_path`,
or `input_transformer` with `paths` and `template` as EventBridge's InputPathsMap and
InputTemplate), and how hard to try (`max_attempts`, default 185; `max_age_seconds`, default
86,400; `rate_per_second`). Secrets are never written in a rule: `env:NAME` or `file:/path`
(a file only its owner can read).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from vigil.config import Settings
from vigil.errors import VigilError
from vigil.events.pattern import Pattern
from vigil.events.schedule import Schedule, parse_schedule
from vigil.events.target_types import TARGETS, check_target
from vigil.inputs import InputError, expect_mapping, load_yaml, loads

MAX_TARGETS: Final = 5
MAX_ATTEMPTS: Final = 185
MAX_AGE: Final = 86_400
_NAME: Final = re.compile(r"[.\-_A-Za-z0-9]{1,64}")
_NAME_256: Final = re.compile(r"[.\-_A-Za-z0-9]{1,256}")  # a bus's
_PATH_KEY: Final = re.compile(r"[A-Za-z0-9_\-]+")


class RuleError(VigilError):
    """A rule that cannot be used; names the rule file and the field."""


@dataclass(frozen=True)
class Target:
    id: str
    type: str
    settings: dict[str, Any]
    input_path: str | None = None
    paths: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    max_attempts: int = MAX_ATTEMPTS
    max_age_seconds: int = MAX_AGE
    rate_per_second: float | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    targets: tuple[Target, ...]
    pattern: Pattern | None = None
    schedule: Schedule | None = None
    enabled: bool = True
    description: str = ""
    account: str = "000000000000"
    region: str = "local"
    created_ms: int = 0  # events that arrived before the rule existed are not for it
    bus: str = "default"

    @property
    def key(self) -> str:
        """Unique across buses: the name on the default bus, `bus/name` on another."""
        return self.name if self.bus == "default" else f"{self.bus}/{self.name}"

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:rule/{self.key}"


def rules_dir(settings: Settings, bus: str = "default") -> Path:
    folder = settings.home / "rules"
    if bus == "default":
        return folder
    if not _NAME_256.fullmatch(bus) or bus in (".", ".."):
        raise RuleError(f"event bus {bus!r}: 1-256 of A-Z a-z 0-9 . - _")
    return folder / bus


def parse_rule(doc: Any, where: str) -> Rule:
    def bad(message: str) -> RuleError:
        return RuleError(f"{where}: {message}")

    if not isinstance(doc, dict):
        raise bad("a rule is a mapping with name, pattern or schedule, and targets")
    name = str(doc.get("name", ""))
    if not _NAME.fullmatch(name):
        raise bad(f"name {name!r}: 1-64 of A-Z a-z 0-9 . - _")
    if ("pattern" in doc) == ("schedule" in doc):
        raise bad("give either pattern or schedule")
    pattern = schedule = None
    try:
        if "pattern" in doc:
            raw = doc["pattern"]
            pattern = Pattern(raw)  # a JSON string or a mapping
        else:
            schedule = parse_schedule(str(doc["schedule"]))
    except VigilError as exc:
        raise bad(str(exc)) from exc
    raw_targets = doc.get("targets") or []
    if not isinstance(raw_targets, list) or len(raw_targets) > MAX_TARGETS:
        raise bad(f"targets: at most {MAX_TARGETS} (a rule without targets matches, sends nothing)")
    targets = tuple(_target(t, i, bad) for i, t in enumerate(raw_targets))
    ids = [t.id for t in targets]
    if len(set(ids)) != len(ids):
        raise bad("target ids must differ")
    return Rule(
        name,
        targets,
        pattern,
        schedule,
        bool(doc.get("enabled", True)),
        str(doc.get("description", "")),
        str(doc.get("account", "000000000000")),
        str(doc.get("region", "local")),
        int(doc.get("created_ms", 0)),
        str(doc.get("bus") or "default"),
    )


def _target(raw: Any, index: int, bad: Any) -> Target:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(kind, str) or kind not in TARGETS:
        raise bad(f"targets[{index}]: type is one of {', '.join(TARGETS)}")
    known = {
        "id",
        "type",
        "input_path",
        "input_transformer",
        "max_attempts",
        "max_age_seconds",
        "rate_per_second",
    }
    settings = {k: v for k, v in raw.items() if k not in known}
    transformer = raw.get("input_transformer") or {}
    paths = dict(transformer.get("paths") or {})
    for key, path in paths.items():
        if not _PATH_KEY.fullmatch(str(key)) or str(key).startswith("AWS"):
            raise bad(f"targets[{index}]: input path name {key!r}")
        if not str(path).startswith("$"):
            raise bad(f"targets[{index}]: input path {path!r} is not a JSON path ($.detail.x)")
    if len(paths) > 100:
        raise bad(f"targets[{index}]: at most 100 input paths")
    if raw.get("input_path") and transformer:
        raise bad(f"targets[{index}]: input_path or input_transformer, not both")
    problems = check_target(str(raw["type"]), settings)
    if problems:
        raise bad(f"targets[{index}] ({raw['type']}): " + "; ".join(problems))
    attempts = int(raw.get("max_attempts", MAX_ATTEMPTS))
    age = int(raw.get("max_age_seconds", MAX_AGE))
    if not 0 <= attempts <= MAX_ATTEMPTS or not 60 <= age <= MAX_AGE:
        raise bad(f"targets[{index}]: max_attempts 0-185, max_age_seconds 60-86400")
    return Target(
        str(raw.get("id", f"target-{index + 1}")),
        str(raw["type"]),
        settings,
        raw.get("input_path"),
        paths,
        transformer.get("template"),
        attempts,
        age,
        raw.get("rate_per_second"),
    )


def load_rules(settings: Settings) -> tuple[list[Rule], list[str]]:
    """Every rule; a broken file is reported, not fatal."""
    rules, problems = [], []
    folder = rules_dir(settings)
    paths = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*/*.yaml"))
    for path in paths if folder.is_dir() else []:
        bus = "default" if path.parent == folder else path.parent.name
        try:
            doc = load_yaml(path)
            if isinstance(doc, dict):
                doc = {**doc, "bus": bus}  # the folder says the bus
            rules.append(parse_rule(doc, str(path)))
        except (RuleError, InputError) as exc:
            problems.append(str(exc))
    return rules, problems


def save_rule(settings: Settings, doc: dict[str, Any]) -> Rule:
    import time

    doc = {**doc, "created_ms": int(doc.get("created_ms") or time.time() * 1000)}
    rule = check_rule(settings, doc)
    folder = rules_dir(settings, rule.bus)
    folder.mkdir(parents=True, exist_ok=True)
    written = {k: v for k, v in doc.items() if k != "bus"}  # the folder says the bus
    (folder / f"{rule.name}.yaml").write_text(yaml.safe_dump(written, sort_keys=False))
    return rule


def check_rule(settings: Settings, doc: dict[str, Any]) -> Rule:
    """The rule a document makes, its targets held to the operator's policy (vigil.yaml): no
    handler, command or network the operator has not allowed."""
    from vigil.events.policy import policy

    rule = parse_rule(doc, "rule")
    allowed = policy(settings)
    for index, target in enumerate(rule.targets):
        problems = allowed.problems(target.type, target.settings)
        if problems:
            raise RuleError(f"rule: targets[{index}] ({target.type}): " + "; ".join(problems))
    return rule


@dataclass(frozen=True)
class WrittenRule:
    """A rule as its file is written, for the shells that show or edit it as written."""

    name: str
    bus: str
    written: dict[str, Any]  # name, pattern or schedule, enabled, targets…; `bus` off default


def rule_doc(settings: Settings, name: str, bus: str = "default") -> WrittenRule:
    path = rules_dir(settings, bus) / f"{name}.yaml"
    if not _NAME.fullmatch(name) or not path.is_file():
        where = "" if bus == "default" else f" on event bus {bus}"
        raise RuleError(f"no rule {name!r}{where}", hint="vigil events rules list")
    doc = dict(expect_mapping(load_yaml(path), str(path), "a rule"))
    if bus != "default":
        doc["bus"] = bus
    return WrittenRule(name, bus, doc)


# -- input shaping -------------------------------------------------------------------------------
def json_path(event: Any, path: str) -> tuple[bool, Any]:
    """`$.detail.instance-id`, `$.resources[0]`: (found, value)."""
    value = event
    for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:]):
        if name:
            if not isinstance(value, dict) or name not in value:
                return False, None
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return False, None
            value = value[int(index)]
    return True, value


def shape(target: Target, rule: Rule, event: dict[str, Any], ingestion_ms: int) -> Any:
    """What the target receives: the event, a part of it, or the transformer's output."""
    if target.input_path:
        return json_path(event, target.input_path)[1]
    if target.template is None:
        return event
    values: dict[str, Any] = {}
    for key, path in target.paths.items():
        found, value = json_path(event, path)
        if found:
            values[key] = value
    reserved = {
        "aws.events.rule-arn": rule.arn,
        "aws.events.rule-name": rule.name,
        "aws.events.event.ingestion-time": str(ingestion_ms),
        "aws.events.event": json.dumps({k: v for k, v in event.items() if k != "detail"}),
        "aws.events.event.json": json.dumps(event),
    }

    as_json = target.template.lstrip().startswith(("{", "["))

    def put(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in reserved:
            return reserved[name]
        if name not in values:
            return "null" if as_json else ""  # an unresolved path: nothing (null in JSON)
        value = values[name]
        # in a JSON template a string is a JSON string; in a text template, its bare text
        return json.dumps(value) if as_json or not isinstance(value, str) else value

    text = re.sub(r"<([A-Za-z0-9_.\-]+)>", put, target.template)
    try:
        return loads(text)
    except json.JSONDecodeError:
        return text


# -- topics (SNS-style fan-out) ------------------------------------------------------------------
@dataclass(frozen=True)
class Subscription:
    target: Target
    filter_policy: Pattern | None


def load_topic(settings: Settings, name: str) -> list[Subscription]:
    """`<home>/topics/<name>.yaml`: subscriptions (targets) with optional filter policies,
    matched against the message body with the event-pattern grammar (SNS's MessageBody scope)."""
    path = settings.home / "topics" / f"{name}.yaml"
    if not path.is_file():
        raise RuleError(f"no topic {name!r}", hint=f"write {path} with a subscriptions list")
    doc = expect_mapping(load_yaml(path) or {}, str(path), "a topic")

    def bad(message: str) -> RuleError:
        return RuleError(f"{path}: {message}")

    subs = []
    for i, raw in enumerate(doc.get("subscriptions") or []):
        if not isinstance(raw, dict) or raw.get("type") == "topic":
            raise bad(f"subscriptions[{i}]: a target (not another topic)")
        policy = raw.get("filter_policy")
        target = _target({k: v for k, v in raw.items() if k != "filter_policy"}, i, bad)
        try:
            subs.append(Subscription(target, Pattern(policy) if policy else None))
        except VigilError as exc:
            raise bad(f"subscriptions[{i}].filter_policy: {exc}") from exc
    return subs
