"""A Sigma unit's query over the lake, with the columns every unit returns (`detect.sql`).

* A record rule: the matching records per hour and grouping key.
* A count (`event_count`, `value_count`) that must reach a number (`gte`, `gt`): sliding
  windows. A group's matching records form a burst while each follows the one before within
  the timespan; a burst is one hit when, at one of its records, the records (or distinct
  values) of the timespan before pass the condition. The query reads a lookback before the
  run's range so that a burst begun earlier keeps its start (the hit's identity).
* A count that must stay under or at a number (`lt`, `lte`, `eq`): decided per fixed window of
  the timespan (absence has no burst to slide with).
* `temporal`, `temporal_ordered`: the query returns the base records, marked with the rules
  each matched; `vigil.detect.correlate` finds the completions (`detect.sql` calls it).
"""

from __future__ import annotations

from typing import Final

from vigil.detect.sigma_rules import SigmaLogic, alias, grouping
from vigil.formats.cloudtrail_fields import sql_expr

RANGE: Final = (  # (str.format: the placeholders' braces doubled)
    "WHERE event_ts >= {{{{since}}}} - INTERVAL {lookback} SECOND AND event_ts < {{{{until}}}}\n"
    "  AND date BETWEEN CAST({{{{since}}}} - INTERVAL {lookback} SECOND AS DATE) "
    "AND {{{{until_date}}}}"
)
# Who a hit names: the session itself where there is one (the finding's key may be its role).
ACTOR: Final = "coalesce(useridentity.arn, ct_actor(useridentity), sourceipaddress)"


def lookback(seconds: int) -> int:
    """How far before a run's range a sliding correlation reads: bursts begun before it keep
    their first record (at least two hours, four timespans)."""
    return max(7200, 4 * seconds)


def batch_sql(logic: SigmaLogic, group_by: tuple[str, ...], summary: str) -> str:
    corr = logic.correlation
    fields = grouping(logic, group_by)
    text = summary.replace("'", "''")
    if corr is None:
        return _records(logic, fields, text)
    if corr.temporal:
        return _base_rows(logic, fields)
    if corr.op in (">=", ">"):
        return _bursts(logic, fields, text)
    return _fixed(logic, fields, text)


def _actor(fields: tuple[str, ...], expr: str) -> str:
    """The hit's actor column, unless the group key is the actor already."""
    return "" if "actor" in (alias(f) for f in fields) else f"    {expr} AS actor,\n"


def _keys(fields: tuple[str, ...]) -> str:
    return "".join(f"    {sql_expr(f)} AS {alias(f)},\n" for f in fields)


def _records(logic: SigmaLogic, fields: tuple[str, ...], text: str) -> str:
    positions = ", ".join(str(i) for i in range(1, 4 + len(fields)))
    return f"""SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
{_keys(fields)}    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
{_actor(fields, f"max({ACTOR})")}    '{text}: ' || CAST(count(*) AS VARCHAR) AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM cloudtrail
WHERE event_ts >= {{{{since}}}} AND event_ts < {{{{until}}}}
  AND date BETWEEN {{{{since_date}}}} AND {{{{until_date}}}}
  AND ({logic.condition_sql})
GROUP BY {positions}
"""


def _bursts(logic: SigmaLogic, fields: tuple[str, ...], text: str) -> str:
    corr = logic.correlation
    assert corr is not None
    names = [alias(f) for f in fields]
    part = ", ".join(["account", *names])
    columns = "".join(f"    {n},\n" for n in names)
    value = sql_expr(corr.field) if corr.kind == "value_count" and corr.field else "NULL"
    measure = "count(DISTINCT _v)" if corr.kind == "value_count" else "count(*)"
    span = f"INTERVAL {corr.seconds} SECOND"
    back = lookback(corr.seconds)
    return f"""WITH base AS (
    SELECT event_ts, eventid, recipientaccountid AS account, awsregion AS region,
{_keys(fields)}        {value} AS _v, {ACTOR} AS _who
    FROM cloudtrail
    {RANGE.format(lookback=back)}
      AND ({logic.condition_sql})
), gaps AS (
    SELECT *, CASE WHEN event_ts - lag(event_ts) OVER g <= {span} THEN 0 ELSE 1 END AS _new
    FROM base WINDOW g AS (PARTITION BY {part} ORDER BY event_ts, eventid)
), bursts AS (
    SELECT *,
        sum(_new) OVER (PARTITION BY {part} ORDER BY event_ts, eventid
                        ROWS UNBOUNDED PRECEDING) AS _burst,
        {measure} OVER (PARTITION BY {part} ORDER BY event_ts
                        RANGE BETWEEN {span} PRECEDING AND CURRENT ROW) AS _n
    FROM gaps
)
SELECT
    min(event_ts) AS window_start,
    account,
    min(region) AS region,
{columns}    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
{_actor(fields, "max(_who)")}    '{text}: ' || CAST(max(_n) AS VARCHAR) AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM bursts
GROUP BY {part}, _burst
HAVING max(_n) {corr.op} {corr.count} AND max(event_ts) >= {{{{since}}}}
"""


def _fixed(logic: SigmaLogic, fields: tuple[str, ...], text: str) -> str:
    corr = logic.correlation
    assert corr is not None
    seconds = corr.seconds
    measure = "count(*)"
    if corr.kind == "value_count" and corr.field:
        measure = f"count(DISTINCT {sql_expr(corr.field)})"
    positions = ", ".join(str(i) for i in [1, 2, *range(4, 4 + len(fields))])
    return f"""SELECT
    to_timestamp(floor(epoch(event_ts) / {seconds}) * {seconds}) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
{_keys(fields)}    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
{_actor(fields, f"max({ACTOR})")}    '{text}: ' || CAST({measure} AS VARCHAR) AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM cloudtrail
WHERE event_ts >= {{{{since}}}} AND event_ts < {{{{until}}}}
  AND date BETWEEN {{{{since_date}}}} AND {{{{until_date}}}}
  AND ({logic.condition_sql})
GROUP BY {positions}
HAVING {measure} {corr.op} {corr.count}
"""


def _base_rows(logic: SigmaLogic, fields: tuple[str, ...]) -> str:
    corr = logic.correlation
    assert corr is not None
    marks = ", ".join(f"CASE WHEN ({c}) THEN {i} END" for i, c in enumerate(logic.base_conditions))
    return f"""SELECT event_ts, eventid, recipientaccountid AS account, awsregion AS region,
{_keys(fields)}    list_distinct([{marks}]) AS _rules,  -- (list_distinct drops the NULLs)
    {ACTOR} AS _who
FROM cloudtrail
{RANGE.format(lookback=lookback(corr.seconds))}
  AND ({logic.condition_sql})
"""


def evidence_sql(logic: SigmaLogic, group_by: tuple[str, ...]) -> str:
    """The records behind a Sigma finding: the rule's condition, the finding's key, its time."""
    keys = "".join(f"\n  AND {sql_expr(f)} = {{{{{alias(f)}}}}}" for f in grouping(logic, group_by))
    return (
        f"SELECT * FROM cloudtrail WHERE ({logic.condition_sql}){keys}\n"
        "  AND event_ts BETWEEN {{first_seen}} AND {{last_seen}} ORDER BY event_ts"
    )
