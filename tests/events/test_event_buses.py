"""Custom event buses, archives and replays on a real `vigil serve`, driven by boto3 and the
AWS CLI as users would: a rule sees only its own bus's events, an archive keeps what its
pattern matches, a replay sends the archived events again to a real webhook with
`replay-name`, and bad requests get EventBridge's error codes."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers import Endpoint, vigil, wait_for
from serving import Server, serving

AWS = Path(__file__).parents[2] / ".venv-awscli" / "bin" / "aws"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("buses") / "home") as running:
        yield running


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _wait(check: Any, seconds: float = 20) -> Any:
    return wait_for(check, seconds, 0.2)


def _entry(source: str, detail: dict[str, Any], bus: str | None = None) -> dict[str, Any]:
    entry = {"Source": source, "DetailType": "Order", "Detail": json.dumps(detail)}
    return {**entry, "EventBusName": bus} if bus else entry


def _bodies(hook: Endpoint) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in hook.requests]


def test_buses_create_describe_list_delete(server: Server) -> None:
    events = server.client("events")
    made = events.create_event_bus(Name="orders", Description="shop orders",
                                   Tags=[{"Key": "team", "Value": "shop"}])  # fmt: skip
    assert made["EventBusArn"] == "arn:aws:events:eu-west-1:000000000000:event-bus/orders"
    assert made["Description"] == "shop orders"
    by_name = events.describe_event_bus(Name="orders")
    by_arn = events.describe_event_bus(Name=made["EventBusArn"])
    assert by_name == {**by_arn, "ResponseMetadata": by_name["ResponseMetadata"]}
    assert by_name["Name"] == "orders" and by_name["Description"] == "shop orders"
    assert by_name["CreationTime"] <= by_name["LastModifiedTime"]
    assert abs(by_name["CreationTime"].timestamp() - time.time()) < 60
    assert events.describe_event_bus()["Name"] == "default"  # no name: the default bus
    updated = events.update_event_bus(Name="orders", Description="every order")
    assert (updated["Name"], updated["Description"]) == ("orders", "every order")
    after = events.describe_event_bus(Name="orders")
    assert after["LastModifiedTime"] >= by_name["LastModifiedTime"]
    assert after["CreationTime"] == by_name["CreationTime"]
    events.update_event_bus(Description="Vigil's own events")  # the default bus
    assert events.describe_event_bus()["Description"] == "Vigil's own events"
    with pytest.raises(ClientError) as kms:
        events.update_event_bus(Name="orders", KmsKeyIdentifier="alias/mine")
    assert _code(kms) == "ValidationException"

    events.create_event_bus(Name="orders-eu")
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert {"default", "orders", "orders-eu"} <= set(names)
    prefixed = events.list_event_buses(NamePrefix="orders", Limit=1)
    assert [b["Name"] for b in prefixed["EventBuses"]] == ["orders"]
    rest = events.list_event_buses(NamePrefix="orders", NextToken=prefixed["NextToken"])
    assert [b["Name"] for b in rest["EventBuses"]] == ["orders-eu"] and "NextToken" not in rest

    for name, code in (("default", "ResourceAlreadyExistsException"),
                       ("orders", "ResourceAlreadyExistsException"),
                       ("has space", "ValidationException"),
                       ("aws.mine", "ValidationException")):  # fmt: skip
        with pytest.raises(ClientError) as refused:
            events.create_event_bus(Name=name)
        assert _code(refused) == code, name
    with pytest.raises(ClientError) as missing:
        events.describe_event_bus(Name="nope")
    assert _code(missing) == "ResourceNotFoundException" and "nope" in str(missing.value)
    with pytest.raises(ClientError) as default:
        events.delete_event_bus(Name="default")
    assert _code(default) == "ValidationException"

    # deleting a bus deletes its rules (EventBridge's user guide)
    events.put_rule(Name="eu", EventPattern='{"source": ["shop"]}', EventBusName="orders-eu")
    events.delete_event_bus(Name="orders-eu")
    events.delete_event_bus(Name="orders-eu")  # not there: no error, as EventBridge answers
    with pytest.raises(ClientError) as gone:
        events.list_rules(EventBusName="orders-eu")
    assert _code(gone) == "ResourceNotFoundException"
    assert "orders-eu" not in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    viewer = server.client("events", server.viewer)
    with pytest.raises(ClientError) as denied:
        viewer.create_event_bus(Name="mine")
    assert _code(denied) == "AccessDeniedException"


def test_a_rule_sees_only_its_own_bus(server: Server, hook: Endpoint) -> None:
    events = server.client("events")
    bus_arn = events.create_event_bus(Name="payments")["EventBusArn"]
    pattern = json.dumps({"source": ["pay"]})
    custom = events.put_rule(Name="pay", EventPattern=pattern, EventBusName=bus_arn)
    assert custom["RuleArn"].endswith(":rule/payments/pay")
    default = events.put_rule(Name="pay", EventPattern=pattern)  # same name, other bus
    assert default["RuleArn"].endswith(":rule/pay")
    events.put_targets(Rule="pay", EventBusName="payments",
                       Targets=[{"Id": "h", "Arn": hook.url + "/custom"}])  # fmt: skip
    events.put_targets(Rule="pay", Targets=[{"Id": "h", "Arn": hook.url + "/default"}])

    described = events.describe_rule(Name="pay", EventBusName="payments")
    assert described["EventBusName"] == "payments" and described["Arn"] == custom["RuleArn"]
    assert events.describe_rule(Name="pay")["EventBusName"] == "default"
    listed = events.list_rules(EventBusName="payments")["Rules"]
    assert [(r["Name"], r["EventBusName"]) for r in listed] == [("pay", "payments")]
    targets = events.list_targets_by_rule(Rule="pay", EventBusName="payments")["Targets"]
    assert targets[0]["Arn"] == hook.url + "/custom"
    named = events.list_rule_names_by_target(TargetArn=hook.url + "/custom",
                                             EventBusName="payments")  # fmt: skip
    assert named["RuleNames"] == ["pay"]
    assert events.list_rule_names_by_target(TargetArn=hook.url + "/custom")["RuleNames"] == []

    reply = events.put_events(Entries=[
        _entry("pay", {"n": "on-custom"}, "payments"),
        _entry("pay", {"n": "on-custom-by-arn"}, bus_arn),
        _entry("pay", {"n": "on-default"}),
        _entry("pay", {"n": "lost"}, "no-such-bus"),
    ])  # fmt: skip
    assert reply["FailedEntryCount"] == 1
    assert reply["Entries"][3]["ErrorCode"] == "ResourceNotFoundException"
    assert "no-such-bus" in reply["Entries"][3]["ErrorMessage"]
    _wait(lambda: len(hook.requests) >= 3)
    time.sleep(1.5)  # a wrong delivery would have arrived by now
    assert sorted(b["detail"]["n"] for b in _bodies(hook)) == [
        "on-custom", "on-custom-by-arn", "on-default"
    ]  # fmt: skip
    audit = json.loads(vigil(server.home, "events", "audit", "--json").stdout)["audit"]
    names = {e["EventId"]: n for e, n in zip(reply["Entries"], "ccdx", strict=True)
             if "EventId" in e}  # fmt: skip
    routed = {(a["rule"], names[a["event_id"]]) for a in audit
              if a["result"] == "delivered" and a["event_id"] in names}  # fmt: skip
    assert routed == {("payments/pay", "c"), ("pay", "d")}

    # disabling the custom bus's rule leaves the default bus's alone
    events.disable_rule(Name="pay", EventBusName="payments")
    assert events.describe_rule(Name="pay", EventBusName="payments")["State"] == "DISABLED"
    assert events.describe_rule(Name="pay")["State"] == "ENABLED"
    with pytest.raises(ClientError) as unknown:
        events.describe_rule(Name="pay", EventBusName="no-such-bus")
    assert _code(unknown) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as sched:
        events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)", EventBusName="payments")
    assert _code(sched) == "ValidationException"
    events.remove_targets(Rule="pay", EventBusName="payments", Ids=["h"])
    events.delete_rule(Name="pay", EventBusName="payments")
    assert events.list_rules(EventBusName="payments")["Rules"] == []
    assert [r["Name"] for r in events.list_rules(NamePrefix="pay")["Rules"]] == ["pay"]


def _archive_count(events: Any, name: str, count: int) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        described: dict[str, Any] = events.describe_archive(ArchiveName=name)
        return described if described["EventCount"] == count else None

    return _wait(check) or events.describe_archive(ArchiveName=name)


def test_archive_keeps_what_its_pattern_matches_and_a_replay_resends_it(
    server: Server, hook: Endpoint
) -> None:
    events = server.client("events")
    bus_arn = events.create_event_bus(Name="audit")["EventBusArn"]
    made = events.create_archive(ArchiveName="big", EventSourceArn=bus_arn, RetentionDays=3,
                                 EventPattern=json.dumps({"detail": {"amount": [
                                     {"numeric": [">=", 100]}]}}),
                                 Description="big orders")  # fmt: skip
    assert made["ArchiveArn"].endswith(":archive/big") and made["State"] == "ENABLED"
    every = events.create_archive(ArchiveName="every", EventSourceArn=bus_arn)
    assert every["State"] == "ENABLED"
    began = datetime.now(UTC) - timedelta(seconds=2)
    events.put_events(Entries=[_entry("shop", {"amount": a}, "audit") for a in (150, 5, 300)])
    events.put_events(Entries=[_entry("shop", {"amount": 999})])  # the default bus: not archived
    big = _archive_count(events, "big", 2)
    assert big["EventCount"] == 2 and big["SizeBytes"] > 200 and big["RetentionDays"] == 3
    assert big["EventSourceArn"] == bus_arn and big["Description"] == "big orders"
    assert json.loads(big["EventPattern"]) == {"detail": {"amount": [{"numeric": [">=", 100]}]}}
    assert _archive_count(events, "every", 3)["EventCount"] == 3
    listed = events.list_archives(EventSourceArn=bus_arn)["Archives"]
    assert [(a["ArchiveName"], a["EventCount"]) for a in listed] == [("big", 2), ("every", 3)]
    assert [a["ArchiveName"] for a in events.list_archives(NamePrefix="ev")["Archives"]] == [
        "every"
    ]
    events.update_archive(ArchiveName="every", RetentionDays=7, Description="all of it")
    assert events.describe_archive(ArchiveName="every")["RetentionDays"] == 7

    # a rule made after the events, on the bus, receives them only through a replay
    pattern = json.dumps({"source": ["shop"]})
    rule = events.put_rule(Name="late", EventPattern=pattern, EventBusName="audit")["RuleArn"]
    other = events.put_rule(Name="other", EventPattern=pattern, EventBusName="audit")["RuleArn"]
    events.put_targets(Rule="late", EventBusName="audit", Targets=[{"Id": "h", "Arn": hook.url}])
    events.put_targets(Rule="other", EventBusName="audit",
                       Targets=[{"Id": "h", "Arn": hook.url + "/other"}])  # fmt: skip
    ended = datetime.now(UTC)
    started = events.start_replay(ReplayName="again", EventSourceArn=made["ArchiveArn"],
                                  EventStartTime=began, EventEndTime=ended,
                                  Destination={"Arn": bus_arn, "FilterArns": [rule]})  # fmt: skip
    assert started["State"] == "STARTING" and started["ReplayArn"].endswith(":replay/again")
    got = _wait(lambda: len(hook.requests) >= 2 and hook.requests)
    time.sleep(1.5)
    bodies = _bodies(hook)
    assert len(got) == 2 and len(bodies) == 2  # the filter left rule "other" out
    assert sorted(b["detail"]["amount"] for b in bodies) == [150, 300]
    assert {b["replay-name"] for b in bodies} == {"again"}
    done = _wait(lambda: events.describe_replay(ReplayName="again")["State"] == "COMPLETED")
    assert done
    described = events.describe_replay(ReplayName="again")
    assert described["Destination"] == {"Arn": bus_arn, "FilterArns": [rule]}
    assert described["EventSourceArn"] == made["ArchiveArn"]
    assert described["EventLastReplayedTime"] >= began.replace(microsecond=0)
    assert described["ReplayEndTime"] >= described["ReplayStartTime"]
    assert [r["ReplayName"] for r in events.list_replays(State="COMPLETED")["Replays"]] == ["again"]
    with pytest.raises(ClientError) as over:
        events.cancel_replay(ReplayName="again")
    assert _code(over) == "IllegalStatusException"
    # replayed events are never archived again
    time.sleep(1.5)
    assert events.describe_archive(ArchiveName="every")["EventCount"] == 3

    # without a filter every rule on the bus gets the replay; its events carry the new name
    hook.requests.clear()
    events.start_replay(ReplayName="all-rules", EventSourceArn=made["ArchiveArn"],
                        EventStartTime=began, EventEndTime=ended,
                        Destination={"Arn": bus_arn})  # fmt: skip
    got = _wait(lambda: len(hook.requests) >= 4 and hook.requests)
    assert len(got) == 4 and {b["replay-name"] for b in _bodies(hook)} == {"all-rules"}
    assert other.endswith(":rule/audit/other")


def test_archive_and_replay_refusals(server: Server) -> None:
    events = server.client("events")
    bus_arn = events.create_event_bus(Name="refusals")["EventBusArn"]
    events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn)
    archive_arn = events.describe_archive(ArchiveName="kept")["ArchiveArn"]
    now = datetime.now(UTC)
    cases: list[tuple[str, Any]] = [
        ("ResourceAlreadyExistsException",
         lambda: events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn)),
        ("ResourceNotFoundException", lambda: events.create_archive(
            ArchiveName="x", EventSourceArn=bus_arn.replace("refusals", "nope"))),
        ("InvalidEventPatternException", lambda: events.create_archive(
            ArchiveName="x", EventSourceArn=bus_arn, EventPattern='{"source": "shop"}')),
        ("ResourceNotFoundException", lambda: events.describe_archive(ArchiveName="nope")),
        ("ResourceNotFoundException", lambda: events.delete_archive(ArchiveName="nope")),
        ("InvalidEventPatternException", lambda: events.update_archive(
            ArchiveName="kept", EventPattern="{not json")),
        ("ResourceNotFoundException", lambda: events.start_replay(
            ReplayName="r", EventSourceArn=archive_arn.replace("kept", "nope"),
            EventStartTime=now - timedelta(hours=1), EventEndTime=now,
            Destination={"Arn": bus_arn})),
        ("ValidationException", lambda: events.start_replay(
            ReplayName="r", EventSourceArn=archive_arn, EventStartTime=now,
            EventEndTime=now - timedelta(hours=1), Destination={"Arn": bus_arn})),
        ("ValidationException", lambda: events.start_replay(
            ReplayName="r", EventSourceArn=archive_arn, EventStartTime=now - timedelta(hours=1),
            EventEndTime=now, Destination={"Arn": bus_arn.replace("refusals", "default")})),
        ("ResourceNotFoundException", lambda: events.start_replay(
            ReplayName="r", EventSourceArn=archive_arn, EventStartTime=now - timedelta(hours=1),
            EventEndTime=now, Destination={"Arn": bus_arn, "FilterArns": [
                "arn:aws:events:eu-west-1:000000000000:rule/refusals/none"]})),
        ("ValidationException", lambda: events.create_archive(
            ArchiveName="has space", EventSourceArn=bus_arn)),
        ("ValidationException", lambda: events.start_replay(
            ReplayName="no/slash", EventSourceArn=archive_arn,
            EventStartTime=now - timedelta(hours=1), EventEndTime=now,
            Destination={"Arn": bus_arn})),
        ("ResourceNotFoundException", lambda: events.describe_replay(ReplayName="nope")),
        ("ResourceNotFoundException", lambda: events.cancel_replay(ReplayName="nope")),
    ]  # fmt: skip
    for code, call in cases:
        with pytest.raises(ClientError) as refused:
            call()
        assert _code(refused) == code
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    events.start_replay(ReplayName="dup", EventSourceArn=archive_arn,
                        EventStartTime=now - timedelta(hours=1), EventEndTime=now,
                        Destination={"Arn": bus_arn})  # fmt: skip
    with pytest.raises(ClientError) as twice:
        events.start_replay(ReplayName="dup", EventSourceArn=archive_arn,
                            EventStartTime=now - timedelta(hours=1), EventEndTime=now,
                            Destination={"Arn": bus_arn})  # fmt: skip
    assert _code(twice) == "ResourceAlreadyExistsException"
    events.delete_archive(ArchiveName="kept")
    assert "kept" not in [a["ArchiveName"] for a in events.list_archives()["Archives"]]


def _aws(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    assert AWS.is_file(), "run `make clients` (the AWS CLI v1 venv)"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.admin["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": server.admin["SecretAccessKey"],
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}  # fmt: skip
    return subprocess.run([str(AWS), "--endpoint-url", server.url, "--output", "json", *args],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip


def test_the_aws_cli_and_vigil_cli_on_buses_and_archives(server: Server) -> None:
    made = _aws(server, "events", "create-event-bus", "--name", "cli-bus")
    assert made.returncode == 0, made.stderr
    arn = json.loads(made.stdout)["EventBusArn"]
    put = _aws(server, "events", "put-events", "--entries", json.dumps([
        {"Source": "cli", "DetailType": "t", "Detail": "{}", "EventBusName": "cli-bus"}]))  # fmt: skip
    assert put.returncode == 0 and json.loads(put.stdout)["FailedEntryCount"] == 0
    archived = _aws(server, "events", "create-archive", "--archive-name", "cli-archive",
                    "--event-source-arn", arn)  # fmt: skip
    assert archived.returncode == 0, archived.stderr
    listed = _aws(server, "events", "list-event-buses", "--name-prefix", "cli")
    assert [b["Name"] for b in json.loads(listed.stdout)["EventBuses"]] == ["cli-bus"]
    missing = _aws(server, "events", "describe-archive", "--archive-name", "nope")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr

    # the Vigil CLI on the same home
    buses = json.loads(vigil(server.home, "events", "buses", "list", "--json").stdout)
    assert "cli-bus" in [b["Name"] for b in buses["buses"]]
    created = vigil(server.home, "events", "buses", "create", "from-cli", "--json")
    assert created.returncode == 0 and json.loads(created.stdout)["Name"] == "from-cli"
    archives = json.loads(vigil(server.home, "events", "archives", "list", "--json").stdout)
    assert "cli-archive" in [a["ArchiveName"] for a in archives["archives"]]
    bad = vigil(server.home, "events", "archives", "create", "x", "--bus", "nope")
    assert bad.returncode != 0 and "nope does not exist" in bad.stderr
    outside = vigil(server.home, "events", "rules", "delete", "r", "--bus", "..")
    assert outside.returncode != 0 and "event bus '..'" in outside.stderr
    deleted = vigil(server.home, "events", "buses", "delete", "from-cli", "--json")
    assert deleted.returncode == 0 and json.loads(deleted.stdout)["Name"] == "from-cli"


def test_a_replay_recorded_while_the_server_was_down_runs_when_it_starts(tmp_path: Path) -> None:
    """The worker runs every replay the state holds as STARTING or RUNNING: one a stop
    interrupted continues from its last batch, one started with the CLI runs at start."""
    from serving import start

    receiver = Endpoint()
    home = tmp_path / "home"
    try:
        with serving(home) as running:
            events = running.client("events")
            bus_arn = events.create_event_bus(Name="late")["EventBusArn"]
            events.create_archive(ArchiveName="late-all", EventSourceArn=bus_arn)
            events.create_archive(ArchiveName="doomed", EventSourceArn=bus_arn)
            events.put_rule(Name="r", EventPattern='{"source": ["shop"]}', EventBusName="late")
            events.put_events(Entries=[_entry("shop", {"n": n}, "late") for n in range(5)])
            assert _archive_count(events, "late-all", 5)["EventCount"] == 5
            events.put_targets(Rule="r", EventBusName="late",
                               Targets=[{"Id": "h", "Arn": receiver.url}])  # fmt: skip
        # the server is stopped (killed): a replay is recorded with the CLI
        started = vigil(home, "events", "replays", "start", "after-stop", "--archive",
                        "late-all", "--start", "1h", "--rule", "r", "--json")  # fmt: skip
        assert started.returncode == 0, started.stderr
        assert json.loads(started.stdout)["State"] == "STARTING"
        doomed = vigil(home, "events", "replays", "start", "doomed", "--archive", "doomed",
                       "--start", "1h")  # fmt: skip
        assert doomed.returncode == 0, doomed.stderr
        assert vigil(home, "events", "archives", "delete", "doomed").returncode == 0
        assert vigil(home, "events", "replays", "start", "stopped", "--archive", "late-all",
                     "--start", "1h").returncode == 0  # fmt: skip
        cancel = vigil(home, "events", "replays", "cancel", "stopped", "--json")
        assert json.loads(cancel.stdout)["State"] == "CANCELLING"
        proc, _ = start(home)
        try:

            def state(name: str = "after-stop") -> str:
                done = vigil(home, "events", "replays", "describe", name, "--json")
                return str(json.loads(done.stdout)["State"])

            assert _wait(lambda: state() == "COMPLETED")
            assert _wait(lambda: state("doomed") == "FAILED")
            assert _wait(lambda: state("stopped") == "CANCELLED")
            failed = vigil(home, "events", "replays", "describe", "doomed", "--json")
            assert json.loads(failed.stdout)["StateReason"] == "Archive doomed no longer exists."
            _wait(lambda: len(receiver.requests) >= 5)
            bodies = _bodies(receiver)
            assert sorted(b["detail"]["n"] for b in bodies) == [0, 1, 2, 3, 4]
            assert {b["replay-name"] for b in bodies} == {"after-stop"}
            listed = json.loads(vigil(home, "events", "replays", "list", "--json").stdout)
            assert [r["ReplayName"] for r in listed["replays"]] == ["after-stop", "doomed",
                                                                    "stopped"]  # fmt: skip
            over = vigil(home, "events", "replays", "cancel", "after-stop")
            assert over.returncode != 0 and "cannot be cancelled" in over.stderr
        finally:
            proc.kill()
            proc.wait()
    finally:
        receiver.close()


def test_a_subscription_filter_puts_onto_the_bus_it_names(server: Server, hook: Endpoint) -> None:
    events, logs = server.client("events"), server.logs()
    bus_arn = events.create_event_bus(Name="app-logs")["EventBusArn"]
    events.put_rule(Name="errors", EventBusName="app-logs",
                    EventPattern=json.dumps({"source": ["aws.logs"]}))  # fmt: skip
    events.put_targets(Rule="errors", EventBusName="app-logs",
                       Targets=[{"Id": "h", "Arn": hook.url}])  # fmt: skip
    logs.create_log_group(logGroupName="sub/app")
    logs.create_log_stream(logGroupName="sub/app", logStreamName="s")
    logs.put_subscription_filter(logGroupName="sub/app", filterName="err", filterPattern="ERROR",
                                 destinationArn=bus_arn)  # fmt: skip
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="sub/app", logStreamName="s", logEvents=[
        {"timestamp": now, "message": "ERROR disk full"},
        {"timestamp": now + 1, "message": "INFO fine"}])  # fmt: skip
    [body] = _wait(lambda: _bodies(hook))
    assert body["detail-type"] == "CloudWatch Logs Subscription Data"
    assert [e["message"] for e in body["detail"]["logEvents"]] == ["ERROR disk full"]


def test_an_archive_prunes_what_is_past_its_retention(server: Server) -> None:
    events = server.client("events")
    bus_arn = events.create_event_bus(Name="retained")["EventBusArn"]
    events.create_archive(ArchiveName="one-day", EventSourceArn=bus_arn, RetentionDays=1)
    events.create_archive(ArchiveName="for-ever", EventSourceArn=bus_arn)
    old = datetime.now(UTC) - timedelta(days=3)
    put = events.put_events(Entries=[{**_entry("shop", {"age": "old"}, "retained"), "Time": old},
                                     _entry("shop", {"age": "new"}, "retained")])  # fmt: skip
    assert put["FailedEntryCount"] == 0
    assert _archive_count(events, "for-ever", 2)["EventCount"] == 2
    kept = _archive_count(events, "one-day", 1)
    assert kept["EventCount"] == 1 and kept["RetentionDays"] == 1
