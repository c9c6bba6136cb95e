"""Logs Insights: parser round-trips, results against equivalent SQL, AWS's sample queries."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from helpers import FLOW_HEADER, ct_record, flow_key, flow_line, trail_file, trail_key, write_gz
from vigil.api.logs import InputEvent, put_log_events
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.errors import PatternError, QueryError
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.insights.parse import parse, unparse
from vigil.insights.run import run_insights
from vigil.logs.groups import LogStore
from vigil.query.engine import open_engine

# AWS's documentation samples (flow logs, CloudTrail, general) and our own
SAMPLES = {
    "group": [
        "fields @timestamp, @message | sort @timestamp desc | limit 25",
        "filter @message like /Exception/ | stats count(*) as exceptionCount by bin(1h) | sort exceptionCount desc",
        "stats count(*) by @logStream | limit 100",
        "fields @timestamp, @message | filter @message like /ERROR/ | dedup @logStream",
        "parse @message \"user=*,\" as user | stats count(*) by user",
        "parse @message /latency=(?<ms>\\d+)/ | stats avg(ms), max(ms), pct(ms, 90) by bin(5m)",
        "filter level = \"ERROR\" and latency > 100 | fields @timestamp, service, latency * 2 as double | sort latency desc | limit 5",
        "stats count_distinct(service), earliest(latency), latest(latency), sortsFirst(service), sortsLast(service)",
        "fields strlen(service) as n, toupper(service) as up, substr(service, 0, 3) as head, "
        "ispresent(missing) as p, isempty(service) as e, concat(service, \"-x\") as c | limit 3",
        "filter service in [\"api\", \"web\"] and service not like \"w\" | stats count(*)",
        "filter service =~ /(?i)API/ | display service",
    ],
    "flow_logs": [
        "filter action = \"REJECT\" | stats count(*) as rejects, sum(bytes) as b by srcAddr | sort rejects desc | limit 20",
        "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr | sort bytesTransferred desc | limit 10",
        "filter dstPort = 22 and action = \"REJECT\" | stats count(*) as attempts by srcAddr, bin(5m)",
        "parse @message \"* * * * * * * * * * * * * *\" as ver, acct, eni, src, dst, sp, dp, proto, pk, by, st, en, act, status | filter dp = 22 | stats count(*) by act",
        "filter isIpv4InSubnet(srcAddr, \"198.51.100.0/24\") | stats avg(bytes), max(bytes) by bin(1h)",
    ],
    "cloudtrail": [
        "filter eventName = \"ConsoleLogin\" and additionalEventData.MFAUsed != \"Yes\" | stats count(*) by userIdentity.arn, bin(1h)",
        "stats count(*) as calls by eventSource, eventName | sort calls desc | limit 10",
        "filter errorCode like \"AccessDenied\" | fields eventTime, userIdentity.arn, sourceIPAddress",
        "filter userIdentity.type = \"Root\" | stats count(*) by eventName",
    ],
}  # fmt: skip


@pytest.mark.parametrize("query", [q for qs in SAMPLES.values() for q in qs])
def test_round_trip(query: str) -> None:
    tree = parse(query)
    assert parse(unparse(tree)) == tree


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("insights")
    home = Settings.load(root / "home")
    rng = random.Random(3)
    lines = [flow_line(src=f"198.51.100.{rng.randint(1, 9)}", dport=rng.choice([22, 80, 443]),
                       start=1700000000 + i * 7, action=rng.choice(["ACCEPT", "REJECT"]))
             for i in range(400)]  # fmt: skip
    write_gz(flow_key(root / "src"), FLOW_HEADER + "\n" + "\n".join(lines) + "\n")
    records = [ct_record(eventID=f"e{i}", eventName=rng.choice(["ConsoleLogin", "GetObject"]),
                         additionalEventData={"MFAUsed": rng.choice(["Yes", "No"])},
                         errorCode=rng.choice([None, "AccessDenied"]))
               for i in range(60)]  # fmt: skip
    records.append(
        ct_record(eventID="root", userIdentity={"type": "Root", "accountId": "111122223333"})
    )
    write_gz(trail_key(root / "src"), trail_file([{k: v for k, v in r.items() if v is not None}
                                                  for r in records]))  # fmt: skip
    ingest(home, [str(root / "src")], IngestOptions())
    with LogStore(home) as store:
        store.create_group("app")
        for stream in ("api-1", "web-1"):
            store.create_stream("app", stream)
    now = now_ms()
    for stream, service in (("api-1", "api"), ("web-1", "web")):
        events = [InputEvent(now - 3_000_000 + i * 1000, json.dumps(
            {"level": rng.choice(["ERROR", "INFO"]), "latency": rng.randint(1, 300), "service": service}
        )) for i in range(300)]  # fmt: skip
        events += [InputEvent(now - 1000, f"user=bob, latency={rng.randint(1, 9)} Exception")]
        put_log_events(home, "app", stream, events, now=now)
    return home


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_sample_queries_run(lake: Settings, kind: str) -> None:
    for query in SAMPLES[kind]:
        args = {"groups": ["app"]} if kind == "group" else {"table": kind}
        result = run_insights(lake, query, **args)  # type: ignore[arg-type]
        assert result.num_rows > 0, query


def sql(home: Settings, text: str) -> list[tuple]:  # type: ignore[type-arg]
    with open_engine(home) as con:
        return con.rows(text)


def test_flow_stats_equal_sql(lake: Settings) -> None:
    got = run_insights(lake, "filter action = \"REJECT\" | stats count(*) as rejects, sum(bytes) as b "
                             "by srcAddr, dstPort", table="flow_logs").to_pylist()  # fmt: skip
    want = sql(lake, "SELECT srcaddr, dstport, count(*), sum(bytes) FROM flow_logs "
                     "WHERE action = 'REJECT' GROUP BY 1, 2")  # fmt: skip
    assert sorted((r["srcAddr"], r["dstPort"], r["rejects"], r["b"]) for r in got) == sorted(
        (a, p, n, float(b)) for a, p, n, b in want
    )


def test_group_stats_equal_sql(lake: Settings) -> None:
    got = run_insights(lake, "filter level = \"ERROR\" | stats count(*) as n, avg(latency) as a, "
                             "max(latency) as m by service", groups=["app"]).to_pylist()  # fmt: skip
    want = sql(lake, "SELECT json_extract_string(message, '$.service') AS s, count(*), "
                     "avg(CAST(json_extract_string(message, '$.latency') AS DOUBLE)), "
                     "max(CAST(json_extract_string(message, '$.latency') AS DOUBLE)) "
                     "FROM log_events WHERE log_group = 'app' AND json_valid(message) "
                     "AND json_extract_string(message, '$.level') = 'ERROR' GROUP BY 1")  # fmt: skip
    assert sorted((r["service"], r["n"], r["a"], r["m"]) for r in got) == sorted(want)


def test_cloudtrail_filter_equal_sql(lake: Settings) -> None:
    got = run_insights(lake, "filter eventName = \"ConsoleLogin\" and additionalEventData.MFAUsed "
                             "!= \"Yes\" | stats count(*) as n", table="cloudtrail").to_pylist()  # fmt: skip
    want = sql(lake, "SELECT count(*) FROM cloudtrail WHERE eventname = 'ConsoleLogin' AND "
                     "json_extract_string(additionaleventdata, '$.MFAUsed') <> 'Yes'")  # fmt: skip
    assert got == [{"n": want[0][0]}] and want[0][0] > 0


@pytest.mark.parametrize(
    "query",
    ["stats count(*) by srcAddr | sort count(*) desc",
     "stats count() by srcAddr | sort count(*) desc",
     "stats count(*), sum(bytes) by srcAddr | sort count(*) desc, srcAddr asc | limit 500",
     "stats count(*) as n by srcAddr | sort n desc"],
)  # fmt: skip
def test_sort_by_an_aggregate_after_stats(lake: Settings, query: str) -> None:
    """As in AWS: after stats, `count(*)` in sort names the stats column of that name."""
    rows = run_insights(lake, query, table="flow_logs").to_pylist()
    counts = [next(v for k, v in r.items() if k != "srcAddr" and "sum" not in k) for r in rows]
    want = sql(lake, "SELECT count(*) FROM flow_logs GROUP BY srcaddr ORDER BY 1 DESC")
    assert counts == [n for (n,) in want][: len(counts)] and len(counts) > 1


def test_default_order_limit_and_dedup(lake: Settings) -> None:
    rows = run_insights(lake, "fields @timestamp, @logStream | limit 3", groups=["app"]).to_pylist()
    stamps = [r["@timestamp"] for r in rows]
    assert len(rows) == 3 and stamps == sorted(stamps, reverse=True)
    dedup = run_insights(lake, "fields @logStream | dedup @logStream", groups=["app"]).to_pylist()
    assert sorted(r["@logStream"] for r in dedup) == ["api-1", "web-1"]


@pytest.mark.parametrize(
    ("query", "says"),
    [("fields a | bogus", "unknown command 'bogus'"), ("filter x = ", "expected a value"),
     ("limit ten", "whole number"), ("parse @message \"* *\" as a", "has 2 * but 1 names"),
     ("stats count(*) by bin(5x)", "not a period"), ("stats count(*) | fields other", "not a column"),
     ("stats count(*) by service | sort sum(latency) desc", "'sum(latency)' is not a column")],
)  # fmt: skip
def test_errors(lake: Settings, query: str, says: str) -> None:
    with pytest.raises((PatternError, QueryError), match=re.escape(says)):
        run_insights(lake, query, groups=["app"])


def test_cli_insights_json(lake: Settings, tmp_path: Path) -> None:
    from helpers import run

    done = run(
        lake.home, "insights", "stats count(*) as n by action", "--table", "flow_logs", "--json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert sum(r["n"] for r in result["results"]) == 400
