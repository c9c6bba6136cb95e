"""CloudTrail field names as Sigma rules and Insights queries write them (`eventName`,
`userIdentity.type`, `requestParameters.bucketName`) onto the `cloudtrail` table, for SQL and
for Python alike.

Top-level names map to Athena's lower-case columns; struct members (userIdentity, tlsDetails,
addendum) are struct paths; anything under the JSON-text columns (requestParameters,
responseElements, additionalEventData, serviceEventDetails) is a JSON path. Values compare as
text in both engines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from vigil.errors import VigilError
from vigil.formats import cloudtrail_identity as who
from vigil.formats.cloudtrail_model import COLUMNS

_COLUMN_OF: Final = {attr.lower(): col for col, attr, _ in COLUMNS}
JSON_COLUMNS: Final = frozenset(
    {"requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails",
     "edgedevicedetails", "insightdetails"}
)  # fmt: skip
STRUCT_COLUMNS: Final = frozenset({"useridentity", "tlsdetails", "addendum"})
LIST_COLUMNS: Final = frozenset({"resources"})


class UnmappedField(VigilError):
    """A Sigma field with no place in the cloudtrail table."""


# Fields Vigil derives from a record (`vigil.formats.cloudtrail_identity`), usable wherever a
# CloudTrail field is: in Sigma selections and group-by, new-terms fields, tuning.
DERIVED: Final[dict[str, tuple[str, Callable[[dict[str, Any]], str | None]]]] = {
    "actor": ("ct_actor(useridentity)", lambda row: who.actor(row.get("useridentity"))),
    "agentfamily": ("ct_agent_family(useragent)",
                    lambda row: who.agent_family(row.get("useragent"))),
    "sourceprefix": ("ct_source_prefix(sourceipaddress)",
                     lambda row: who.source_prefix(row.get("sourceipaddress"))),
    "byaws": ("CAST(ct_by_aws(useridentity, sourceipaddress) AS VARCHAR)",
              lambda row: "true" if who.by_aws(row.get("useridentity"),
                                              row.get("sourceipaddress")) else "false"),
}  # fmt: skip


def _split(field: str) -> tuple[str, list[str]]:
    head, *rest = field.split(".")
    column = _COLUMN_OF.get(head.lower())
    if column is None or column in LIST_COLUMNS:
        raise UnmappedField(f"field {field!r} is not in the cloudtrail table")
    if rest and column not in JSON_COLUMNS | STRUCT_COLUMNS:
        raise UnmappedField(f"field {field!r}: {head} has no members")
    return column, rest


def sql_expr(field: str) -> str:
    """A DuckDB expression for the field's value as text (NULL when absent)."""
    if field.lower() in DERIVED:
        return DERIVED[field.lower()][0]
    column, rest = _split(field)
    if column in JSON_COLUMNS:
        if not rest:
            return column
        path = "$." + ".".join(f'"{p}"' for p in rest)
        return f"json_extract_string({column}, '{path}')"
    if rest:
        return "CAST(" + ".".join([column, *(p.lower() for p in rest)]) + " AS VARCHAR)"
    return f"CAST({column} AS VARCHAR)"


Getter = Callable[[dict[str, Any], dict[str, Any]], "str | None"]


def getter(field: str) -> Getter:
    """A fast accessor for one field, resolved once (the streaming path calls it per event)."""
    if field.lower() in DERIVED:
        derive = DERIVED[field.lower()][1]
        return lambda row, cache: derive(row)
    column, rest = _split(field)
    if column in JSON_COLUMNS and rest:

        def from_json(row: dict[str, Any], cache: dict[str, Any]) -> str | None:
            text = row.get(column)
            if text is None:
                return None
            value = cache.get(column)
            if value is None:
                value = cache[column] = json.loads(text)
            for part in rest:
                if not isinstance(value, dict) or part not in value:
                    return None
                value = value[part]
            return _json_text(value)

        return from_json
    if rest:
        path = [p.lower() for p in rest]

        def from_struct(row: dict[str, Any], cache: dict[str, Any]) -> str | None:
            value = row.get(column)
            for part in path:
                if not isinstance(value, dict):
                    return None
                value = value.get(part)
            return _text(value)

        return from_struct

    def plain(row: dict[str, Any], cache: dict[str, Any]) -> str | None:
        value = row.get(column)
        return value if value is None or type(value) is str else _text(value)

    return plain


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _json_text(value: Any) -> str | None:
    """As DuckDB's json_extract_string renders a JSON value."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
