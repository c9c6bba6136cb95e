"""The wire protocols, read and written from botocore's own service models: AWS JSON 1.0 and
1.1 (`X-Amz-Target`), query (form bodies, XML replies) and Smithy RPC v2 CBOR. Handlers see
plain Python values (timestamps as datetimes) whatever the protocol was."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import cbor2
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.session import Session

from vigil.shells.http.aws import AwsApiError

# X-Amz-Target prefix → (botocore service name, signing name)
TARGETS: Final = {
    "Logs_20140328": ("logs", "logs"),
    "AWSEvents": ("events", "events"),
    "GraniteServiceVersion20100801": ("cloudwatch", "monitoring"),
}
QUERY_VERSIONS: Final = {"2010-08-01": ("cloudwatch", "monitoring")}
CBOR_SERVICES: Final = {"GraniteServiceVersion20100801": ("cloudwatch", "monitoring")}


@cache
def model(service: str) -> ServiceModel:
    return Session().get_service_model(service)


@dataclass
class Call:
    service: str  # botocore's name: logs, events, cloudwatch, securityhub
    signing_name: str
    operation: str
    protocol: str  # json | query | cbor | rest-json
    params: dict[str, Any] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def op_model(self) -> OperationModel:
        try:
            return model(self.service).operation_model(self.operation)
        except Exception:
            raise AwsApiError(
                "UnknownOperationException",
                f"{self.operation} is not an operation of {self.service}",
            ) from None


def decode_json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AwsApiError("SerializationException", f"the body is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise AwsApiError("SerializationException", "the body is not a JSON object")
    return doc


def decode_cbor(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        doc = cbor2.loads(body)
    except Exception as exc:
        raise AwsApiError("SerializationException", f"the body is not CBOR: {exc}") from None
    if not isinstance(doc, dict):
        raise AwsApiError("SerializationException", "the body is not a CBOR map")
    return doc


def decode_query(call: Call, form: list[tuple[str, str]]) -> dict[str, Any]:
    """`MetricData.member.1.MetricName=…` → {"MetricData": [{"MetricName": …}]}."""
    flat = dict(form)
    shape = call.op_model.input_shape
    return _from_query(shape, flat, "") if shape is not None else {}


def _from_query(shape: Shape, flat: dict[str, str], prefix: str) -> Any:
    if isinstance(shape, StructureShape):
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            value = _from_query(member, flat, f"{prefix}{key}" if not prefix else f"{prefix}.{key}")
            if value is not None:
                out[name] = value
        return out or None if prefix else out
    if isinstance(shape, ListShape):
        items = []
        flattened = shape.serialization.get("flattened")
        i = 1
        while True:
            at = f"{prefix}.{i}" if flattened else f"{prefix}.member.{i}"
            value = _from_query(shape.member, flat, at)
            if value is None:
                break
            items.append(value)
            i += 1
        if not items and flat.get(prefix) == "":
            return []
        return items or None
    if isinstance(shape, MapShape):
        mapped: dict[str, Any] = {}
        i = 1
        while f"{prefix}.entry.{i}.key" in flat:
            k = flat[f"{prefix}.entry.{i}.key"]
            mapped[k] = _from_query(shape.value, flat, f"{prefix}.entry.{i}.value")
            i += 1
        return mapped or None
    if prefix not in flat:
        return None
    return scalar(shape.type_name, flat[prefix], prefix)


def scalar(kind: str, text: str, where: str) -> Any:
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("double", "float"):
            return float(text)
        if kind == "boolean":
            return text.lower() == "true"
        if kind == "timestamp":
            return timestamp(text)
        if kind == "blob":
            return base64.b64decode(text)
    except (ValueError, OverflowError, OSError):
        raise AwsApiError("InvalidParameterValue", f"{where}: {text!r} is not a {kind}") from None
    return text


def timestamp(value: Any) -> datetime:
    """A timestamp as clients send it: a datetime (CBOR), epoch seconds, or ISO 8601."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def conform(call: Call, result: dict[str, Any]) -> dict[str, Any]:
    """The handler's result with every timestamp member a datetime (handlers may give ISO text
    or epoch seconds), so each protocol writes times its own way."""
    if call.service == "securityhub":
        return result  # ASFF times are strings in its model
    shape = call.op_model.output_shape
    return _conform(shape, result) if shape is not None else result


