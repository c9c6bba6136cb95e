"""CloudWatch dashboards as users bring them: a conformance set of DashboardBody documents
(tests/data/dashboards/, written from AWS's "Dashboard Body Structure and Syntax": one per
feature, an operations board and a security board) stored with PutDashboard through boto3
without a validation message, then drawn by the console in Chromium with every widget
showing its content and none an error; the metric rows' shorthands as a table; what
PutDashboard refuses and what it stores with a warning."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, Page, expect

from helpers import vigil
from serving import Server, serving
from vigil.metrics.dashboard_data import fit
from vigil.metrics.dashboard_view import lines, read_board

BODIES = Path(__file__).parents[1] / "data" / "dashboards"
NAMES = sorted(p.stem for p in BODIES.glob("*.json"))
AWS_CLI = Path(__file__).resolve().parents[2] / ".venv-awscli" / "bin" / "aws"
PASSWORD = "dora-dashboards-pass"
pytestmark = pytest.mark.slow  # a server, metrics and a browser


# -- the metrics rows, read as AWS defines them -------------------------------------------------
ROWS = [  # (rows, the metrics they stand for: namespace, name, dimensions, stat, label)
    ([["AWS/Kafka", "CpuUser", "Cluster Name", "c1", "Broker ID", "1"], ["...", "2"],
      ["...", "3"]],
     [("AWS/Kafka", "CpuUser", {"Cluster Name": "c1", "Broker ID": "1"}),
      ("AWS/Kafka", "CpuUser", {"Cluster Name": "c1", "Broker ID": "2"}),
      ("AWS/Kafka", "CpuUser", {"Cluster Name": "c1", "Broker ID": "3"})]),
    ([["AWS/EC2", "CPUUtilization", "InstanceId", "i-1"], [".", ".", ".", "i-2"],
      [".", "NetworkIn", ".", "."]],
     [("AWS/EC2", "CPUUtilization", {"InstanceId": "i-1"}),
      ("AWS/EC2", "CPUUtilization", {"InstanceId": "i-2"}),
      ("AWS/EC2", "NetworkIn", {"InstanceId": "i-2"})]),
    ([["AWS/Lambda", "Errors", "FunctionName", "f"], ["...", {"stat": "Maximum"}]],
     [("AWS/Lambda", "Errors", {"FunctionName": "f"}),
      ("AWS/Lambda", "Errors", {"FunctionName": "f"})]),
    ([["AWS/Lambda", "Errors", "FunctionName", "f"], ["AWS/Lambda", "Throttles", "..."]],
     [("AWS/Lambda", "Errors", {"FunctionName": "f"}),
      ("AWS/Lambda", "Throttles", {"FunctionName": "f"})]),
    ([["App", "Latency", "Service", "a", "Stage", "prod"], ["...", "Stage", "beta"],
      ["...", "b", ".", "."]],
     [("App", "Latency", {"Service": "a", "Stage": "prod"}),
      ("App", "Latency", {"Service": "a", "Stage": "beta"}),
      ("App", "Latency", {"Service": "b", "Stage": "beta"})]),
]  # fmt: skip


@pytest.mark.parametrize(("rows", "metrics"), ROWS)
def test_metric_rows_with_shorthands(rows: list[Any], metrics: list[Any]) -> None:
    got = lines(rows, "Average", 300)
    assert [(ln.metric.namespace, ln.metric.name, dict(ln.metric.dimensions))
            for ln in got if ln.metric] == metrics  # fmt: skip


def test_row_options_and_expressions() -> None:
    got = lines([["A", "M", "D", "x", {"stat": "p99", "period": 60, "label": "L", "id": "a",
                                       "visible": False, "yAxis": "right", "color": "#123456"}],
                 [{"expression": "a * 2", "label": "twice", "id": "e1"}]], "Sum", 300)  # fmt: skip
    row, expression = got
    assert (row.stat, row.period, row.label, row.id, row.visible, row.y_axis, row.color) == (
        "p99",
        60,
        "L",
        "a",
        False,
        "right",
        "#123456",
    )
    assert expression.metric is None and expression.expression == "a * 2"
    assert (expression.label, expression.id, expression.stat) == ("twice", "e1", "Sum")


@pytest.mark.parametrize(("rows", "says"), [
    ([[".", "M"]], '"." where the row before has nothing'),
    ([["A", "M", "D", "x"], ["...", "a", "b", "c", "d", "e"]], '"..." repeats more'),
    ([["A", "M", "D"]], "is not [Namespace, MetricName"),
    ("rows", "metrics is a list of rows"),
])  # fmt: skip
def test_rows_that_cannot_be_read_say_why(rows: Any, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        lines(rows, "Average", 300)


def test_long_ranges_grow_the_period() -> None:
    assert fit(60, 3 * 3600) == 60  # 180 points: as asked
    assert fit(60, 14 * 86400) == 840  # 20,160 points: grown to 1,440 (multiples of 60 s)
    assert fit(300, 30 * 86400) == 1800


def test_the_dashboard_range() -> None:
    assert read_board('{"widgets": [], "start": "-PT6H"}').seconds == 6 * 3600
    assert read_board('{"widgets": [], "start": "-P7D"}').seconds == 7 * 86400
    fixed = read_board('{"widgets": [], "start": "2026-01-01T00:00:00Z", '
                       '"end": "2026-01-01T06:00:00.000Z"}')  # fmt: skip
    assert (fixed.seconds, fixed.end_ms) == (6 * 3600, 1767225600000 + 6 * 3_600_000)
    assert read_board('{"widgets": []}').seconds == 3 * 3600  # the console's default


# -- a server with metrics, logs and an alarm ---------------------------------------------------
def _fill(server: Server) -> str:
    cw = server.client("cloudwatch")
    now = int(time.time()) // 60 * 60
    data: list[dict[str, Any]] = []
    for minute in range(1, 61):
        when = now - minute * 60
        for service, requests, errors in (("api", 100, minute % 4), ("web", 50, minute % 2)):
            dims = [{"Name": "Service", "Value": service}]
            data += [{"MetricName": "Requests", "Dimensions": dims, "Timestamp": when,
                      "Value": float(requests)},
                     {"MetricName": "Errors", "Dimensions": dims, "Timestamp": when,
                      "Value": float(errors)}]  # fmt: skip
        data.append({"MetricName": "LatencyMs", "Timestamp": when, "Value": 200.0 + minute,
                     "Dimensions": [{"Name": "Service", "Value": "api"}]})  # fmt: skip
    for start in range(0, len(data), 500):
        cw.put_metric_data(Namespace="Shop/App", MetricData=data[start : start + 500])
    trail = [{"MetricName": name, "Timestamp": now - k * 600, "Value": float(value)}
             for k in range(1, 7) for name, value in (
                 ("RootAccountUsage", 1), ("UnauthorizedAPICalls", 3 * k),
                 ("ConsoleSignInFailures", k % 2), ("IAMPolicyChanges", 1),
                 ("SecurityGroupChanges", 2), ("CloudTrailConfigChanges", k % 3))]  # fmt: skip
    cw.put_metric_data(Namespace="CloudTrailMetrics", MetricData=trail)
    cw.put_metric_alarm(AlarmName="ApiErrors", Namespace="Shop/App", MetricName="Errors",
                        Dimensions=[{"Name": "Service", "Value": "api"}], Statistic="Sum",
                        Period=60, EvaluationPeriods=1, Threshold=2.0,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")  # fmt: skip
    logs = server.logs()
    logs.create_log_group(logGroupName="/shop/api")
    logs.create_log_stream(logGroupName="/shop/api", logStreamName="web-1")
    logs.put_log_events(logGroupName="/shop/api", logStreamName="web-1", logEvents=[
        {"timestamp": (now - 120 + i) * 1000, "message": f"{level} request {i}"}
        for i, level in enumerate(["INFO", "ERROR", "INFO", "ERROR"])])  # fmt: skip
    [alarm] = cw.describe_alarms(AlarmNames=["ApiErrors"])["MetricAlarms"]
    return str(alarm["AlarmArn"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    home = tmp_path_factory.mktemp("dashboards") / "home"
    home.mkdir(parents=True)
    made = vigil(home, "users", "create", "dora", "--role", "admin", "--password-stdin",
                 stdin=PASSWORD + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    with serving(home) as server:
        yield server, _fill(server)


def _body(name: str, arn: str) -> str:
    return (BODIES / f"{name}.json").read_text().replace("ALARM_ARN", arn)


@pytest.mark.parametrize("name", NAMES)
def test_put_dashboard_takes_the_conformance_bodies_without_a_message(
    site: tuple[Server, str], name: str
) -> None:
    server, arn = site
    cw = server.client("cloudwatch")
    answer = cw.put_dashboard(DashboardName=name, DashboardBody=_body(name, arn))
    assert answer["DashboardValidationMessages"] == []
    assert json.loads(cw.get_dashboard(DashboardName=name)["DashboardBody"]) == json.loads(
        _body(name, arn)
    )


def test_the_aws_cli_puts_a_board_from_a_file(site: tuple[Server, str], tmp_path: Path) -> None:
    assert AWS_CLI.is_file(), "run `make clients` (the AWS CLI v1 venv)"
    server, arn = site
    board = tmp_path / "ops.json"
    board.write_text(_body("ops_board", arn))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.admin["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": server.admin["SecretAccessKey"],
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}  # fmt: skip
    done = subprocess.run([str(AWS_CLI), "--endpoint-url", server.url, "--output", "json",
                           "cloudwatch", "put-dashboard", "--dashboard-name", "from-cli",
                           "--dashboard-body", f"file://{board}"],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"DashboardValidationMessages": []}
    got = server.client("cloudwatch").get_dashboard(DashboardName="from-cli")
    assert json.loads(got["DashboardBody"]) == json.loads(board.read_text())


@pytest.fixture(scope="module")
def page(browser: Browser, site: tuple[Server, str]) -> Iterator[Page]:
    server, arn = site
    for name in NAMES:  # whichever test runs first, every board is there
        server.client("cloudwatch").put_dashboard(DashboardName=name,
                                                  DashboardBody=_body(name, arn))  # fmt: skip
    page = browser.new_page(viewport={"width": 1400, "height": 900}, base_url=server.url)
    page.goto("/login")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("header .who")).to_contain_text("dora")
    yield page
    page.close()


@pytest.mark.parametrize("name", NAMES)
def test_every_widget_draws_its_content(page: Page, name: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/dashboards/{name}")
    expect(page.locator("h1")).to_have_text(name)
    widgets = page.locator("section.widget")
    count = len(json.loads((BODIES / f"{name}.json").read_text())["widgets"])
    expect(widgets).to_have_count(count)
    for i in range(count):
        widget = widgets.nth(i)
        assert widget.locator(".widget-error").count() == 0, widget.inner_text()
        drawn = widget.locator("canvas, .drawn")
        expect(drawn.first).to_be_visible()
        if widget.locator("[data-dash-chart]").count():
            expect(widget.locator("canvas").first).to_be_visible()  # uPlot drew it
        else:
            assert widget.locator(".drawn").inner_text().strip(), f"widget {i} is empty"
    assert errors == []


def test_views_show_the_values(page: Page) -> None:
    page.goto("/dashboards/views")
    single = page.locator("section.widget").nth(1)  # setPeriodToTimeRange: the range's sum
    expect(single.locator(".sv-value")).to_have_text(["6,000", "3,000"])
    gauge = page.locator(".gauge")
    expect(gauge).to_have_attribute("aria-valuemax", "500.0")
    assert 201 <= float(gauge.get_attribute("aria-valuenow") or 0) <= 260  # the hour's average
    expect(page.locator(".bar-row")).to_have_count(2)
    style = page.locator(".pie").get_attribute("style") or ""
    assert "conic-gradient" in style and "66.667%" in style  # api: 2/3 of the requests
    expect(page.locator(".widget-metric").last.locator(".legend")).to_contain_text("33.3%")


def test_expressions_and_search_are_drawn(page: Page) -> None:
    page.goto("/dashboards/math")
    legends = page.locator(".u-legend")
    expect(legends.nth(0)).to_contain_text("error rate (%)")
    expect(legends.nth(1)).to_contain_text("all requests")
    expect(legends.nth(3)).to_contain_text("errors api")  # one line per metric SEARCH found
    expect(legends.nth(3)).to_contain_text("errors web")
    expect(legends.nth(3)).to_contain_text("all errors")


def test_the_range_and_period_pickers(page: Page) -> None:
    page.goto("/dashboards/views")
    page.select_option("#dash-range", "1h")
    page.select_option("#dash-period", "5m")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"range=1h&period=5m"))
    single = page.locator("section.widget").nth(1)
    value = single.locator(".sv-value").first.inner_text().replace(",", "")
    assert 5000 <= float(value) <= 6000  # the last hour of one-a-minute data, not 3 h


def test_the_text_log_and_alarm_widgets(page: Page) -> None:
    page.goto("/dashboards/text_log_alarm")
    expect(page.locator(".widget-text .md h3")).to_have_text("Runbook")  # levels under the page's
    expect(page.locator(".widget-text strong")).to_have_text("error rate")
    expect(page.locator(".widget-alarm")).to_contain_text("ApiErrors")
    expect(page.locator(".widget-log tbody tr")).to_have_count(2)  # the ERROR lines only
    expect(page.locator(".widget-log")).to_contain_text("ERROR request 3")


def test_log_widgets_draw_their_stats_as_their_view(page: Page) -> None:
    page.goto("/dashboards/log_views")
    widgets = page.locator("section.widget")
    expect(widgets.nth(0).locator("canvas").first).to_be_visible()  # by bin(5m): a graph
    chart = json.loads(widgets.nth(0).locator("script").text_content() or "{}")
    assert [line["label"] for line in chart["series"]] == ["events"]
    assert sum(v or 0 for v in chart["series"][0]["values"]) == 4  # the 4 events, binned
    expect(widgets.nth(1).locator(".bar-row")).to_have_count(2)
    expect(widgets.nth(1)).to_contain_text("ERROR")
    expect(widgets.nth(2).locator(".legend")).to_contain_text("50.0%")  # 2 ERROR, 2 INFO
    expect(widgets.nth(3).locator("tbody tr")).to_have_count(2)


def test_a_graph_of_an_alarm_draws_its_metric_and_threshold(page: Page) -> None:
    page.goto("/dashboards/alarm_graph")
    charts = [json.loads(page.locator(f"script#w{i}").text_content() or "{}") for i in (1, 2)]
    assert [s["label"] for s in charts[0]["series"]] == ["Errors"]  # the alarm's own metric
    assert sum(v or 0 for v in charts[0]["series"][0]["values"]) > 0
    assert [(a["label"], a["value"]) for a in charts[0]["annotations"]] == [
        ("ApiErrors threshold", 2.0)
    ]
    assert [s["label"] for s in charts[1]["series"]] == ["web errors", "Errors"]
    assert [a["label"] for a in charts[1]["annotations"]] == ["warning", "ApiErrors threshold"]


# -- what PutDashboard refuses, and what it stores with a warning --------------------------------
@pytest.mark.parametrize(("body", "says"), [
    ("{not json", "The field DashboardBody must be a valid JSON object"),
    ('{"start": "-PT3H"}', 'a JSON object with a "widgets" list'),
    ('{"widgets": [{"type": "graph"}]}', "/widgets/0/type: Should be one of"),
    ('{"widgets": [{"type": "text", "x": 20, "width": 8, "properties": {"markdown": "x"}}]}',
     "/widgets/0/width: x + width should be at most 24"),
    ('{"widgets": [{"type": "metric", "height": 0, "properties": {}}]}',
     "/widgets/0/height: Should be an integer from 1 to 1000"),
])  # fmt: skip
def test_put_dashboard_refuses_a_broken_body(
    site: tuple[Server, str], body: str, says: str
) -> None:
    with pytest.raises(ClientError) as caught:
        site[0].client("cloudwatch").put_dashboard(DashboardName="broken", DashboardBody=body)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterInput" and says in error["Message"]


@pytest.mark.parametrize(("widget", "path", "says"), [
    ({"type": "explorer", "properties": {"metrics": []}}, "/widgets/0",
     "Vigil does not draw explorer widgets"),
    ({"type": "metric", "properties": {"metrics": [[{"expression": "SERVICE_QUOTA(m1)",
                                                     "id": "e1"}]]}},
     "/widgets/0/properties/metrics/0", "SERVICE_QUOTA is not supported by Vigil"),
    ({"type": "metric", "properties": {"metrics": [[{"expression": "m1 +", "id": "e1"}]]}},
     "/widgets/0/properties/metrics/0", "cannot read the expression"),
    ({"type": "metric", "properties": {"view": "heatmap", "metrics": [["A", "B"]]}},
     "/widgets/0", "view 'heatmap' is not one of"),
    ({"type": "metric", "properties": {"metrics": [["...", "x"]]}}, "/widgets/0",
     '"..." repeats more than the row before holds'),
])  # fmt: skip
def test_what_vigil_cannot_draw_is_stored_with_a_warning(
    site: tuple[Server, str], widget: dict[str, Any], path: str, says: str
) -> None:
    cw = site[0].client("cloudwatch")
    body = json.dumps({"widgets": [widget]})
    [message] = cw.put_dashboard(DashboardName="warned", DashboardBody=body)[
        "DashboardValidationMessages"
    ]
    assert message["DataPath"] == path and says in message["Message"]
    assert cw.get_dashboard(DashboardName="warned")["DashboardBody"] == body
