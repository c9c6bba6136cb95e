"""What targets may do, as the operator sets it in `<home>/vigil.yaml`: never over the API or the
console, so a stolen key cannot name new code or reach into the host's networks.

```yaml
targets:
  python:  {allow: [mypkg.handlers:notify]}       # the only handlers a python target runs
  command: {allow: [/usr/local/bin/page-oncall]}  # besides <home>/commands.allow
  webhook: {allow_networks: [10.20.0.0/16]}       # private ranges webhooks, Slack, PagerDuty
  email:   {allow_networks: [10.20.30.40/32]}     #   and SMTP servers may reach
```

Everything is closed by default: no handler, no command, no private network. A rule naming
anything else is refused when it is put, and a delivery is refused again when it runs.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.events.netguard import NetworkGuard, Refused, guard_of

KINDS: Final = {"python": ("allow",), "command": ("allow",), "webhook": ("allow_networks",),
                "email": ("allow_networks",)}  # fmt: skip
HTTP_KINDS: Final = frozenset({"webhook", "slack", "pagerduty"})
AWS_KINDS: Final = frozenset({"job", "playbook"})  # their endpoint_url gets the server's keys
DEFAULT_PORT: Final = 8700


@dataclass(frozen=True)
class TargetPolicy:
    handlers: frozenset[str]  # module:function
    commands: frozenset[str]  # programs (argv[0])
    web: NetworkGuard
    mail: NetworkGuard

    def problems(self, kind: str, settings: Mapping[str, Any]) -> list[str]:
        """Why a target of this kind and settings may not be used (empty: it may)."""
        if kind == "python":
            handler = str(settings.get("handler", ""))
            if handler not in self.handlers:
                return [
                    f"handler {handler!r} is not allowed: the operator lists python "
                    "handlers in vigil.yaml (targets: {python: {allow: [module:function]}})"
                ]
        if kind == "command":
            program = program_of(settings.get("command"))
            if program is None:
                return ["command: an unclosed quote"]
            if program not in self.commands:
                return [
                    f"command {program!r} is not allowed: the operator lists programs in "
                    "<home>/commands.allow or vigil.yaml (targets.command.allow)"
                ]
        try:
            # A URL given as env:NAME or file:/path is a secret: it is not read here (nor
            # quoted back), only when delivering, where the connection itself is checked.
            url = str(settings.get("url") or "")
            if kind in HTTP_KINDS and url and not url.startswith(("env:", "file:")):
                self.web.check_url(url)
            if kind in AWS_KINDS and settings.get("endpoint_url"):  # AWS calls, signed
                self.web.check_url(str(settings["endpoint_url"]))
            if kind == "email":
                self.mail.resolve(str(settings.get("host", "localhost")),
                                  int(settings.get("port", 25)))  # fmt: skip
        except Refused as exc:
            if not str(exc).startswith("cannot resolve"):
                return [str(exc)]
        except ValueError:
            pass  # a port that is not a number: the settings check says so
        return []


def program_of(command: Any) -> str | None:
    """The program a command names (None: it does not split, an unclosed quote)."""
    try:
        argv = command if isinstance(command, list) else shlex.split(str(command or ""))
    except ValueError:
        return None
    return str(argv[0]) if argv else ""


_cache: dict[Path, tuple[tuple[object, ...], TargetPolicy]] = {}
_lock = threading.Lock()


def policy(settings: Settings) -> TargetPolicy:
    """The home's policy (read again when vigil.yaml or commands.allow changes)."""
    path = settings.home / "vigil.yaml"
    allow_file = settings.home / "commands.allow"
    stamp = (*(_stamp(p) for p in (path, allow_file)), os.environ.get("VIGIL_PORT", ""))
    with _lock:
        seen = _cache.get(path)
        if seen and seen[0] == stamp:
            return seen[1]
    made = _load(settings, path, allow_file)
    with _lock:
        _cache[path] = (stamp, made)
    return made


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def _load(settings: Settings, path: Path, allow_file: Path) -> TargetPolicy:
    from vigil.inputs import expect_mapping, load_yaml

    doc: Mapping[str, Any] = {}
    if path.is_file():
        doc = expect_mapping(load_yaml(path) or {}, str(path), "the server's settings")
    section = check_section(doc.get("targets"), str(path))
    commands = set(_strings(section, "command", "allow"))
    if allow_file.is_file():
        commands |= {line.strip() for line in allow_file.read_text().splitlines()
                     if line.strip() and not line.lstrip().startswith("#")}  # fmt: skip
    port = os.environ.get("VIGIL_PORT") or doc.get("port") or DEFAULT_PORT
    ports = {int(port)} if str(port).isdigit() else {DEFAULT_PORT}
    return TargetPolicy(
        frozenset(_strings(section, "python", "allow")), frozenset(commands),
        guard_of(_strings(section, "webhook", "allow_networks"), ports, "webhook"),
        guard_of(_strings(section, "email", "allow_networks"), ports, "email"),
    )  # fmt: skip


def check_section(raw: Any, where: str) -> dict[str, dict[str, list[str]]]:
    """`targets:` of vigil.yaml, each name and value checked (`vigil serve --check`)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: targets is a mapping of python, command, webhook, email")
    out: dict[str, dict[str, list[str]]] = {}
    for kind, body in raw.items():
        if kind not in KINDS:
            raise ConfigError(f"{where}: targets.{kind} is not a setting",
                              hint="targets: python, command, webhook, email")  # fmt: skip
        if not isinstance(body, dict) or set(body) - set(KINDS[kind]):
            raise ConfigError(f"{where}: targets.{kind} takes {', '.join(KINDS[kind])}")
        out[kind] = {}
        for key, values in body.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ConfigError(f"{where}: targets.{kind}.{key} is a list of strings")
            if key == "allow_networks":
                for value in values:
                    try:
                        ipaddress.ip_network(value, strict=False)
                    except ValueError:
                        raise ConfigError(
                            f"{where}: targets.{kind}.allow_networks: {value!r} is not a CIDR "
                            "network",
                            hint="10.0.0.0/8",
                        ) from None
            if kind == "python" and not all(":" in v for v in values):
                raise ConfigError(f"{where}: targets.python.allow: each is module:function")
            out[kind][key] = list(values)
    return out


def _strings(section: dict[str, dict[str, list[str]]], kind: str, key: str) -> list[str]:
    return section.get(kind, {}).get(key, [])
