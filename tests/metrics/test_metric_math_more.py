"""Metric math as AWS documents it, over conformance tables (tests/data/metric_math.yaml and
metric_search.yaml), then GetMetricData with expression queries (metric math, SEARCH, hidden
inputs, labels, periods, errors) through boto3 and the AWS CLI against a real `vigil serve`."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from serving import Server, serving
from vigil.metrics.math import Context, Many, MathError, Named, evaluate_expression
from vigil.metrics.search import matching
from vigil.metrics.store import Metric

DATA = Path(__file__).parents[1] / "data"
MATH = yaml.safe_load((DATA / "metric_math.yaml").read_text())
SEARCH = yaml.safe_load((DATA / "metric_search.yaml").read_text())
AWS_CLI = Path(__file__).resolve().parents[2] / ".venv-awscli" / "bin" / "aws"
STEP = 60_000


def _context() -> Context:
    values: dict[str, Named | Many] = {
        ident: Named(ident, {i * STEP: float(v) for i, v in enumerate(col) if v is not None}, 60)
        for ident, col in MATH["columns"].items()
    }  # fmt: skip
    width = max(len(c) for c in MATH["columns"].values())
    return Context(values, list(MATH["metrics"]), [i * STEP for i in range(width)], 60)


def _column(s: Named, width: int) -> list[float | None]:
    return [s.points.get(i * STEP) for i in range(width)]


@pytest.mark.parametrize("case", MATH["cases"], ids=lambda c: c["expression"])
def test_expression(case: dict[str, Any]) -> None:
    ctx = _context()
    got = evaluate_expression(case["expression"], ctx)
    want = case["expect"]
    if want and isinstance(want[0], list):
        assert isinstance(got, Many), f"{case['expression']} gives one series"
        assert [_column(s, len(want[0])) for s in got.items] == [
            [w if w is None else pytest.approx(w) for w in row] for row in want]  # fmt: skip
    else:
        assert isinstance(got, Named), f"{case['expression']} gives {got}"
        width = len(want)
        assert _column(got, width) == [w if w is None else pytest.approx(w) for w in want]


@pytest.mark.parametrize("case", MATH["errors"], ids=lambda c: c["expression"])
def test_what_cannot_be_evaluated_says_why(case: dict[str, Any]) -> None:
    with pytest.raises(MathError) as caught:
        evaluate_expression(case["expression"], _context())
    assert case["says"] in caught.value.message
    assert case["expression"] in caught.value.message  # the expression is named


@pytest.mark.parametrize("expression", ["-" * 2000 + "m1", "(" * 1000 + "m1" + ")" * 1000,
                                        "ABS(" * 300 + "m1" + ")" * 300])  # fmt: skip
def test_deep_nesting_is_refused_not_crashed(expression: str) -> None:
    with pytest.raises(MathError, match="nest"):
        evaluate_expression(expression, _context())


def _metric(row: list[Any]) -> Metric:
    namespace, name, dims = row
    return Metric(namespace, name, tuple(sorted((k, str(v)) for k, v in dims.items())))


def _label(m: Metric) -> str:
    return " ".join([m.name] + [v for _, v in m.dimensions])


@pytest.mark.parametrize("case", SEARCH["cases"], ids=lambda c: c["search"])
def test_search(case: dict[str, Any]) -> None:
    metrics = [_metric(row) for row in SEARCH["metrics"]]
    if "error" in case:
        with pytest.raises(MathError, match=case["error"].replace("(", r"\(")):
            matching(case["search"], metrics)
        return
    assert [_label(m) for m in matching(case["search"], metrics)] == case["finds"]


# -- GetMetricData over a real server -----------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("gmd") / "home") as s:
        _put(s.client("cloudwatch"))
        yield s


NOW = datetime.now(UTC).replace(second=0, microsecond=0)
BASE = int(NOW.timestamp()) // 3600 * 3600 - 3600  # an hour ago, on the hour


def _put(cw: Any) -> None:
    data = []
    for minute in range(10):
        when = datetime.fromtimestamp(BASE + minute * 60, UTC)
        for fn, errors in (("api", minute % 3), ("worker", 1)):
            dims = [{"Name": "FunctionName", "Value": fn}]
            data.append({"MetricName": "Errors", "Dimensions": dims, "Timestamp": when,
                         "Value": float(errors), "Unit": "Count"})  # fmt: skip
            data.append({"MetricName": "Invocations", "Dimensions": dims, "Timestamp": when,
                         "Value": 10.0, "Unit": "Count"})  # fmt: skip
    cw.put_metric_data(Namespace="Shop/Lambda", MetricData=data)


def _stat(name: str, fn: str, stat: str = "Sum", period: int = 60) -> dict[str, Any]:
    return {"Metric": {"Namespace": "Shop/Lambda", "MetricName": name,
                       "Dimensions": [{"Name": "FunctionName", "Value": fn}]},
            "Period": period, "Stat": stat}  # fmt: skip


def _range() -> dict[str, datetime]:
    return {"StartTime": datetime.fromtimestamp(BASE, UTC),
            "EndTime": datetime.fromtimestamp(BASE + 600, UTC)}  # fmt: skip


def test_get_metric_data_evaluates_expressions(server: Server) -> None:
    got = server.client("cloudwatch").get_metric_data(**_range(), ScanBy="TimestampAscending", MetricDataQueries=[
        {"Id": "rate", "Expression": "100 * errors / invocations", "Label": "Error rate (%)"},
        {"Id": "errors", "MetricStat": _stat("Errors", "api"), "ReturnData": False},
        {"Id": "invocations", "MetricStat": _stat("Invocations", "api"), "ReturnData": False},
        {"Id": "spikes", "Expression": "IF(errors >= 2, errors)"},
        {"Id": "all", "Expression": "SEARCH('{Shop/Lambda,FunctionName} MetricName=\"Errors\"', "
         "'Sum', 300)", "Label": "Errors"},
        {"Id": "total", "Expression": "SUM(all)"},
        {"Id": "none", "Expression": "errors / (errors - errors)"},
    ])  # fmt: skip
    by_id: dict[str, list[dict[str, Any]]] = {}
    for r in got["MetricDataResults"]:
        by_id.setdefault(r["Id"], []).append(r)
    assert list(by_id) == ["rate", "spikes", "all", "total", "none"]  # ReturnData false: not
    # returned
    [rate] = by_id["rate"]
    assert rate["Label"] == "Error rate (%)" and rate["StatusCode"] == "Complete"
    assert rate["Values"] == [0.0, 10.0, 20.0] * 3 + [0.0]
    assert [t.timestamp() for t in rate["Timestamps"]] == [BASE + m * 60 for m in range(10)]
    [spikes] = by_id["spikes"]  # IF without a false value drops those points
    assert spikes["Values"] == [2.0, 2.0, 2.0]
    assert spikes["Label"] == "spikes"  # the id when no label is given
    labels = sorted(r["Label"] for r in by_id["all"])  # one result per series found
    assert labels == ["Errors api", "Errors worker"]
    api = next(r for r in by_id["all"] if r["Label"] == "Errors api")
    assert api["Values"] == [4.0, 5.0]  # the search's own period: 300 s
    [total] = by_id["total"]
    assert total["Values"] == [9.0, 10.0]
    assert rate["Messages"] == total["Messages"] == []
    [none] = by_id["none"]  # every point a division by zero: dropped, and the result says so
    assert none["Values"] == [] and none["StatusCode"] == "Complete"
    assert [m["Code"] for m in none["Messages"]] == ["ArithmeticError"]


@pytest.mark.parametrize(("queries", "code", "says"), [
    ([{"Id": "e1", "Expression": "m1 * 2"}], "ValidationError",
     "Error in expression e1: 'm1 * 2': no metric or expression with the id 'm1'"),
    ([{"Id": "e1", "Expression": "AVG(m1)"}, {"Id": "m1", "MetricStat": _stat("Errors", "api"),
      "ReturnData": False}], "ValidationError", "the result is a single number"),
    ([{"Id": "e1", "Expression": "e2 + 1"}, {"Id": "e2", "Expression": "e1 + 1"}],
     "ValidationError", "it depends on itself"),
    ([{"Id": "E1", "Expression": "TIME_SERIES(1)"}], "ValidationError",
     "must start with a lower-case letter"),
    ([{"Id": "m1", "MetricStat": _stat("Errors", "api"), "ReturnData": False}],
     "ValidationError", "at least one query must return data"),
    ([{"Id": "m1", "MetricStat": _stat("Errors", "api", period=7)}], "InvalidParameterValue",
     "period 7"),
    ([{"Id": "m1", "MetricStat": _stat("Errors", "api", stat="Mean")}], "InvalidParameterValue",
     "statistic 'Mean'"),
    ([{"Id": "m1"}], "ValidationError", "give either MetricStat or Expression"),
])  # fmt: skip
def test_get_metric_data_refuses_what_it_cannot_answer(
    server: Server, queries: list[dict[str, Any]], code: str, says: str
) -> None:
    with pytest.raises(ClientError) as caught:
        server.client("cloudwatch").get_metric_data(**_range(), MetricDataQueries=queries)
    error = caught.value.response["Error"]
    assert error["Code"] == code and says in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_aws_cli_runs_an_expression(server: Server) -> None:
    assert AWS_CLI.is_file(), "run `make clients` (the AWS CLI v1 venv)"
    queries = [{"Id": "m1", "MetricStat": _stat("Invocations", "worker"), "ReturnData": False},
               {"Id": "e1", "Expression": "RUNNING_SUM(m1)", "Label": "so far"}]  # fmt: skip
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.admin["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": server.admin["SecretAccessKey"],
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}  # fmt: skip
    done = subprocess.run([str(AWS_CLI), "--endpoint-url", server.url, "--output", "json",
                           "cloudwatch", "get-metric-data", "--scan-by", "TimestampAscending",
                           "--start-time", str(BASE), "--end-time", str(BASE + 300),
                           "--metric-data-queries", json.dumps(queries)],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)["MetricDataResults"]
    assert result["Label"] == "so far"
    assert result["Values"] == [10.0, 20.0, 30.0, 40.0, 50.0]
