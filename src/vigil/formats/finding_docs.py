"""Files of findings other products wrote: GuardDuty's S3 export (JSON Lines, one finding a
line, gzip), GuardDuty's GetFindings output (`{"findings": [...]}`), Security Hub's ASFF
(`{"Findings": [...]}` as GetFindings gives and BatchImportFindings takes, a list, or one a
line), and EventBridge events carrying them ("GuardDuty Finding", "Security Hub Findings -
Imported"/"- Custom Action"), one a line or as a list. What comes out is each finding document
with its line (or, when the file is one JSON document, its position in it: `whole`), for the
findings hub, which reads each as ASFF or GuardDuty's own shape by its keys; a line that is not
JSON or not an object is refused with the reason."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from vigil.errors import FormatError
from vigil.formats.common import Reject

Product = Literal["guardduty", "securityhub"]
MAX_LINE: Final = 4 << 20  # a finding is at most 240 KB in Security Hub; GuardDuty's are smaller


@dataclass
class FindingDocs:
    product: Product
    docs: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    whole: bool = False  # one JSON document: the numbers are positions in it, not lines

    def where(self, number: int) -> tuple[int | None, str]:
        """A document's line for a Reject, and the words to put before its reason."""
        return (None, f"item {number}: ") if self.whole else (number, "")


def parse_findings(data: bytes, uri: str, product: Product) -> FindingDocs:
    """The findings of one object, read as `product` writes them."""
    out = FindingDocs(product)
    text = data.decode("utf-8", "replace")
    stripped = text.strip()
    if not stripped:
        raise FormatError("the file is empty (no findings)", source=uri)
    whole = _whole(stripped) if stripped[0] in "[{" else None
    if whole is not None:
        out.whole = True
        for index, item in enumerate(whole, 1):
            _take(out, index, item)
        return out
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            out.rejects.append(Reject(number, f"the line is {len(line)} bytes; at most {MAX_LINE}"))
            continue
        try:
            doc = json.loads(line)
        except (ValueError, RecursionError) as exc:
            out.rejects.append(Reject(number, f"not JSON: {exc}", line[:200]))
            continue
        for item in _items(doc):
            _take(out, number, item)
    if not out.docs and not out.rejects:
        raise FormatError("no findings in the file", source=uri)
    return out


def _whole(text: str) -> list[Any] | None:
    """The file as one JSON document (a list, or an object holding findings), or None when it
    is one document a line."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):  # one document a line, or not JSON at all
        return None
    return _items(doc)


def _items(doc: Any) -> list[Any]:
    """The finding documents a JSON value holds (a list, a GetFindings reply, an event)."""
    if isinstance(doc, list):
        return [item for each in doc for item in _items(each)] if _events(doc) else doc
    if not isinstance(doc, dict):
        return [doc]
    for key in ("Findings", "findings"):
        if isinstance(doc.get(key), list):
            return list(doc[key])
    detail = doc.get("detail")
    if isinstance(detail, dict) and "detail-type" in doc:
        inner = detail.get("findings")
        return list(inner) if isinstance(inner, list) else [detail]
    return [doc]


def _events(items: list[Any]) -> bool:
    return any(isinstance(i, dict) and ("detail-type" in i or "Findings" in i) for i in items)


def _take(out: FindingDocs, number: int, item: Any) -> None:
    if not isinstance(item, dict):
        line, prefix = out.where(number)
        out.rejects.append(Reject(line, f"{prefix}a finding is a JSON object"))
        return
    out.docs.append((number, item))
