"""Mutated requests for every operation of botocore's models of the services Vigil serves, in
every protocol each speaks, signed as a client signs them; and mutated requests for the native
API, the push endpoints and the console. `run()` sends them to a real server and reports every
answer of 500 or more, every request that broke the connection, and whether the next good
request was answered."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import cbor2
import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.session import Session

# service → (signing name, protocols served, JSON content type, X-Amz-Target prefix)
SERVICES = {
    "logs": ("logs", ("json",), "application/x-amz-json-1.1", "Logs_20140328"),
    "events": ("events", ("json",), "application/x-amz-json-1.1", "AWSEvents"),
    "cloudwatch": ("monitoring", ("json", "query", "cbor"), "application/x-amz-json-1.0",
                   "GraniteServiceVersion20100801"),
    "securityhub": ("securityhub", ("rest-json",), "application/json", ""),
}  # fmt: skip
WEIRD: list[Any] = [
    None, True, 0, -1, 2**31, 2**63, 2**70, 1.5, "NaN", "Infinity", "", " ", "5", "abc",
    "\u0000", "\ud800", "é" * 3, "x" * 300_000, [], [None], {}, {"a": {"b": []}},
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    "1970-01-01T00:00:00Z", "9999-99-99", -(10**30), 1e308, "arn:aws:logs:::*", "../../etc",
]  # fmt: skip


@dataclass
class Outcome:
    sent: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # 5xx answers and broken connections
    checks: int = 0  # good requests answered between batches


def sample(shape: Shape, rng: random.Random, depth: int = 0) -> Any:
    """A plausible value for the shape: required members always, optional ones sometimes."""
    if isinstance(shape, StructureShape):
        out = {}
        for name, member in shape.members.items():
            if name in shape.required_members or (depth < 3 and rng.random() < 0.3):
                if member.serialization.get("location") in ("uri", "querystring", "header"):
                    continue
                out[name] = sample(member, rng, depth + 1)
        return out
    if isinstance(shape, ListShape):
        return [sample(shape.member, rng, depth + 1)] if depth < 5 else []
    if isinstance(shape, MapShape):
        return {"k": sample(shape.value, rng, depth + 1)} if depth < 5 else {}
    kind = shape.type_name
    if kind == "string":
        enum = shape.metadata.get("enum")
        return rng.choice(enum) if enum else f"fuzz-{rng.randrange(1000)}"
    if kind in ("integer", "long"):
        return rng.choice([1, 10, 100])
    if kind in ("double", "float"):
        return rng.choice([0.5, 1.0, 42.0])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return datetime.now(UTC).timestamp()
    return "fuzz"


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The document with one member's value replaced, dropped, or a member added."""
    doc = json.loads(json.dumps(doc))
    paths = [p for p in _paths(doc) if p]
    choice = rng.random()
    if not paths or choice < 0.1:
        doc[rng.choice(["Bogus", "__proto__", "x" * 200])] = rng.choice(WEIRD)
        return doc
    where = rng.choice(paths)
    parent = doc
    for step in where[:-1]:
        parent = parent[step]
    if choice < 0.25 and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = rng.choice(WEIRD)
    return doc


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _flat(value: Any, prefix: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value, 1):
            _flat(v, f"{prefix}.member.{i}", out)
    else:
        out.append((prefix, "" if value is None else str(value)))


def body_for(protocol: str, service: str, op: OperationModel, doc: Any) -> tuple[str, str,
                                                                                   dict[str, str], bytes]:  # fmt: skip
    """(method, path, headers, body) of the call as the protocol carries it."""
    _, _, ctype, prefix = SERVICES[service]
    if protocol == "json":
        return "POST", "/", {"X-Amz-Target": f"{prefix}.{op.name}",
                             "Content-Type": ctype}, _json_bytes(doc)  # fmt: skip
    if protocol == "cbor":
        try:
            raw = cbor2.dumps(doc)
        except (TypeError, ValueError, cbor2.CBOREncodeError):
            raw = b"\xbf"
        return "POST", f"/service/{prefix}/operation/{op.name}", {
            "Content-Type": "application/cbor", "Accept": "application/cbor",
            "smithy-protocol": "rpc-v2-cbor"}, raw  # fmt: skip
    if protocol == "query":
        pairs = [("Action", op.name), ("Version", "2010-08-01")]
        _flat(doc, "", pairs)
        text = urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs])
        return "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"}, text.encode()
    uri = op.http.get("requestUri", "/").split("?")[0]
    for name in ("InsightArn+", "ProductSubscriptionArn+", "Arn+", "ResourceArn", "AccountId"):
        uri = uri.replace("{" + name + "}", quote("arn:aws:securityhub:::fuzz", safe=""))
    while "{" in uri:
        start, end = uri.index("{"), uri.index("}")
        uri = uri[:start] + "fuzz" + uri[end + 1 :]
    method = op.http.get("method", "POST")
    return method, uri, {"Content-Type": ctype}, _json_bytes(doc)