def _conform(shape: Shape, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {k: _conform(shape.members[k], v) if k in shape.members else v
                for k, v in value.items()}  # fmt: skip
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_conform(shape.member, v) for v in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {k: _conform(shape.value, v) for k, v in value.items()}
    if shape.type_name == "timestamp" and not isinstance(value, datetime):
        return timestamp(value)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON")


def encode_json(result: dict[str, Any]) -> bytes:
    return json.dumps(result, default=_json_default, separators=(",", ":")).encode()


def encode_cbor(result: dict[str, Any]) -> bytes:
    return cbor2.dumps(result, datetime_as_timestamp=True, timezone=UTC)


def encode_query(call: Call, result: dict[str, Any]) -> bytes:
    op = call.op_model
    ns = model(call.service).metadata.get("xmlNamespace", "")
    inner = ""
    if op.output_shape is not None:
        inner = _xml_members(op.output_shape, result)
        inner = f"<{call.operation}Result>{inner}</{call.operation}Result>"
    meta = f"<ResponseMetadata><RequestId>{call.request_id}</RequestId></ResponseMetadata>"
    body = f'<{call.operation}Response xmlns="{ns}">{inner}{meta}</{call.operation}Response>'
    return body.encode()


def _xml_members(shape: StructureShape, value: dict[str, Any]) -> str:
    parts = []
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            parts.append(_xml(member, value[name], member.serialization.get("name", name)))
    return "".join(parts)


def _xml(shape: Shape, value: Any, tag: str) -> str:
    if isinstance(shape, StructureShape):
        return f"<{tag}>{_xml_members(shape, value)}</{tag}>"
    if isinstance(shape, ListShape):
        name = shape.member.serialization.get("name", "member")
        items = "".join(_xml(shape.member, v, name) for v in value)
        return items if shape.serialization.get("flattened") else f"<{tag}>{items}</{tag}>"
    if isinstance(shape, MapShape):
        entries = "".join(f"<entry><key>{escape(str(k))}</key>{_xml(shape.value, v, 'value')}"
                          "</entry>" for k, v in value.items())  # fmt: skip
        return f"<{tag}>{entries}</{tag}>"
    kind = shape.type_name
    if kind == "timestamp":
        moment = timestamp(value)
        text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    elif kind == "boolean":
        text = "true" if value else "false"
    elif kind == "blob":
        text = base64.b64encode(value).decode()
    else:
        text = escape(str(value))
    return f"<{tag}>{text}</{tag}>"


def error_body(call: Call | None, protocol: str, err: AwsApiError) -> tuple[bytes, dict[str, str]]:
    """The error's body and headers in the protocol's own shape."""
    request_id = call.request_id if call else str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if protocol == "query":
        kind = "Sender" if err.sender else "Receiver"
        body = (f'<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
                f"<Error><Type>{kind}</Type><Code>{escape(err.code)}</Code>"
                f"<Message>{escape(err.message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>")  # fmt: skip
        return body.encode(), {**headers, "Content-Type": "text/xml"}
    if call is not None and call.service == "cloudwatch":
        # CloudWatch is query-compatible: botocore reads the query code from this header.
        headers["x-amzn-query-error"] = f"{err.code};{'Sender' if err.sender else 'Receiver'}"
    if protocol == "cbor":
        doc = {"__type": f"com.amazonaws.cloudwatch#{err.code}", "message": err.message}
        return encode_cbor(doc), {**headers, "Content-Type": "application/cbor",
                                  "smithy-protocol": "rpc-v2-cbor"}  # fmt: skip
    if protocol == "rest-json":
        headers["x-amzn-ErrorType"] = err.code
        doc = {"__type": err.code, "message": err.message, "Message": err.message}
        return encode_json(doc), {**headers, "Content-Type": "application/json"}
    doc = {"__type": err.code, "message": err.message}
    return encode_json(doc), {**headers, "Content-Type": "application/x-amz-json-1.1"}


def parse_form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        raise AwsApiError("InvalidQueryParameter", "the form body is not UTF-8") from None
