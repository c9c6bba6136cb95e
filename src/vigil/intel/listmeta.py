"""What a user says about a threat or trusted list beside its entries: its category and whether
it is a reputation feed. Kept in `<home>/intel/lists.meta.json` as
`{"threat/feed.txt": {"category": "phishing", "reputation": true}}`; a list without a line there
has neither.

The category is a free word (`[a-z0-9-]{1,32}`); the ones the built-in DNS detections read are
in CATEGORIES with the GuardDuty finding they raise. A reputation feed's matches are the
`Impact:EC2/…DomainRequest.Reputation` findings (by category: malicious, suspicious, abused,
bitcoin), a user's own list's `Impact:EC2/MaliciousDomainRequest.Custom`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from vigil.errors import ConfigError, FormatError

FILE: Final = "lists.meta.json"
CATEGORIES: Final = {
    "malware": "Impact:EC2/MaliciousDomainRequest.Custom (.Reputation with --reputation)",
    "phishing": "Trojan:EC2/PhishingDomainRequest!DNS",
    "mining": "CryptoCurrency:EC2/BitcoinTool.B!DNS",
    "c2": "Backdoor:EC2/C&CActivity.B!DNS",
    "dropzone": "Trojan:EC2/DropPoint!DNS",
    "blackhole": "Trojan:EC2/BlackholeTraffic!DNS",
    "driveby": "Trojan:EC2/DriveBySourceTraffic!DNS",
    "malicious": "Impact:EC2/MaliciousDomainRequest.Reputation (with --reputation)",
    "suspicious": "Impact:EC2/SuspiciousDomainRequest.Reputation (with --reputation)",
    "abused": "Impact:EC2/AbusedDomainRequest.Reputation (with --reputation)",
    "bitcoin": "Impact:EC2/BitcoinDomainRequest.Reputation (with --reputation)",
}
_WORD: Final = re.compile(r"[a-z0-9-]{1,32}")


@dataclass(frozen=True)
class ListMeta:
    category: str | None = None
    reputation: bool = False


def check_category(value: str | None) -> str | None:
    """The category as kept (lower case), or a ConfigError naming the ones detections read."""
    if value is None:
        return None
    word = value.strip().lower()
    if not _WORD.fullmatch(word):
        raise ConfigError(
            f"category {value!r} is not one word of 1-32 letters, digits or '-'",
            hint="the ones detections read: " + ", ".join(CATEGORIES),
        )
    return word


def read_meta(intel_dir: Path | None) -> dict[str, ListMeta]:
    """Every list's metadata by `kind/name`."""
    if intel_dir is None:
        return {}
    path = intel_dir / FILE
    try:
        raw: Any = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read the lists' metadata: {exc}", source=str(path)) from None
    if not isinstance(raw, dict):
        raise FormatError("the lists' metadata is not an object", source=str(path))
    return {
        str(key): ListMeta(_category(v.get("category")), v.get("reputation") is True)
        for key, v in raw.items()
        if isinstance(v, dict)
    }


def _category(value: Any) -> str | None:
    return value if isinstance(value, str) and _WORD.fullmatch(value) else None


def write_meta(intel_dir: Path, key: str, meta: ListMeta | None) -> None:
    """Set (or with None drop) one list's metadata; the file is replaced whole, atomically."""
    kept = read_meta(intel_dir)
    kept.pop(key, None)
    if meta is not None and (meta.category or meta.reputation):
        kept[key] = meta
    path = intel_dir / FILE
    if not kept and not path.exists():
        return
    temp = path.with_name(f".{FILE}.{os.getpid()}")
    body = {
        k: {"category": m.category, "reputation": m.reputation} for k, m in sorted(kept.items())
    }
    temp.write_text(json.dumps(body, indent=2) + "\n")
    os.replace(temp, path)
