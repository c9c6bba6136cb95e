"""DuckDB's JSON functions in Spark SQL, through Spark's VARIANT type, so they mean what they
mean in DuckDB:

* `json_extract(j, path)` is JSON text (a string keeps its quotes): `to_json(variant_get(…))`
  (an object's keys come out sorted: the same object, not the same text);
* `json_extract_string(j, path)` is a string's value, other values' JSON text:
  `get_json_object`;
* a path with `[*]` gives a list, one item per element of the array;
* `json_type(j[, path])` says 'OBJECT', 'ARRAY', 'VARCHAR', 'UBIGINT' (or 'BIGINT' when
  negative), 'DOUBLE', 'BOOLEAN' or 'NULL', from `schema_of_variant`;
* `json_keys(j[, path])` is `json_object_keys`.

DuckDB's quoted keys (`$."a:b"`) are written as Spark's brackets (`$['a:b']`); a path built
at run time is rewritten so at run time.
"""

from __future__ import annotations

import re
from typing import Final

from sqlglot import exp

_PLAIN_KEY: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
WILDCARD: Final = "[*]"
# DuckDB's JSON types by the first word of Spark's `schema_of_variant`
_TYPES: Final = (("OBJECT", "OBJECT"), ("ARRAY", "ARRAY"), ("STRING", "VARCHAR"),
                 ("BOOLEAN", "BOOLEAN"), ("VOID", "NULL"), ("DECIMAL", "DOUBLE"),
                 ("DOUBLE", "DOUBLE"), ("FLOAT", "DOUBLE"))  # fmt: skip
_INTEGERS: Final = ("BIGINT", "INT", "SMALLINT", "TINYINT")  # DuckDB: UBIGINT unless negative


def _f(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _s(text: str) -> exp.Expression:
    return exp.Literal.string(text)


def path_text(path: exp.Expression | None) -> str | None:
    """A literal path in Spark's notation ('$.a[0]', "$['a b']"), or None when built at
    run time."""
    if path is None:
        return "$"
    if isinstance(path, exp.Literal) and path.is_string:
        return _quoted_keys(path.this)
    if not isinstance(path, exp.JSONPath):
        return None
    out = ""
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            out += "$"
        elif isinstance(part, exp.JSONPathKey):
            key = str(part.this)
            out += f".{key}" if _PLAIN_KEY.match(key) else "['" + key.replace("'", "") + "']"
        elif isinstance(part, exp.JSONPathSubscript):
            inner = part.this
            out += WILDCARD if isinstance(inner, exp.JSONPathWildcard) else f"[{inner}]"
        else:
            return None
    return out


def _quoted_keys(text: str) -> str:
    return re.sub(r'\."([^"]*)"', lambda m: "['" + m.group(1).replace("'", "") + "']", text)


def _runtime_path(path: exp.Expression) -> exp.Expression:
    return _f("regexp_replace", path.copy(), _s(r'\."([^"]*)"'), _s("['$1']"))


def _variant(doc: exp.Expression, path: str | exp.Expression) -> exp.Expression:
    where = _s(path) if isinstance(path, str) else path
    return _f("variant_get", _f("try_parse_json", doc.copy()), where)


def _each(doc: exp.Expression, path: str, item: exp.Expression) -> exp.Expression:
    """`item` (of the element `_e`) for each element of the array at the path's `[*]`."""
    head, rest = path.split(WILDCARD, 1)
    array = _f("try_variant_get", _f("try_parse_json", doc.copy()), _s(head), _s("array<variant>"))
    element = exp.to_identifier("_e")
    value: exp.Expression = exp.column(element.copy())
    if rest:
        value = _f("variant_get", value, _s("$" + rest))
    each = _f("transform", array, exp.Lambda(this=item.transform(
        lambda n: value.copy() if isinstance(n, exp.Placeholder) else n),
        expressions=[element]))  # fmt: skip
    # no array there: an empty list, as DuckDB's (NULL only for a NULL document)
    return exp.Case(ifs=[exp.If(this=exp.Is(this=doc.copy(), expression=exp.Null()),
                                true=exp.Null())],
                    default=_f("coalesce", each, _f("array")))  # fmt: skip


def _string(value: exp.Expression) -> exp.Expression:
    """A string's value, anything else's JSON text (DuckDB's json_extract_string)."""
    return exp.Case(ifs=[exp.If(this=_f("schema_of_variant", value.copy()).eq(_s("STRING")),
                                true=_f("variant_get", value.copy(), _s("$"), _s("string")))],
                    default=_f("to_json", value.copy()))  # fmt: skip


def json_call(node: exp.Expression) -> exp.Expression:
    doc = node.this
    given = node.args.get("expression")
    text = path_text(given)
    at: str | exp.Expression = "$"
    if text is not None:
        at = text
    elif given is not None:  # a path built at run time
        at = _runtime_path(given)
    if isinstance(node, exp.JSONType):
        value = _variant(doc, at)
        kind = _f("schema_of_variant", value.copy())
        whole = exp.Case(ifs=[exp.If(this=exp.GTE(this=_f("variant_get", value.copy(), _s("$"),
                                                             _s("bigint")),
                                                   expression=exp.Literal.number(0)),
                                     true=_s("UBIGINT"))], default=_s("BIGINT"))  # fmt: skip
        return exp.Case(ifs=[
            *(exp.If(this=kind.copy().eq(_s(name)), true=whole.copy()) for name in _INTEGERS),
            *(exp.If(this=_f("startswith", kind.copy(), _s(spark)), true=_s(duck))
              for spark, duck in _TYPES)])  # fmt: skip
    if isinstance(node, exp.JSONKeys):
        inner = doc.copy() if given is None else _f("to_json", _variant(doc, at))
        return _f("json_object_keys", inner)
    if text is not None and WILDCARD in text:
        slot = exp.Placeholder()
        item = _f("to_json", slot) if isinstance(node, exp.JSONExtract) else _string(slot)
        return _each(doc, text, item)
    if isinstance(node, exp.JSONExtract):
        return _f("to_json", _variant(doc, at))
    return _f("get_json_object", doc.copy(), at if isinstance(at, exp.Expression) else _s(at))
