"""Security Hub's hub, insights and UpdateFindings on a real `vigil serve`, driven by boto3 and
the AWS CLI: insights count the findings their filters match by their grouping, managed ones
included; UpdateFindings changes note and record state by filters; an operation Vigil does not
serve is refused in Security Hub's error shape."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from serving import Server, serving

AWS = Path(__file__).parents[2] / ".venv-awscli" / "bin" / "aws"
PRODUCT = "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
MOST_FINDINGS = "arn:aws:securityhub:::insight/securityhub/default/1"
PUBLIC_BUCKETS = "arn:aws:securityhub:::insight/securityhub/default/10"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("hub") / "home") as running:
        yield running


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _asff(ident: str, label: str, resource: str, kind: str, types: list[str]) -> dict[str, Any]:
    at = "2026-12-01T10:00:00.000Z"
    return {"SchemaVersion": "2018-10-08", "Id": ident, "ProductArn": PRODUCT,
            "GeneratorId": "scanner", "AwsAccountId": "111122223333", "Types": types,
            "CreatedAt": at, "UpdatedAt": at, "Severity": {"Label": label},
            "Title": f"finding {ident}", "Description": "found by the scanner",
            "ProductName": "scanner", "Resources": [{"Type": kind, "Id": resource}]}  # fmt: skip


FINDINGS = [
    _asff("f1", "HIGH", "arn:aws:s3:::logs", "AwsS3Bucket", ["Effects/Data Exposure/Public"]),
    _asff("f2", "HIGH", "arn:aws:s3:::logs", "AwsS3Bucket", ["Effects/Data Exposure/ACL"]),
    _asff("f3", "LOW", "arn:aws:s3:::site", "AwsS3Bucket", ["Software and Configuration Checks"]),
    _asff("f4", "HIGH", "i-0abc", "AwsEc2Instance", ["TTPs/Discovery"]),
]


@pytest.fixture(scope="module")
def hub(server: Server) -> Any:
    client = server.client("securityhub")
    assert client.batch_import_findings(Findings=FINDINGS)["SuccessCount"] == len(FINDINGS)
    return client


def _counts(reply: dict[str, Any]) -> dict[str, int]:
    values = reply["InsightResults"]["ResultValues"]
    return {v["GroupByAttributeValue"]: v["Count"] for v in values}


def test_describe_hub(server: Server, hub: Any) -> None:
    described = hub.describe_hub()
    assert described["HubArn"] == "arn:aws:securityhub:eu-west-1:000000000000:hub/default"
    assert datetime.fromisoformat(described["SubscribedAt"].replace("Z", "+00:00")).year >= 2026
    assert described["AutoEnableControls"] is True
    assert described["ControlFindingGenerator"] == "SECURITY_CONTROL"
    assert hub.describe_hub(HubArn=described["HubArn"])["HubArn"] == described["HubArn"]
    with pytest.raises(ClientError) as other:
        hub.describe_hub(HubArn="arn:aws:securityhub:us-east-2:999999999999:hub/default")
    assert _code(other) == "ResourceNotFoundException"


def test_custom_and_managed_insights(server: Server, hub: Any) -> None:
    high = {"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]}
    arn = hub.create_insight(Name="high by resource", Filters=high,
                             GroupByAttribute="ResourceId")["InsightArn"]  # fmt: skip
    assert arn.startswith("arn:aws:securityhub:eu-west-1:000000000000:insight/000000000000/custom/")
    assert _counts(hub.get_insight_results(InsightArn=arn)) == {"arn:aws:s3:::logs": 2,
                                                                "i-0abc": 1}  # fmt: skip
    [listed] = hub.get_insights()["Insights"]  # custom insights only, as Security Hub lists
    assert listed == {"InsightArn": arn, "Name": "high by resource", "Filters": high,
                      "GroupByAttribute": "ResourceId"}  # fmt: skip

    hub.update_insight(InsightArn=arn, GroupByAttribute="ResourceType", Name="high by type")
    assert _counts(hub.get_insight_results(InsightArn=arn)) == {"AwsS3Bucket": 2,
                                                                "AwsEc2Instance": 1}  # fmt: skip
    assert hub.get_insights(InsightArns=[arn])["Insights"][0]["Name"] == "high by type"

    managed = hub.get_insights(InsightArns=[MOST_FINDINGS, PUBLIC_BUCKETS])["Insights"]
    assert [i["GroupByAttribute"] for i in managed] == ["ResourceId", "ResourceId"]
    assert managed[0]["Name"] == "AWS resources with the most findings"
    most = _counts(hub.get_insight_results(InsightArn=MOST_FINDINGS))
    assert most == {"arn:aws:s3:::logs": 2, "arn:aws:s3:::site": 1, "i-0abc": 1}
    assert _counts(hub.get_insight_results(InsightArn=PUBLIC_BUCKETS)) == {"arn:aws:s3:::logs": 2}

    refusals: list[tuple[str, Any]] = [
        ("InvalidInputException", lambda: hub.create_insight(
            Name="x", Filters={}, GroupByAttribute="Colour")),
        ("InvalidInputException", lambda: hub.create_insight(
            Name="x", Filters={"MalwareName": [{"Value": "x", "Comparison": "EQUALS"}]}, GroupByAttribute="ResourceId")),
        ("InvalidInputException", lambda: hub.update_insight(
            InsightArn=MOST_FINDINGS, Name="mine now")),
        ("InvalidInputException", lambda: hub.delete_insight(InsightArn=MOST_FINDINGS)),
        ("ResourceNotFoundException", lambda: hub.get_insight_results(
            InsightArn=arn.rsplit("/", 1)[0] + "/no-such-id")),
    ]  # fmt: skip
    for code, call in refusals:
        with pytest.raises(ClientError) as refused:
            call()
        assert _code(refused) == code
        status = refused.value.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status == (404 if code == "ResourceNotFoundException" else 400)
    viewer = server.client("securityhub", server.viewer)
    assert viewer.get_insight_results(InsightArn=arn)["InsightResults"]["InsightArn"] == arn
    with pytest.raises(ClientError) as denied:
        viewer.create_insight(Name="v", Filters={}, GroupByAttribute="ResourceId")
    assert _code(denied) == "AccessDeniedException"

    assert hub.delete_insight(InsightArn=arn)["InsightArn"] == arn
    assert hub.get_insights()["Insights"] == []
    with pytest.raises(ClientError) as gone:
        hub.get_insights(InsightArns=[arn])
    assert _code(gone) == "ResourceNotFoundException"


def test_update_findings_by_filters(hub: Any) -> None:
    site = {"ResourceId": [{"Value": "arn:aws:s3:::site", "Comparison": "EQUALS"}]}
    hub.update_findings(Filters=site, Note={"Text": "static site, public on purpose",
                                            "UpdatedBy": "ana"}, RecordState="ARCHIVED")  # fmt: skip
    [doc] = hub.get_findings(Filters=site)["Findings"]
    assert doc["RecordState"] == "ARCHIVED" and doc["Note"]["Text"].startswith("static site")
    # archived findings leave the managed insight that counts ACTIVE ones
    assert "arn:aws:s3:::site" not in _counts(hub.get_insight_results(InsightArn=MOST_FINDINGS))
    hub.update_findings(Filters=site, RecordState="ACTIVE")
    assert hub.get_findings(Filters=site)["Findings"][0]["RecordState"] == "ACTIVE"
    for bad in ({"Filters": site}, {"Filters": site, "RecordState": "GONE"},
                {"Filters": site, "Note": {"Text": "   ", "UpdatedBy": "ana"}},
                {"Filters": {"MalwareName": [{"Value": "x", "Comparison": "EQUALS"}]}, "RecordState": "ACTIVE"}):  # fmt: skip
        with pytest.raises(ClientError) as refused:
            hub.update_findings(**bad)
        assert _code(refused) == "InvalidInputException", bad


def test_an_operation_vigil_does_not_serve_is_refused_in_security_hubs_shape(
    server: Server, hub: Any
) -> None:
    for call in (hub.list_members, hub.describe_standards, hub.get_enabled_standards,
                 lambda: hub.describe_action_targets(ActionTargetArns=[])):  # fmt: skip
        with pytest.raises(ClientError) as refused:
            call()
        assert _code(refused) == "UnknownOperationException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert "is not an operation Vigil serves" in refused.value.response["Error"]["Message"]
    raw = httpx.get(server.url + "/members", headers={"Authorization":
                                                      f"Bearer {server.admin_token}"})  # fmt: skip
    assert raw.status_code == 400 and raw.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert raw.json()["__type"] == "UnknownOperationException"


def test_the_aws_cli_reads_the_hub_and_insight_results(server: Server, hub: Any) -> None:
    assert AWS.is_file(), "run `make clients` (the AWS CLI v1 venv)"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.admin["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": server.admin["SecretAccessKey"],
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}  # fmt: skip

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(AWS), "--endpoint-url", server.url, "--output", "json",
                               "securityhub", *args], capture_output=True, text=True, env=env,
                              timeout=60)  # fmt: skip

    described = aws("describe-hub")
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["HubArn"].endswith(":hub/default")
    results = aws("get-insight-results", "--insight-arn", MOST_FINDINGS)
    assert results.returncode == 0, results.stderr
    values = json.loads(results.stdout)["InsightResults"]["ResultValues"]
    assert {"GroupByAttributeValue": "arn:aws:s3:::logs", "Count": 2} in values
    refused = aws("list-members")
    assert refused.returncode != 0 and "UnknownOperationException" in refused.stderr
