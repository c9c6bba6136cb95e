"""The server's settings: `<home>/vigil.yaml`, each key also an environment variable
(`VIGIL_PORT`, …), checked at start; and the settings a server runs with."""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import replace
from typing import Final

from vigil.config import ENGINE_KEYS, QueryLimits, Settings, memory_bytes, tighten
from vigil.errors import ConfigError
from vigil.events.netguard import serving_on
from vigil.events.policy import check_section
from vigil.inputs import expect_mapping, load_yaml

log = logging.getLogger("vigil.serve")

ENV_PREFIX: Final = "VIGIL_"


class ServeConfig:
    """`<home>/vigil.yaml`, each key also an environment variable (`VIGIL_PORT`, …), the
    environment winning; checked at start (`vigil serve --check`)."""

    KEYS: Final = {
        "host": (str, "127.0.0.1"), "port": (int, 8700), "account": (str, "000000000000"),
        "region": (str, "us-east-1"), "tls_cert": (str, None), "tls_key": (str, None),
        "insecure_no_auth": (bool, False), "worker_interval": (float, 1.0),
        "detect_interval": (float, 30.0), "alarm_interval": (float, 10.0),
        "compact_interval": (float, 60.0),
        "log_level": (str, "info"),
        "trusted_proxies": (list, []),
        "query_timeout": (float, 30.0), "query_memory_limit": (str, "1GB"),
        "query_max_rows": (int, 10_000), "query_concurrency": (int, 4),
        "query_max_bytes": (str, "64MB"),
        "metrics_open": (bool, False),  # /metrics without a token: loopback only
        "query_threads": (int, max(1, (os.cpu_count() or 2) - 1)),  # one core for requests
    }  # fmt: skip
    SECTIONS: Final = ("sources", "targets")  # checked by their own stages

    def __init__(self, values: dict[str, object], path: str) -> None:
        self.values = values
        self.path = path

    def __getitem__(self, key: str) -> object:
        return self.values[key]

    @classmethod
    def load(cls, settings: Settings, overrides: dict[str, object] | None = None) -> ServeConfig:

        path = settings.home / "vigil.yaml"
        doc: dict[str, object] = {}
        if path.is_file():
            doc = dict(expect_mapping(load_yaml(path), str(path), "the server's settings"))
        unknown = sorted(set(doc) - set(cls.KEYS) - set(cls.SECTIONS) - set(ENGINE_KEYS))
        if unknown:
            raise ConfigError(f"{path}: {', '.join(unknown)} is not a setting",
                              hint="settings: " + ", ".join(cls.KEYS))  # fmt: skip
        values: dict[str, object] = {}
        for key, (kind, default) in cls.KEYS.items():
            raw = os.environ.get(ENV_PREFIX + key.upper(), doc.get(key, default))
            if overrides and overrides.get(key) is not None:
                raw = overrides[key]
            values[key] = _typed(kind, raw, key, str(path))
        if (values["tls_cert"] and not values["tls_key"]) or (values["tls_key"] and not \
                values["tls_cert"]):  # fmt: skip
            raise ConfigError("TLS needs both tls_cert and tls_key",
                              hint="--tls-cert FILE --tls-key FILE")  # fmt: skip
        if values["insecure_no_auth"] and values["host"] not in ("127.0.0.1", "::1", "localhost"):
            raise ConfigError("insecure_no_auth is only allowed on loopback",
                              hint="listen on 127.0.0.1, or keep authentication on")  # fmt: skip
        if values["metrics_open"] and values["host"] not in ("127.0.0.1", "::1", "localhost"):
            raise ConfigError("metrics_open is only allowed on loopback",
                              hint="give a scraper a token: vigil users create prom --role "
                                   "metrics; vigil tokens create --user prom")  # fmt: skip
        port = values["port"]
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"port {port} is not 0-65535")

        check_section(doc.get("targets"), str(path))
        values["trusted_proxies"] = _networks(values["trusted_proxies"], str(path))
        _limits(values, str(path))
        return cls(values, str(path))

    def query_limits(self) -> QueryLimits:
        """The limits every query a client sends runs under."""
        return QueryLimits(
            seconds=float(str(self["query_timeout"])), memory=str(self["query_memory_limit"]),
            max_rows=int(str(self["query_max_rows"])),
            concurrency=int(str(self["query_concurrency"])),
            max_bytes=memory_bytes(str(self["query_max_bytes"])),
            threads=int(str(self["query_threads"])),
        )  # fmt: skip


def for_serving(settings: Settings, config: ServeConfig) -> Settings:
    """The settings a server runs with: its limits on clients' queries, and its port made
    known to the target guard (no target may deliver to the server itself)."""

    changed = tighten(settings.home)
    if changed:
        log.info("made %d files and folders in %s readable by their owner only", changed,
                 settings.home)  # fmt: skip
    if int(str(config["port"])):
        serving_on([int(str(config["port"]))])
    return replace(settings, limits=config.query_limits())


def _networks(raw: object, where: str) -> list[str]:
    """`trusted_proxies`: addresses or CIDR networks (a list, or commas in the environment)."""

    items = raw if isinstance(raw, list) else [p for p in str(raw or "").split(",")]
    out = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(f"{where}: trusted_proxies: {item!r} is not an address or network",
                              hint="e.g. [10.0.0.5, 10.1.0.0/24]") from None  # fmt: skip
    return out


def _limits(values: dict[str, object], where: str) -> None:
    for key in ("query_timeout", "query_max_rows", "query_concurrency", "query_threads"):
        if not float(str(values[key])) > 0:
            raise ConfigError(f"{where}: {key} must be above 0")
    for key in ("query_memory_limit", "query_max_bytes"):
        try:
            memory_bytes(str(values[key]))
        except ValueError:
            raise ConfigError(f"{where}: {key} = {values[key]!r} is not a size",
                              hint="e.g. 64MB, 512MB, 2GB") from None  # fmt: skip


def _typed(kind: type, raw: object, key: str, where: str) -> object:
    if raw is None:
        return None
    if kind is list:
        return raw
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).lower()
            if text not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(text)
            return text in ("1", "true", "yes")
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {key} = {raw!r} is not a {kind.__name__}",
                          hint=f"or set {ENV_PREFIX}{key.upper()}") from None  # fmt: skip
