"""`s3_requests`: S3 server access logs and CloudTrail S3 data events as one relation, through
the real pipeline (records written as AWS delivers them, ingested, queried): operations mapped
to CloudTrail's names, principals named alike, a request logged by both kept once with what
only the trail knows, a request delivered to two trails kept once, bounds that reach both
sources; and the detection engine's side: units may name it, their SQL reads it bounded,
tuning's exceptions use its columns, a batch of either table runs its units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers import trail_file, trail_key, write_gz
from vigil.config import Settings
from vigil.detect.batch import BatchDetector
from vigil.detect.case_files import write_s3_access
from vigil.detect.runner import data_range, detection_connection, tables_read
from vigil.detect.sql import reach, unit_sql
from vigil.detect.tuning import Exceptions, excepted_sql
from vigil.detect.units import UnitError, load_unit
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.model.finding import Finding
from vigil.query.engine import Engine

ACCOUNT = "444455556666"
OWNER = "a1c5e0f2b3d4c6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6"
BUCKET = "ledger"
ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/etl/run-7"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/etl"
TAIL = (f'"-" "aws-cli/2.15.30" - aG9zdA== SigV4 TLS_AES_128_GCM_SHA256 AuthHeader '
        f"{BUCKET}.s3.eu-west-1.amazonaws.com TLSv1.3 - - eu-west-1")  # fmt: skip


def _line(second: int, requester: str, rid: str, op: str, key: str, status: int = 200,
          error: str = "-", sent: str = "2048") -> str:  # fmt: skip
    when = f"[14/May/2024:09:00:{second:02d} +0000]"
    return (
        f"{OWNER} {BUCKET} {when} 192.0.2.10 {requester} {rid} {op} {key} "
        f'"GET /{BUCKET}/{key} HTTP/1.1" {status} {error} {sent} 2048 12 8 {TAIL}'
    )


def _event(second: int, name: str, key: str | None, rid: str, eid: str,
           recipient: str = ACCOUNT, **params: Any) -> dict[str, Any]:  # fmt: skip
    request = {"bucketName": BUCKET, "Host": f"{BUCKET}.s3.eu-west-1.amazonaws.com", **params}
    if key is not None:
        request["key"] = key
    return {
        "eventVersion": "1.09", "eventTime": f"2024-05-14T09:00:{second:02d}Z",
        "eventSource": "s3.amazonaws.com", "eventName": name, "awsRegion": "eu-west-1",
        "sourceIPAddress": "192.0.2.10", "userAgent": "[aws-cli/2.15.30]",
        "userIdentity": {"type": "AssumedRole", "arn": ROLE_SESSION, "accountId": ACCOUNT,
                         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE,
                                                              "userName": "etl"}}},
        "requestParameters": request, "responseElements": None,
        "additionalEventData": {"bytesTransferredIn": 0, "bytesTransferredOut": 2048},
        "requestID": rid, "eventID": eid, "readOnly": name.startswith("Get"),
        "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": recipient,
        "eventCategory": "Data",
    }  # fmt: skip


SSEC = {"x-amz-server-side-encryption-customer-algorithm": "AES256"}
LINES = [
    _line(0, ROLE_SESSION, "REQGET0000000001", "REST.GET.OBJECT", "q1%20report.pdf"),
    _line(1, ROLE_SESSION, "REQMULTI00000001", "REST.POST.MULTI_OBJECT_DELETE", "-"),
    _line(1, ROLE_SESSION, "REQMULTI00000001", "BATCH.DELETE.OBJECT", "tmp/a.csv", 204),
    _line(1, ROLE_SESSION, "REQMULTI00000001", "BATCH.DELETE.OBJECT", "tmp/b.csv", 204),
    _line(2, ROLE_SESSION, "REQCOPY000000001", "REST.COPY.OBJECT_GET", "q2.pdf"),
    _line(2, ROLE_SESSION, "REQCOPY000000001", "REST.COPY.OBJECT", "q2.pdf"),
    _line(3, "-", "REQANON000000001", "REST.GET.OBJECT", "public.txt", 403, "AccessDenied"),
    _line(4, "-", "REQLIFE000000001", "S3.EXPIRE.OBJECT", "old.log", 200),
]
EVENTS = [
    _event(0, "GetObject", "q1 report.pdf", "REQGET0000000001", "e-get"),  # in both
    _event(1, "DeleteObjects", None, "REQMULTI00000001", "e-multi", delete=""),  # in both
    _event(2, "CopyObject", "q2.pdf", "REQCOPY000000001", "e-copy", **SSEC),  # in both, SSE-C
    _event(5, "PutObject", "q3.pdf", "REQPUTONLY000001", "e-put", **SSEC),  # the trail's only
    # one request delivered to the caller's trail and the bucket owner's
    _event(6, "GetObject", "q4.pdf", "REQTWOTRAILS0001", "e-two-a", recipient=ACCOUNT),
    _event(6, "GetObject", "q4.pdf", "REQTWOTRAILS0001", "e-two-b", recipient="777788889999"),
]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("s3req")
    write_s3_access({"account": ACCOUNT, "region": "eu-west-1", "bucket": BUCKET,
                     "records": LINES}, root / "src")  # fmt: skip
    write_gz(trail_key(root / "src", ACCOUNT, "eu-west-1"), trail_file(EVENTS))
    settings = Settings.load(root / "home")
    assert ingest(settings, [str(root / "src")], IngestOptions()).clean
    return settings


@pytest.fixture()
def con(lake: Settings) -> Any:
    engine = detection_connection(lake.lake_dir, None)
    yield engine
    engine.close()


def _rows(con: Engine, sql: str) -> list[dict[str, Any]]:
    return list(con.query(sql).to_pylist())


def test_each_request_once_in_cloudtrail_names(con: Engine) -> None:
    rows = _rows(con, "SELECT * FROM s3_requests ORDER BY event_ts, operation, key")
    seen = [(r["source"], r["operation"], r["action"], r["key"]) for r in rows]
    assert seen == [
        ("access_log", "REST.GET.OBJECT", "GetObject", "q1 report.pdf"),
        ("access_log", "BATCH.DELETE.OBJECT", "DeleteObject", "tmp/a.csv"),
        ("access_log", "BATCH.DELETE.OBJECT", "DeleteObject", "tmp/b.csv"),
        ("access_log", "REST.POST.MULTI_OBJECT_DELETE", "DeleteObjects", None),
        ("access_log", "REST.COPY.OBJECT", "CopyObject", "q2.pdf"),
        ("access_log", "REST.COPY.OBJECT_GET", "CopyObject", "q2.pdf"),
        ("access_log", "REST.GET.OBJECT", "GetObject", "public.txt"),
        ("access_log", "S3.EXPIRE.OBJECT", "DeleteObject", "old.log"),
        ("cloudtrail", "PutObject", "PutObject", "q3.pdf"),
        ("cloudtrail", "GetObject", "GetObject", "q4.pdf"),
    ]


def test_what_only_the_trail_knows_is_added(con: Engine) -> None:
    rows = {(r["operation"], r["key"]): r for r in _rows(con, "SELECT * FROM s3_requests")}
    copy, source = rows[("REST.COPY.OBJECT", "q2.pdf")], rows[("REST.COPY.OBJECT_GET", "q2.pdf")]
    assert copy["sse_c"] is True and not copy["copy_source"]
    assert source["copy_source"] and source["sse_c"] is None  # the read half wrote nothing
    assert rows[("REST.GET.OBJECT", "q1 report.pdf")]["sse_c"] is False
    assert rows[("PutObject", "q3.pdf")]["sse_c"] is True
    # the session is named as its role in both sources
    assert {r["principal"] for r in rows.values() if not r["anonymous"]} == {ROLE}
    anon = rows[("REST.GET.OBJECT", "public.txt")]
    assert (anon["principal"], anon["succeeded"], anon["http_status"]) == ("anonymous", False, 403)
    assert rows[("S3.EXPIRE.OBJECT", "old.log")]["by_aws"]
    assert not rows[("REST.GET.OBJECT", "q1 report.pdf")]["by_aws"]


def test_bounds_reach_both_sources(con: Engine) -> None:
    def count(lo: int, hi: int) -> int:
        sql = ("SELECT count(*) FROM s3_requests_between("
               f"TIMESTAMPTZ '2024-05-14 09:00:{lo:02d}+00', TIMESTAMPTZ '2024-05-14 09:00:{hi:02d}+00')")  # fmt: skip
        return int(con.rows(sql)[0][0])

    assert count(0, 1) == 1  # the GET, once: its trail copy just outside is still matched
    assert count(5, 7) == 2  # the trail's own requests
    assert count(0, 59) == 10
    assert data_range(con, "s3_requests") == (
        datetime(2024, 5, 14, 9, 0, tzinfo=UTC),
        datetime(2024, 5, 14, 9, 0, 6, tzinfo=UTC),
    )


MASS = Path(__file__).parents[2] / "src/vigil/content/detections/impact-s3-massdeletion"


def test_units_name_the_relation_and_read_it_bounded() -> None:
    unit = load_unit(MASS, cases=False)
    assert unit.source == "s3_requests"
    assert tables_read("s3_requests") == ("s3_access_logs", "cloudtrail")
    assert tables_read("cloudtrail") == ("cloudtrail",)
    since = datetime(2024, 5, 14, tzinfo=UTC)
    sql = unit_sql(unit, since, since + timedelta(hours=1))
    assert "WITH s3_requests AS (SELECT * FROM (SELECT * FROM s3_requests_between(" in sql
    assert reach(unit) == timedelta(minutes=120)  # its lookback_minutes, more than a window
    assert f"TIMESTAMPTZ '{(since - reach(unit)).isoformat()}'" in sql


def test_a_source_that_is_not_a_table_or_relation_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "bad-unit"
    folder.mkdir()
    text = (MASS / "detection.yaml").read_text().replace("source: s3_requests", "source: s3_reqs")
    (folder / "detection.yaml").write_text(text)
    (folder / "query.sql").write_text((MASS / "query.sql").read_text())
    with pytest.raises(UnitError, match="not a lake table or derived relation"):
        load_unit(folder, cases=False)


def test_tuning_exceptions_use_the_relations_columns(con: Engine) -> None:
    unit = load_unit(MASS, cases=False)
    rules = Exceptions(principals=[f"arn:aws:iam::{ACCOUNT}:role/*"], addresses=["192.0.2.0/24"],
                       user_agents=["*cli*"], accounts=["777788889999"])  # fmt: skip
    from dataclasses import replace

    condition = excepted_sql(replace(unit, exceptions=rules))
    assert condition is not None and "useridentity" not in condition
    total = con.rows(f"SELECT count(*) FILTER (WHERE {condition}) FROM s3_requests")[0][0]
    assert total == 10  # every request: the role, the address, the agent


class _Sink:
    def __init__(self) -> None:
        self.found: list[Finding] = []

    def watermark(self, unit: str) -> str | None:
        return None

    def set_watermark(self, unit: str, until: str) -> None:
        return None

    def record(self, meta: Finding, hits: Any) -> bool:
        self.found.append(meta)
        return True


def test_a_batch_of_access_logs_runs_the_relations_record_units(tmp_path: Path) -> None:
    """Anonymous access is judged per hour (a HAVING), so not on the batch; a record unit over
    s3_requests is: the batch detector chooses units by the tables their source reads."""
    settings = Settings.load(tmp_path / "home")
    detector = BatchDetector(settings)
    unit = load_unit(MASS, cases=False)
    from dataclasses import replace

    record = replace(unit, id="s3-record", record_rule=True, query=(
        "SELECT event_ts AS window_start, event_ts AS first_seen, event_ts AS last_seen, 1 AS hits, "
        "account, region, principal AS actor, bucket FROM s3_requests "
        "WHERE event_ts >= {{since}} AND event_ts < {{until}} AND action = 'DeleteObject' "
        "AND NOT by_aws"))  # fmt: skip
    write_s3_access({"account": ACCOUNT, "region": "eu-west-1", "bucket": BUCKET,
                     "records": LINES}, tmp_path / "src")  # fmt: skip
    report = ingest(settings, [str(tmp_path / "src")], IngestOptions())
    written = {"s3_access_logs": sorted((settings.lake_dir / "s3_access_logs").rglob("*.parquet"))}
    detector._ready()
    detector.units = [record]
    sink = _Sink()
    try:
        result = detector.detect(sink, written)
    finally:
        detector.close()
    assert report.clean and result.units == 1 and not result.errors
    assert {f.key["actor"] for f in sink.found} == {ROLE}
    assert len(sink.found) == 2  # the two keys of the multi-object delete, not the expiry


def test_repeated_trail_records_number_their_text() -> None:
    from vigil.detect.harness import _expand_record

    item = {"record": _event(0, "GetObject", "k-{i}.pdf", "RID{i}", "e"), "repeat": 3, "every": 5}
    out = _expand_record(item)
    assert [r["requestParameters"]["key"] for r in out] == ["k-0.pdf", "k-1.pdf", "k-2.pdf"]
    assert [r["requestID"] for r in out] == ["RID0", "RID1", "RID2"]
    assert [r["eventTime"] for r in out][-1] == "2024-05-14T09:00:10Z"


def test_users_may_query_the_relation(lake: Settings) -> None:
    from vigil.query.duckdb import check_read_only
    from vigil.query.engine import open_engine

    sql = ("SELECT source, count(*) AS n FROM s3_requests_between(TIMESTAMPTZ '2024-05-14', "
           "TIMESTAMPTZ '2024-05-15') GROUP BY source ORDER BY source")  # fmt: skip
    check_read_only(sql)
    check_read_only("SELECT * FROM s3_requests")
    with open_engine(lake.lake_dir) as engine:  # read-only: the user's engine
        assert engine.rows(sql) == [("access_log", 8), ("cloudtrail", 2)]
