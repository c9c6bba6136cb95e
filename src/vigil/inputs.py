"""Reading a user's file: text, YAML or JSON, with errors that name file, line and column.

Every command that reads a file the user wrote goes through here, so non-UTF-8 text, binary
content, invalid YAML/JSON and documents of the wrong shape all end as one `InputError` line
(`rules.yaml:3:7: …`) instead of a traceback.
"""

from __future__ import annotations

import codecs
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml

from vigil.errors import FormatError, VigilError

_SNIFF = 8192
T = TypeVar("T")


class InputError(FormatError):
    """A user's file that cannot be read as what the command expects; says where."""


def is_binary(data: bytes) -> bool:
    """NUL bytes in the first block (and no UTF-16/32 byte-order mark) mean binary content."""
    head = data[:_SNIFF]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head


def decode(data: bytes, source: str, *, what: str = "a text file") -> str:
    """UTF-8 text (a UTF-8 byte-order mark is dropped); anything else says where it broke."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            "UTF-16 text; Vigil reads UTF-8",
            source=source,
            hint="convert it: iconv -f UTF-16 -t UTF-8",
        )
    if is_binary(data):
        raise InputError(f"binary content, not {what}", source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
            source=source,
            line=line,
            column=column,
            hint="save the file as UTF-8",
        ) from exc


def read_text(path: Path | str, *, what: str = "a text file") -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("no such file", source=str(path)) from exc
    except IsADirectoryError as exc:
        raise InputError("a directory, not a file", source=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from exc
    return decode(data, str(path), what=what)


# libyaml's loader where PyYAML was built with it: the same documents, several times faster
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, source: str) -> Any:
    return _yaml(lambda: yaml.load(text, Loader=_LOADER), source, text)


def parse_yaml_all(text: str, source: str) -> list[Any]:
    """Every document of a multi-document YAML stream (`---` between them)."""
    return _yaml(lambda: list(yaml.load_all(text, Loader=_LOADER)), source, text)


MAX_DEPTH = 200  # brackets deep: real documents use a handful; PyYAML slows to seconds


def _too_deep(text: str) -> bool:
    """Flow-style nesting deeper than MAX_DEPTH (a quick scan; quotes are not parsed)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth = max(0, depth - 1)
    return False


def _yaml(load: Callable[[], T], source: str, text: str) -> T:
    if _too_deep(text):
        raise InputError(f"invalid YAML: nested more than {MAX_DEPTH} levels deep", source=source)
    try:
        return load()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            f"invalid YAML: {problem}",
            source=source,
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", source=source) from exc
    except RecursionError as exc:
        raise InputError("invalid YAML: nested too deeply", source=source) from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise InputError(f"invalid YAML: {exc}", source=source) from exc


JSON_DEPTH: Final = 64  # objects and arrays deep: AWS's shapes use a handful
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")
_SQUARE: Final = bytes.maketrans(b"{}", b"[]")


def json_depth(data: bytes | str, limit: int = JSON_DEPTH) -> int:
    """More than `limit` when the document's objects and arrays nest deeper than `limit`,
    counted without parsing it: strings are skipped (brackets inside them do not count), and
    brackets left open count as deep as they go."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return raw.count(b"[") + raw.count(b"{")
    # escapes first (an escaped backslash, then an escaped quote), then every other run
    # between quotes is inside a string
    plain = raw.replace(b"\\\\", b"").replace(b'\\"', b"").split(b'"')[0::2]
    brackets = b"".join(plain).translate(_SQUARE, _NOT_BRACKETS)
    # each pass takes away the innermost pairs: a document is as deep as the passes it takes
    for depth in range(limit + 1):
        if b"[]" not in brackets:
            return depth + brackets.count(b"[")
        brackets = brackets.replace(b"[]", b"")
    return limit + 1


class TooDeep(VigilError, json.JSONDecodeError):
    """JSON nested past the depth cap: malformed JSON to whoever catches that."""

    def __init__(self, limit: int) -> None:
        message = f"nested more than {limit} levels deep"
        json.JSONDecodeError.__init__(self, message, "", 0)  # VigilError's would call it anew
        self.message, self.hint = message, f"nest JSON at most {limit} levels deep"
        self.path = self.line = self.column = None


def loads(data: str | bytes, limit: int = JSON_DEPTH) -> Any:
    """`json.loads`, refusing a document nested deeper than `limit` before parsing it, so a
    client's `[[[[…` is malformed input (ValueError), not a RecursionError."""
    if json_depth(data, limit) > limit:
        raise TooDeep(limit)
    return json.loads(data)


def parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno
        ) from exc
    except RecursionError as exc:
        raise InputError("invalid JSON: nested too deeply", source=source) from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise InputError(f"invalid JSON: {exc}", source=source) from exc


class TooLarge(InputError):
    """A body or file past its size cap (as sent, or once inflated)."""


def inflate_gzip(data: bytes, cap: int, source: str) -> bytes:
    """A gzip (or zlib) stream inflated to at most `cap` bytes: a larger result is refused
    without inflating the rest (a small compressed body cannot take unbounded memory)."""
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error as exc:
        raise InputError(f"the gzip data does not decompress: {exc}", source=source) from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise TooLarge(f"inflates to more than {cap} bytes", source=source)
    while inflater.eof and inflater.unused_data.startswith(b"\x1f\x8b"):  # multi-member gzip
        rest = inflater.unused_data
        inflater = zlib.decompressobj(wbits=31)
        try:
            more = inflater.decompress(rest, cap + 1 - len(out))
        except zlib.error as exc:
            raise InputError(f"the gzip data does not decompress: {exc}", source=source) from None
        out += more
        if len(out) > cap or inflater.unconsumed_tail:
            raise TooLarge(f"inflates to more than {cap} bytes", source=source)
    if not inflater.eof:
        raise InputError("the gzip data ends early (truncated)", source=source)
    return out


def load_yaml(path: Path | str) -> Any:
    return parse_yaml(read_text(path, what="a YAML file"), str(path))


def load_json(path: Path | str) -> Any:
    return parse_json(read_text(path, what="a JSON file"), str(path))


def expect_mapping(doc: Any, source: str, what: str) -> dict[str, Any]:
    """The document must be a mapping (YAML/JSON object) with string keys."""
    if not isinstance(doc, dict):
        raise InputError(f"{what} must be a mapping, not {_kind(doc)}", source=source)
    return {str(k): v for k, v in doc.items()}


def expect_list(doc: Any, source: str, what: str) -> list[Any]:
    if not isinstance(doc, list):
        raise InputError(f"{what} must be a list, not {_kind(doc)}", source=source)
    return doc


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    names = {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")
