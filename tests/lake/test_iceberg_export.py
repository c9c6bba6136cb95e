"""`vigil lake export --format iceberg`: the lake's tables registered in pyiceberg's SQL catalog
(on SQLite), read back with pyiceberg and DuckDB: same rows, same columns, partition values
from the folders; re-runs register only new files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
from pyiceberg.catalog import load_catalog

from helpers import (
    FLOW_HEADER,
    ct_record,
    flow_key,
    flow_line,
    trail_file,
    trail_key,
    vigil,
    write_gz,
)
from vigil.lake.tables import PARTITIONS, TABLES, full_schema


def _export(home: Path, tmp_path: Path, *extra: str) -> dict[str, dict[str, object]]:
    done = vigil(home, "lake", "export", "--format", "iceberg", "--catalog", "sql",
                 "--uri", f"sqlite:///{tmp_path / 'catalog.db'}",
                 "--warehouse", (tmp_path / "warehouse").as_uri(), "--json", *extra)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {t["table"]: t for t in json.loads(done.stdout)["tables"]}


def _count(home: Path, table: str) -> int:
    done = vigil(home, "query", f"SELECT count(*) AS n FROM {table}", "--json")
    assert done.returncode == 0, done.stderr
    return int(json.loads(done.stdout)[0]["n"])


def test_export_registers_lake_files_and_reruns_add_only_new(tmp_path: Path) -> None:
    home, logs = tmp_path / "home", tmp_path / "logs"
    write_gz(flow_key(logs), f"{FLOW_HEADER}\n{flow_line()}\n{flow_line(dport=443)}\n")
    write_gz(flow_key(logs, account="444455556666", region="eu-west-1", tag="ab12cd34"),
             f"{FLOW_HEADER}\n{flow_line(account='444455556666', src='203.0.113.9')}\n")  # fmt: skip
    write_gz(trail_key(logs), trail_file([ct_record(), ct_record(eventID="3f1c5e7a-2")]))
    assert vigil(home, "ingest", str(logs)).returncode == 0

    first = _export(home, tmp_path)
    assert (first["flow_logs"]["added"], first["cloudtrail"]["added"]) == (2, 1)
    catalog = load_catalog("vigil", type="sql", uri=f"sqlite:///{tmp_path / 'catalog.db'}",
                           warehouse=(tmp_path / "warehouse").as_uri())  # fmt: skip
    db = duckdb.connect()
    for name in ("flow_logs", "cloudtrail"):
        table = catalog.load_table(f"vigil.{name}")
        arrow = table.scan().to_arrow()
        assert arrow.num_rows == _count(home, name)
        assert arrow.column_names == [*full_schema(TABLES[name]).names, *PARTITIONS]
        assert [f.name for f in table.spec().fields] == list(PARTITIONS)
        db.register(name, arrow)
        assert db.execute(f"SELECT count(*) FROM {name}").fetchall() == [(arrow.num_rows,)]
    places = db.execute("SELECT aws_account, aws_region, date, srcaddr, srcaddr_ipv4 FROM flow_logs "
                        "ORDER BY aws_account, dstport").fetchall()  # fmt: skip
    assert places == [
        ("111122223333", "us-east-1", date(2023, 11, 14), "198.51.100.7", 3325256711),
        ("111122223333", "us-east-1", date(2023, 11, 14), "198.51.100.7", 3325256711),
        ("444455556666", "eu-west-1", date(2023, 11, 14), "203.0.113.9", 3405803785),
    ]
    assert db.execute("SELECT DISTINCT date FROM cloudtrail").fetchall() == [(date(2024, 3, 1),)]

    again = _export(home, tmp_path)
    assert all(t["added"] == 0 and t["removed"] == 0 for t in again.values())
    assert catalog.load_table("vigil.flow_logs").scan().to_arrow().num_rows == 3

    write_gz(flow_key(logs, day="2023/11/15", stamp="20231115T0100Z", tag="ef56ab78"),
             f"{FLOW_HEADER}\n{flow_line(start=1700010000)}\n")  # fmt: skip
    assert vigil(home, "ingest", str(logs)).returncode == 0
    later = _export(home, tmp_path, "--table", "flow_logs")
    assert list(later) == ["flow_logs"]
    assert (later["flow_logs"]["added"], later["flow_logs"]["files"]) == (1, 3)
    assert catalog.load_table("vigil.flow_logs").scan().to_arrow().num_rows == _count(
        home, "flow_logs") == 4  # fmt: skip


def test_unreachable_rest_catalog_is_one_error_with_a_hint(tmp_path: Path) -> None:
    done = vigil(tmp_path / "home", "lake", "export", "--format", "iceberg", "--catalog", "rest",
                 "--uri", "http://127.0.0.1:9")  # fmt: skip
    assert done.returncode != 0
    assert "cannot open the rest catalog at http://127.0.0.1:9" in done.stderr
    assert "hint:" in done.stderr and "Traceback" not in done.stderr
