"""The organization's own accounts: a table `org_accounts(account_id)` detections read to tell
sharing inside the organization from sharing with a stranger.

Sources, merged: the configured list (`<home>/intel/accounts/*`, one 12-digit id per line,
`#` comments; `vigil intel add FILE --accounts`), the accounts of the newest posture snapshot
(the caller passes them), and every account whose CloudTrail is in the lake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import pyarrow as pa

from vigil.inputs import read_text
from vigil.query.engine import Engine

ACCOUNT: Final = re.compile(r"^\d{12}$")


def parse_accounts(text: str, source: str) -> tuple[list[str], list[str]]:
    """Account ids, and a problem per line that is not one."""
    found, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if ACCOUNT.match(value):
            found.append(value)
        else:
            problems.append(f"{source}:{number}: {value[:40]!r} is not a 12-digit account id")
    return found, problems


def load_accounts(intel_dir: Path | None) -> list[str]:
    folder = intel_dir / "accounts" if intel_dir else None
    out: list[str] = []
    for path in sorted(folder.iterdir()) if folder and folder.is_dir() else []:
        out += parse_accounts(read_text(path, what="an account list"), str(path))[0]
    return out


def register_accounts(engine: Engine, accounts: Iterable[str]) -> None:
    """`org_accounts`: the given accounts and those whose CloudTrail the lake holds (a view,
    so the lake is read only by a detection that asks)."""
    known = sorted({a for a in accounts if ACCOUNT.match(a)})
    engine.load_table("_org_accounts", pa.table({"account_id": pa.array(known, pa.string())}))
    lake = (
        " UNION SELECT DISTINCT recipientaccountid FROM cloudtrail"
        " WHERE recipientaccountid IS NOT NULL"
        if engine.has_relation("cloudtrail")
        else ""
    )
    engine.execute(
        f"CREATE OR REPLACE TEMP VIEW org_accounts AS SELECT account_id FROM _org_accounts{lake}"
    )