class Sender:
    def __init__(self, url: str, key: dict[str, str], token: str, outcome: Outcome) -> None:
        self.url = url
        self.key = key
        self.token = token
        self.outcome = outcome
        self.client = httpx.Client(timeout=60)

    def send(self, label: str, method: str, path: str, headers: dict[str, str], body: bytes,
             *, sign: str | None = None, tamper: Callable[[dict[str, str]], None] | None = None,
             ) -> int:  # fmt: skip
        if sign:
            req = AWSRequest(method, self.url + path, data=body, headers=headers)
            SigV4Auth(Credentials(self.key["AccessKeyId"], self.key["SecretAccessKey"]), sign,
                      "eu-west-1").add_auth(req)  # fmt: skip
            headers = {k: v if isinstance(v, str) else v.decode() for k, v in req.headers.items()}
        if tamper:
            tamper(headers)
        self.outcome.sent += 1
        try:
            reply = self.client.request(method, self.url + path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self.outcome.failures.append(f"{label}: connection: {exc!r}")
            self.client = httpx.Client(timeout=60)
            return 0
        status = reply.status_code
        self.outcome.by_status[status] = self.outcome.by_status.get(status, 0) + 1
        if status >= 500:
            self.outcome.failures.append(f"{label}: {status} {reply.text[:200]}")
        return status


def _header_mutations(rng: random.Random) -> Callable[[dict[str, str]], None]:
    def tamper(headers: dict[str, str]) -> None:
        kind = rng.randrange(7)
        auth = headers.get("Authorization", "")
        if kind == 0:
            headers.pop("Authorization", None)
        elif kind == 1 and auth:
            headers["Authorization"] = auth[:-4] + "0000"  # signature changed
        elif kind == 2:
            headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=" + "A" * 5000
        elif kind == 3:
            headers["X-Amz-Date"] = "19700101T000000Z"
        elif kind == 4:
            headers["Content-Type"] = rng.choice(["text/plain", "", "application/json; x=" +
                                                  "y" * 1000, "multipart/form-data"])  # fmt: skip
        elif kind == 5:
            headers["Authorization"] = auth.replace("Credential=", "Credential=AKIA000000000FAKE/")
        else:
            headers["Content-Encoding"] = rng.choice(["gzip", "deflate", "br, gzip"])

    return tamper


def _body_mutation(body: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return body[: rng.randrange(len(body) + 1)]
    if kind == 1 and body:
        data = bytearray(body)
        for _ in range(rng.randrange(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == 2:
        return b"\xff\xfe" + body
    if kind == 3:
        return rng.choice([b"[]", b"null", b"1", b'"x"', b"{" * 70 + b"}" * 70])
    if kind == 4:
        return gzip.compress(body)
    return body + b"x" * rng.choice([10, 2 << 20])


def aws_requests(rng: random.Random, per_operation: int) -> Iterator[tuple[str, str, str, str,
                                                                           dict[str, str], bytes,
                                                                           str]]:  # fmt: skip
    """(label, how, method, path, headers, body, signing name) for every operation in every
    protocol; `how` is shape (a mutated value), body (mutated bytes) or header (after
    signing)."""
    session = Session()
    for service, (signing, protocols, _, _) in SERVICES.items():
        model = session.get_service_model(service)
        for name in model.operation_names:
            op = model.operation_model(name)
            base = sample(op.input_shape, rng) if op.input_shape is not None else {}
            for protocol in protocols:
                for i in range(per_operation):
                    how = ("shape", "shape", "shape", "body", "header")[i % 5]
                    doc = mutate(base, rng) if how != "header" else base
                    method, path, headers, body = body_for(protocol, service, op, doc)
                    if how == "body":
                        body = _body_mutation(body, rng)
                    yield (f"{service}:{name}/{protocol}/{how}#{i}", how, method, path, headers,
                           body, signing)  # fmt: skip


def native_requests(openapi: dict[str, Any], rng: random.Random,
                    per_route: int) -> Iterator[tuple[str, str, str, dict[str, str], bytes]]:  # fmt: skip
    """(label, method, path, headers, body) for every route of the native API and the push
    endpoints, with values of every kind in the body and the path."""
    for path, methods in openapi.get("paths", {}).items():
        for method in methods:
            for i in range(per_route):
                concrete = path
                while "{" in concrete:
                    start, end = concrete.index("{"), concrete.index("}")
                    filler = quote(str(rng.choice(WEIRD))[:200], safe="", errors="surrogatepass")
                    concrete = concrete[:start] + (filler or "x") + concrete[end + 1 :]
                query = urlencode({"limit": rng.choice(["-1", "x", "99999999999999999999"]),
                                   "since": rng.choice(["yesterday", "", "9" * 40])})  # fmt: skip
                doc = {"sql": rng.choice(WEIRD), "ids": rng.choice(WEIRD),
                       "pattern": rng.choice(WEIRD), "records": rng.choice(WEIRD)}  # fmt: skip
                body = _json_bytes(mutate(doc, rng))
                if i % 3 == 2:
                    body = _body_mutation(body, rng)
                headers = {"Content-Type": "application/json",
                           "X-Amz-Firehose-Request-Id": f"fuzz-{i}"}  # fmt: skip
                yield (f"native:{method.upper()} {path}#{i}", method.upper(),
                       f"{concrete}?{query}", headers, body)  # fmt: skip
