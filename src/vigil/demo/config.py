"""AnyCompany's configuration as saved AWS CLI output (`demo-data/posture/<account>/<region>/`),
with the gaps the course's audit should find: instance A2 has no flow log, production keeps a
single-region trail of its own, development's trail has log file validation off, the CIS alarm
for S3 bucket policy changes is missing, GuardDuty is off in development's Sydney region, and
subnet B's flow-log group never expires."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vigil.demo import scenario as sc
from vigil.metrics.packs import load_pack

REGIONS = ("us-east-1", "ap-southeast-2")
ORG_GROUP = "aws-cloudtrail-logs-anycompany-org"
TOPIC = f"arn:aws:sns:us-east-1:{sc.SECURITY}:security-alerts"
MISSING_ALARM = "CloudWatch.8"
# An old CloudWatch.5 filter, from before StopLogging was added to the benchmark's list: the
# posture check flags the pattern, and replaying the day's events shows the StopLogging it missed.
OLD_TRAIL_FILTER = (
    "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail)}"
)


def _trail(
    name: str,
    account: str,
    *,
    multi: bool,
    validation: bool,
    org: bool = False,
    group: str | None = None,
) -> dict[str, Any]:
    trail = {
        "Name": name,
        "S3BucketName": sc.BUCKET,
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": multi,
        "HomeRegion": "us-east-1",
        "TrailARN": f"arn:aws:cloudtrail:us-east-1:{account}:trail/{name}",
        "LogFileValidationEnabled": validation,
        "HasCustomEventSelectors": False,
        "IsOrganizationTrail": org,
        "KmsKeyId": f"arn:aws:kms:us-east-1:{sc.SECURITY}:key/0a1b2c3d-org-trail",
    }
    if group:
        trail["CloudWatchLogsLogGroupArn"] = f"arn:aws:logs:us-east-1:{account}:log-group:{group}:*"
        trail["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{account}:role/CloudTrail_CloudWatchLogs"
    return trail


def write(root: Path, day: str) -> Path:
    folder = root / "posture"
    org = _trail(sc.TRAIL, sc.SECURITY, multi=True, validation=True, org=True, group=ORG_GROUP)
    prod = _trail("prod-audit", sc.PRODUCTION, multi=False, validation=True)
    dev = _trail("dev-trail", sc.DEVELOPMENT, multi=True, validation=False)
    own = {sc.SECURITY: [org], sc.PRODUCTION: [org, prod], sc.DEVELOPMENT: [org, dev]}
    delivered = f"{day}T23:55:00Z"
    for account in sc.ACCOUNTS:
        for region in REGIONS:
            calls: dict[str, Any] = {}
            trails = [t for t in own[account] if t["IsMultiRegionTrail"] or region == "us-east-1"]
            calls["cloudtrail-describe-trails"] = {"trailList": trails}
            for t in trails:
                calls[f"cloudtrail-get-trail-status--{t['Name']}"] = {
                    "IsLogging": True,
                    "LatestDeliveryTime": delivered,
                    "LatestCloudwatchLogsDeliveryTime": delivered
                    if t.get("CloudWatchLogsLogGroupArn")
                    else None,
                }
                calls[f"cloudtrail-get-insight-selectors--{t['Name']}"] = {
                    "InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]
                    if t.get("IsOrganizationTrail")
                    else []
                }
                calls[f"cloudtrail-get-event-selectors--{t['Name']}"] = {
                    "TrailARN": t["TrailARN"],
                    "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
                }
            networks = [n for n in sc.NETWORKS if n.account == account and n.region == region]
            calls["ec2-describe-vpcs"] = {
                "Vpcs": [{"VpcId": n.vpc_id, "CidrBlock": n.cidr} for n in networks]
            }
            calls["ec2-describe-network-interfaces"] = {
                "NetworkInterfaces": [
                    {
                        "NetworkInterfaceId": i.eni,
                        "SubnetId": i.subnet,
                        "VpcId": n.vpc_id,
                        "PrivateIpAddress": i.ip,
                        "Attachment": {"InstanceId": i.instance_id},
                    }
                    for n in networks
                    for i in n.instances
                ]
            }
            calls["ec2-describe-instances"] = {
                "Reservations": [
                    {
                        "Instances": [
                            {
                                "InstanceId": i.instance_id,
                                "VpcId": n.vpc_id,
                                "SubnetId": i.subnet,
                                "Tags": [{"Key": "Name", "Value": i.name}],
                            }
                            for n in networks
                            for i in n.instances
                        ]
                    }
                ]
            }
            calls["ec2-describe-flow-logs"] = {
                "FlowLogs": [_flow_log(fl) for fl in sc.FLOW_LOGS if fl.network in networks]
            }
            calls["guardduty-list-detectors"] = {
                "DetectorIds": []
                if (account, region) == (sc.DEVELOPMENT, "ap-southeast-2")
                else [f"gd-{account}-{region}"]
            }
            calls["securityhub-describe-hub"] = {
                "HubArn": f"arn:aws:securityhub:{region}:{account}:hub/default"
            }
            if account == sc.SECURITY and region == "us-east-1":
                calls.update(_cis(account))
            groups = (
                [{"logGroupName": ORG_GROUP, "retentionInDays": 365}]
                if account == sc.SECURITY and region == "us-east-1"
                else []
            )
            if account == sc.PRODUCTION and region == "us-east-1":
                groups.append({"logGroupName": "/vpc/flowlogs/subnet-b"})
            calls["logs-describe-log-groups"] = {"logGroups": groups}
            target = folder / account / region
            target.mkdir(parents=True, exist_ok=True)
            for name, value in calls.items():
                (target / f"{name}.json").write_text(json.dumps(value, indent=1))
    bucket = folder / sc.SECURITY / "global"
    bucket.mkdir(parents=True, exist_ok=True)
    for name, value in {
        "s3-get-public-access-block": {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            }
        },
        "s3-get-bucket-logging": {
            "LoggingEnabled": {
                "TargetBucket": "anycompany-access-logs",
                "TargetPrefix": "log-archive/",
            }
        },
        "s3-get-bucket-encryption": {
            "ServerSideEncryptionConfiguration": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
            }
        },
        "s3-get-bucket-lifecycle-configuration": {
            "Rules": [{"ID": "glacier-after-90d", "Status": "Enabled"}]
        },
    }.items():
        (bucket / f"{name}--{sc.BUCKET}.json").write_text(json.dumps(value, indent=1))
    return folder


def _flow_log(fl: sc.FlowLog) -> dict[str, Any]:
    on_vpc = fl.destination in ("s3-hive-hourly", "s3-parquet")
    subnet = {i.subnet for i in fl.network.instances if i.eni in fl.enis}
    resource = fl.network.vpc_id if on_vpc else (fl.enis[0] if len(fl.enis) == 1 else subnet.pop())
    entry = {
        "FlowLogId": fl.flow_log_id,
        "ResourceId": resource,
        "TrafficType": fl.traffic,
        "FlowLogStatus": "ACTIVE",
        "LogDestinationType": "cloud-watch-logs" if fl.destination == "cloudwatch" else "s3",
    }
    if fl.fmt:
        entry["LogFormat"] = fl.fmt
    return entry


def _cis(account: str) -> dict[str, Any]:
    filters, alarms = [], []
    for unit in load_pack("cis"):
        pattern = OLD_TRAIL_FILTER if unit.control == "CloudWatch.5" else unit.pattern
        filters.append(
            {
                "filterName": unit.metric_name,
                "logGroupName": ORG_GROUP,
                "filterPattern": pattern,
                "metricTransformations": [
                    {
                        "metricName": unit.metric_name,
                        "metricNamespace": unit.namespace,
                        "metricValue": "1",
                    }
                ],
            }
        )
        if unit.control != MISSING_ALARM:
            alarms.append(
                {
                    "AlarmName": f"CIS-{unit.metric_name}",
                    "MetricName": unit.metric_name,
                    "Namespace": unit.namespace,
                    "AlarmActions": [TOPIC],
                }
            )
    return {
        "logs-describe-metric-filters": {"metricFilters": filters},
        "cloudwatch-describe-alarms": {"MetricAlarms": alarms},
        "sns-list-subscriptions": {
            "Subscriptions": [
                {"TopicArn": TOPIC, "Protocol": "email", "SubscriptionArn": f"{TOPIC}:soc"}
            ]
        },
    }
