"""New terms: a combination of fields (a principal and an API, a principal and a source network,
an account and a Region, …) seen for the first time within a history window.

A unit names its fields and its window (`new_terms: {fields, history_days}`) beside a Sigma
record rule saying which records count. A record fires when its combination was not seen in
the window before it (measured back from the record's own time), and only once the account's
data covers the window: a fresh lake, or an account just added, does not flag its first days.

Two paths, one meaning:
* over the lake (`vigil detect`), SQL compares each record with the previous record of its
  combination (`batch_sql`);
* in `vigil serve`, each committed batch is compared with a bounded state table of when each
  combination was last seen (`State`; what is older than the window is dropped), seeded once
  from the lake, so the history is not read again for every batch.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from vigil.detect.sigma_rules import SigmaLogic, alias
from vigil.formats.cloudtrail_fields import sql_expr

DAY: Final = 86_400
ACTOR: Final = "coalesce(useridentity.arn, ct_actor(useridentity), sourceipaddress)"


@dataclass(frozen=True)
class NewTerms:
    fields: tuple[str, ...]
    seconds: int  # the history window

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(alias(f) for f in self.fields)


def _base(logic: SigmaLogic, spec: NewTerms, since: str) -> str:
    columns = "".join(f"        {sql_expr(f)} AS {alias(f)},\n" for f in spec.fields)
    present = "".join(f"\n      AND {sql_expr(f)} IS NOT NULL" for f in spec.fields)
    return f"""    SELECT event_ts, eventid, recipientaccountid AS account, awsregion AS region,
{columns}        {ACTOR} AS _who
    FROM cloudtrail
    WHERE event_ts >= {since} AND event_ts < {{{{until}}}}
      AND date BETWEEN CAST({since} AS DATE) AND {{{{until_date}}}}
      AND ({logic.condition_sql}){present}"""


def batch_sql(logic: SigmaLogic, spec: NewTerms, title: str) -> str:
    """Each record whose combination the window before it does not hold, where the account's
    data covers the window; the columns every unit returns (one hit per first sight)."""
    keys = ", ".join(spec.keys)
    span = f"INTERVAL {spec.seconds} SECOND"
    text = title.replace("'", "''")
    columns = "".join(f"    {k},\n" for k in spec.keys)
    who = "" if "actor" in spec.keys else "    _who AS actor,\n"
    return f"""WITH base AS (
{_base(logic, spec, "{{since}} - " + span)}
), seen AS (
    SELECT *, lag(event_ts) OVER (PARTITION BY account, {keys} ORDER BY event_ts, eventid)
        AS _prev
    FROM base
), covered AS (  -- since when each account's CloudTrail is in the lake
    SELECT recipientaccountid AS account, min(event_ts) AS _since FROM cloudtrail GROUP BY 1
)
SELECT
    event_ts AS window_start,
    account,
    region,
{columns}    event_ts AS first_seen,
    event_ts AS last_seen,
    1 AS hits,
{who}    '{text}: first seen in {spec.seconds // DAY} days' AS summary,
    [eventid] AS evidence
FROM seen JOIN covered USING (account)
WHERE event_ts >= {{{{since}}}}
  AND (_prev IS NULL OR event_ts - _prev > {span})
  AND event_ts >= _since + {span}
"""


def batch_rows_sql(logic: SigmaLogic, spec: NewTerms) -> str:
    """A committed batch's records that count, for the incremental path."""
    return "SELECT * FROM (\n" + _base(logic, spec, "{{since}}") + "\n) ORDER BY event_ts, eventid"


