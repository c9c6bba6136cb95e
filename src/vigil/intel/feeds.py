"""Threat feeds: STIX 2.x bundles, MISP events (JSON) and the CSV exports of OTX pulses and
MISP.

STIX: indicators whose patterns compare `ipv4-addr:value`, `ipv6-addr:value` or
`domain-name:value` (`=` or `ISSUBSET`). MISP JSON: `{"Event": {"Attribute": [...], "Object":
[{"Attribute": [...]}]}}`, or a search's `{"response": [{"Event": …}, …]}`. CSV: OTX's columns
`Indicator type`, `Indicator`, or MISP's `type`, `value`. Typed values are read by type: ip-dst,
ip-src (and their `|port` forms), IPv4, IPv6 and CIDR are addresses; domain, hostname (and
`hostname|port`) names; domain|ip both; url and uri their host. Other types (hashes, e-mail
addresses) are not for these lists and are passed over quietly; `to_ids` is not consulted.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Final
from urllib.parse import urlsplit

from vigil.intel.entries import Item, Parsed, Want, read_items

_STIX: Final = re.compile(r"\b(ipv4-addr|ipv6-addr|domain-name):value\s*(?:=|ISSUBSET)\s*'([^']+)'")
_ADDRESSES: Final = frozenset({"ipv4", "ipv6", "cidr", "ip-dst", "ip-src"})
_NAMES: Final = frozenset({"domain", "hostname"})


def is_csv_feed(first_line: str) -> bool:
    columns = [c.strip().strip('"').lower() for c in first_line.split(",")]
    return len(columns) > 1 and (
        any("indicator" in c for c in columns) or {"type", "value"} <= set(columns)
    )


def json_feed(text: str, source: str) -> Parsed:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return Parsed(problems=[f"{source}:{exc.lineno}: not valid JSON: {exc.msg}"])
    except RecursionError:
        return Parsed(problems=[f"{source}: JSON nested too deeply to read"])
    except ValueError as exc:  # an integer of thousands of digits
        return Parsed(problems=[f"{source}: cannot read the JSON: {exc}"])
    if isinstance(doc, dict) and ("Event" in doc or "response" in doc):
        return _misp(doc, source)
    return _stix(doc, source)


def _stix(doc: Any, source: str) -> Parsed:
    objects = doc.get("objects", []) if isinstance(doc, dict) else doc
    items: list[Item] = []
    problems: list[str] = []
    for index, obj in enumerate(objects if isinstance(objects, list) else []):
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        where = f"{source}: indicator {obj.get('id', index)}"
        found = _STIX.findall(str(obj.get("pattern", "")))
        if not found:
            problems.append(f"{where} has no IP address or domain name pattern")
        items += [Item(where, v, "name" if t == "domain-name" else "address") for t, v in found]
    return read_items(items, source, problems)


def _misp(doc: dict[str, Any], source: str) -> Parsed:
    wrapped = doc.get("response") if "response" in doc else [doc]
    events = (
        [w.get("Event") for w in wrapped if isinstance(w, dict)]
        if isinstance(wrapped, list)
        else []
    )
    attributes: list[Any] = []
    for event in events:
        if isinstance(event, dict):
            attributes += _list(event.get("Attribute"))
            attributes += [a for o in _list(event.get("Object")) for a in _list(o.get("Attribute"))]
    items: list[Item] = []
    for index, attr in enumerate(attributes, 1):
        if isinstance(attr, dict):
            where = f"{source}: attribute {attr.get('uuid') or index}"
            items += typed(where, str(attr.get("type", "")), str(attr.get("value", "")))
    return read_items(items, source)


def _list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def typed(where: str, kind: str, value: str) -> list[Item]:
    """The items a typed indicator holds (none for types these lists do not take)."""
    kind, value = kind.strip().lower(), value.strip()
    base, _, suffix = kind.partition("|")
    if suffix == "port":  # ip-dst|port, hostname|port: the value's last part is the port
        value = value.rpartition("|")[0] or value
    want: Want | None = "address" if base in _ADDRESSES else "name" if base in _NAMES else None
    if kind == "domain|ip":
        name, _, address = value.partition("|")
        return [Item(where, name, "name"), Item(where, address, "address")]
    if want is not None and suffix in ("", "port"):
        return [Item(where, value, want)]
    if kind in ("url", "uri"):
        return [Item(where, _host(value))]
    return []


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else f"http://{url}").hostname
    except ValueError:
        return url
    return host or url


def csv_feed(text: str, source: str) -> Parsed:
    try:
        return _csv_rows(text, source)
    except csv.Error as exc:
        return Parsed(problems=[f"{source}: not a readable CSV: {exc}"])


def _csv_rows(text: str, source: str) -> Parsed:
    reader = csv.DictReader(io.StringIO(text))
    fields = {name.lower().strip(): name for name in reader.fieldnames or []}
    kind = fields.get("indicator type") or fields.get("type")
    value = fields.get("indicator") or fields.get("value")
    if value is None:
        return Parsed(problems=[f"{source}:1: no Indicator (or value) column in the CSV header"])
    items: list[Item] = []
    for lineno, row in enumerate(reader, start=2):
        where, text_value = f"{source}:{lineno}", str(row.get(value) or "")
        if kind is None:
            items.append(Item(where, text_value))
        else:
            items += typed(where, str(row.get(kind) or ""), text_value)
    return read_items(items, source)