def seed_sql(logic: SigmaLogic, spec: NewTerms) -> tuple[str, str]:
    """Over the lake, once: when each combination was last seen within the window before
    `until`, and since when each account's data runs."""
    keys = ", ".join(spec.keys)
    span = f"INTERVAL {spec.seconds} SECOND"
    last = (f"SELECT account, {keys}, max(event_ts) AS last_seen FROM (\n"
            f"{_base(logic, spec, '{{until}} - ' + span)}\n) GROUP BY account, {keys}")  # fmt: skip
    first = ("SELECT recipientaccountid AS account, min(event_ts) AS since FROM cloudtrail "
             "WHERE recipientaccountid IS NOT NULL GROUP BY 1")  # fmt: skip
    return last, first


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class State:
    """When each combination was last seen, per unit, and since when each account has been
    watched: new-terms units in `vigil serve` (tables `new_terms`, `new_terms_accounts`)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def seeded(self, unit: str) -> bool:
        row = self.db.execute("SELECT 1 FROM new_terms_units WHERE unit = ?", (unit,)).fetchone()
        return row is not None

    def seed(self, unit: str, last: Iterable[dict[str, Any]], first: Iterable[dict[str, Any]],
             keys: tuple[str, ...]) -> None:  # fmt: skip
        with self.db:
            self.db.executemany(
                "INSERT INTO new_terms (unit, key, last_seen_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (unit, key) DO UPDATE SET last_seen_ms = "
                "max(last_seen_ms, excluded.last_seen_ms)",
                [(unit, _key(r, keys), _ms(r["last_seen"])) for r in last],
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO new_terms_accounts (unit, account, since_ms) "
                "VALUES (?, ?, ?)",
                [(unit, str(r["account"]), _ms(r["since"])) for r in first],
            )
            self.db.execute("INSERT OR REPLACE INTO new_terms_units (unit, seeded_ms) "
                            "VALUES (?, ?)", (unit, _ms(datetime.now(UTC))))  # fmt: skip

    def observe(
        self, unit: str, spec: NewTerms, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The records (in time order) whose combination is new and whose account's watch
        covers the window; every record updates when its combination was last seen."""
        window = spec.seconds * 1000
        fired = []
        with self.db:
            for row in rows:
                moment = _ms(row["event_ts"])
                account = str(row["account"])
                self.db.execute("INSERT OR IGNORE INTO new_terms_accounts (unit, account, "
                                "since_ms) VALUES (?, ?, ?)", (unit, account, moment))  # fmt: skip
                since = self.db.execute(
                    "SELECT since_ms FROM new_terms_accounts WHERE unit = ? AND account = ?",
                    (unit, account),
                ).fetchone()[0]
                key = _key(row, spec.keys)
                seen = self.db.execute(
                    "SELECT last_seen_ms FROM new_terms WHERE unit = ? AND key = ?", (unit, key)
                ).fetchone()
                if (seen is None or moment - seen[0] > window) and moment >= since + window:
                    fired.append(row)
                self.db.execute(
                    "INSERT INTO new_terms (unit, key, last_seen_ms) VALUES (?, ?, ?) "
                    "ON CONFLICT (unit, key) DO UPDATE SET last_seen_ms = "
                    "max(last_seen_ms, excluded.last_seen_ms)",
                    (unit, key, moment),
                )
        return fired

    def forget(self, unit: str, spec: NewTerms, now: datetime) -> int:
        """Drop the combinations last seen before the window: the table stays bounded."""
        with self.db:
            cursor = self.db.execute(
                "DELETE FROM new_terms WHERE unit = ? AND last_seen_ms < ?",
                (unit, _ms(now) - spec.seconds * 1000),
            )
        return int(cursor.rowcount)


def _key(row: dict[str, Any], keys: tuple[str, ...]) -> str:
    return json.dumps([str(row["account"]), *(row[k] for k in keys)], default=str)


def hit_row(unit_title: str, spec: NewTerms, row: dict[str, Any]) -> dict[str, Any]:
    """A record that fired, in the shape every unit's query returns."""
    out = {
        "window_start": row["event_ts"], "account": row["account"], "region": row["region"],
        "first_seen": row["event_ts"], "last_seen": row["event_ts"], "hits": 1,
        "actor": row["_who"], "summary": f"{unit_title}: first seen in {spec.seconds // DAY} days",
        "evidence": [row["eventid"]],
    }  # fmt: skip
    out.update({k: row[k] for k in spec.keys})
    return out
