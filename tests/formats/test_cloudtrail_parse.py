from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ct_record, trail_file
from vigil.errors import FormatError
from vigil.formats.cloudtrail import is_digest, parse_cloudtrail


def one(records: list[dict]) -> dict:  # type: ignore[type-arg]
    result = parse_cloudtrail(trail_file(records).encode(), "t.json")
    assert result.rejects == []
    assert result.table.num_rows == len(records)
    return result.table.to_pylist()[0]


def test_console_login_example_maps_to_athena_columns() -> None:
    row = one([ct_record()])
    assert row["eventversion"] == "1.08"
    assert row["useridentity"]["type"] == "IAMUser"
    assert row["useridentity"]["username"] == "dana"
    assert row["eventsource"] == "signin.amazonaws.com"
    assert row["sourceipaddress"] == "198.51.100.23"
    assert row["requestparameters"] is None  # JSON null → NULL
    assert json.loads(row["responseelements"]) == {"ConsoleLogin": "Success"}
    assert json.loads(row["additionaleventdata"])["MFAUsed"] == "No"
    assert row["readonly"] is False and row["managementevent"] is True
    assert row["recipientaccountid"] == "111122223333"
    assert row["event_ts"].isoformat() == "2024-03-01T09:14:03+00:00"


def test_assumed_role_with_session_context() -> None:
    identity = {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:i-0a1",
        "arn": "arn:aws:sts::222222222222:assumed-role/app/i-0a1",
        "accountId": "222222222222",
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::222222222222:role/app",
                              "userName": "app", "accountId": "222222222222", "principalId": "AROA"},
            "attributes": {"creationDate": "2024-03-01T08:00:00Z", "mfaAuthenticated": "false"},
            "ec2RoleDelivery": "2.0",
            "webIdFederationData": {"federatedProvider": "x", "attributes": {"a": 1}},
        },
    }  # fmt: skip
    row = one([ct_record(userIdentity=identity, eventName="GetObject", readOnly=True)])
    ctx = row["useridentity"]["sessioncontext"]
    assert ctx["sessionissuer"]["arn"] == "arn:aws:iam::222222222222:role/app"
    assert ctx["attributes"]["mfaauthenticated"] == "false"
    assert ctx["ec2roledelivery"] == "2.0"
    assert ctx["webidfederationdata"]["attributes"] == [("a", "1")]


def test_root_service_and_error_records() -> None:
    root = ct_record(userIdentity={"type": "Root", "principalId": "111122223333",
                                   "arn": "arn:aws:iam::111122223333:root", "accessKeyId": ""})  # fmt: skip
    service = ct_record(
        userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
        eventName="AssumeRole", eventSource="sts.amazonaws.com", sourceIPAddress="ec2.amazonaws.com",
        resources=[{"ARN": "arn:aws:iam::111122223333:role/app", "accountId": "111122223333",
                    "type": "AWS::IAM::Role"}],
    )  # fmt: skip
    error = ct_record(errorCode="AccessDenied", errorMessage="not authorized", eventID="e-3")
    result = parse_cloudtrail(trail_file([root, service, error]).encode(), "t")
    rows = result.table.to_pylist()
    assert (
        rows[0]["useridentity"]["type"] == "Root" and rows[0]["useridentity"]["accesskeyid"] == ""
    )
    assert rows[1]["useridentity"]["invokedby"] == "ec2.amazonaws.com"
    assert rows[1]["resources"] == [
        {"arn": "arn:aws:iam::111122223333:role/app", "accountid": "111122223333", "type": "AWS::IAM::Role"}
    ]  # fmt: skip
    assert rows[2]["errorcode"] == "AccessDenied"


def test_insights_event_without_identity_and_tolerated_unknown_fields() -> None:
    insight = {"eventVersion": "1.08", "eventTime": "2024-03-01T10:00:00Z", "awsRegion": "us-east-1",
               "eventID": "i-1", "eventType": "AwsCloudTrailInsight", "recipientAccountId": "1",
               "sharedEventID": "s-1", "eventCategory": "Insight", "someFutureField": {"x": 1},
               "insightDetails": {"state": "Start", "eventName": "PutObject"}}  # fmt: skip
    row = one([insight])
    assert row["useridentity"] is None and row["eventname"] is None
    assert json.loads(row["insightdetails"])["state"] == "Start"


def test_booleans_written_as_strings_and_fractional_times() -> None:
    row = one([ct_record(readOnly="true", eventTime="2024-03-01T09:14:03.250Z")])
    assert row["readonly"] is True
    assert row["event_ts"].isoformat() == "2024-03-01T09:14:03.250000+00:00"


def test_cloudwatch_logs_lines_with_and_without_export_timestamps() -> None:
    lines = [json.dumps(ct_record(eventID="a")),
             "2024-03-01T09:19:00.000Z " + json.dumps(ct_record(eventID="b")), ""]  # fmt: skip
    result = parse_cloudtrail("\n".join(lines).encode(), "cw")
    assert result.rejects == []
    assert result.table.column("eventid").to_pylist() == ["a", "b"]


def test_eventbridge_events_one_per_line_single_and_array() -> None:
    event = {"version": "0", "id": "x", "detail-type": "AWS API Call via CloudTrail",
             "source": "aws.cloudtrail", "account": "111122223333", "time": "2024-03-01T09:14:03Z",
             "region": "us-east-1", "resources": [],
             "detail": {k: v for k, v in ct_record(eventName="StopLogging").items() if k != "eventVersion"}}  # fmt: skip
    for data in (json.dumps(event), json.dumps(event, indent=2), json.dumps([event, event])):
        result = parse_cloudtrail(data.encode(), "eb")
        assert result.rejects == []
        assert set(result.table.column("eventname").to_pylist()) == {"StopLogging"}


def test_other_eventbridge_events_are_rejected_with_reason() -> None:
    other = {
        "detail-type": "EC2 Instance State-change Notification",
        "detail": {"state": "running"},
    }
    result = parse_cloudtrail(json.dumps([other]).encode(), "eb")
    assert result.table.num_rows == 0
    assert "not CloudTrail" in result.rejects[0].reason


def test_malformed_json_keeps_records_before_the_break() -> None:
    good = json.dumps(ct_record(eventID="ok-1"))
    data = ('{"Records": [' + good + ",\n" + good.replace("ok-1", "ok-2") + ',\n{"eventVersion": "1.08", "eventTime": ').encode()  # fmt: skip
    result = parse_cloudtrail(data, "broken.json")
    assert result.table.column("eventid").to_pylist() == ["ok-1", "ok-2"]
    assert len(result.rejects) == 1
    assert result.rejects[0].line == 3
    assert "malformed JSON" in result.rejects[0].reason


def test_bad_lines_in_cloudwatch_delivery_are_rejected_with_line_numbers() -> None:
    data = "\n".join([json.dumps(ct_record(eventID="a")), "{not json", json.dumps({"x": 1})])
    result = parse_cloudtrail(data.encode(), "cw")
    assert result.table.num_rows == 1
    assert [(r.line, r.reason.split(":")[0]) for r in result.rejects] == [
        (2, "malformed JSON"), (3, "not a CloudTrail record (no eventVersion, eventTime or @timestamp)")
    ]  # fmt: skip


def test_flow_log_text_given_as_cloudtrail_is_a_clear_error() -> None:
    with pytest.raises(FormatError, match="is it a flow log"):
        parse_cloudtrail(b"2 1 eni-a 1.1.1.1 2.2.2.2 1 2 6 1 1 100 160 ACCEPT OK\n", "f")


def test_digest_files_are_recognised() -> None:
    assert is_digest(b'{"awsAccountId": "1", "digestStartTime": "2024-03-01T00:00:00Z"}')
    assert not is_digest(trail_file([ct_record()]).encode())


def _careful(data: bytes) -> list[dict]:  # type: ignore[type-arg]
    from vigil.formats.cloudtrail import _log_file, to_table

    records, rejects = _log_file(data, "careful")
    assert rejects == []
    return to_table([record for _, record in records]).to_pylist()


def test_fast_path_gives_exactly_what_the_careful_path_gives() -> None:
    from vigil.formats.cloudtrail_fast import fast_tables

    role = {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s", "accessKeyId": "ASIA",
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::1:role/r"},
                               "attributes": {"creationDate": "2024-03-01T08:00:00Z", "mfaAuthenticated": "true"},
                               "ec2RoleDelivery": "2.0"}}  # fmt: skip
    records = [
        ct_record(),
        ct_record(eventID="2", userIdentity=role, requestParameters={"bucketName": "b", "key": "ü/…", "n": 1.50},
                  resources=[{"ARN": "arn:aws:s3:::b/k", "type": "AWS::S3::Object"}], readOnly=True),
        ct_record(eventID="3", userIdentity={"type": "Root", "accessKeyId": ""}, errorCode="AccessDenied",
                  responseElements=None, tlsDetails={"tlsVersion": "TLSv1.3"}, addendum={"reason": "DELIVERY_DELAY"}),
        ct_record(eventID="4", userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
                  requestParameters="a string", additionalEventData=[1, 2], eventTime="2024-03-01T23:59:59Z"),
        {"eventVersion": "1.08", "eventTime": "2024-03-01T10:00:00Z", "eventID": "5", "recipientAccountId": "1",
         "eventCategory": "Insight", "insightDetails": {"state": "Start"}},
    ]  # fmt: skip
    for data in (trail_file(records), json.dumps({"Records": records}, ensure_ascii=False)):
        tables = fast_tables([data.encode(), trail_file(records[:2]).encode()])
        assert tables is not None
        assert tables[0].to_pylist() == _careful(data.encode())
        assert tables[1].num_rows == 2


def test_fast_path_declines_what_it_cannot_read() -> None:
    from vigil.formats.cloudtrail_fast import fast_tables

    pretty = json.dumps({"Records": [ct_record()]}, indent=2).encode()
    web = trail_file([ct_record(userIdentity={"type": "WebIdentityUser", "sessionContext": {
        "webIdFederationData": {"federatedProvider": "cognito", "attributes": {"aud": "x"}}}})]).encode()  # fmt: skip
    assert fast_tables([pretty]) is None
    assert fast_tables([web]) is None
    row = parse_cloudtrail(web, "web").table.to_pylist()[0]  # the careful path keeps it all
    assert row["useridentity"]["sessioncontext"]["webidfederationdata"]["attributes"] == [
        ("aud", "x")
    ]


def test_raw_json_columns_keep_bytes_and_nulls() -> None:
    import msgspec

    from vigil.formats.columnar import raw_array

    values = [
        msgspec.Raw(b'{"a": 1}'),
        msgspec.Raw(b"null"),
        msgspec.Raw(b""),
        msgspec.Raw(b'"null"'),
        msgspec.Raw(b"nope"),
    ]
    assert raw_array(values).to_pylist() == ['{"a": 1}', None, None, '"null"', "nope"]


# Property: for any well-typed records, the fast path and the careful path agree row for row.
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
_IDENTITY = st.fixed_dictionaries(
    {"type": st.sampled_from(["IAMUser", "AssumedRole", "Root", "AWSService"])},
    optional={
        "arn": _TEXT, "accountId": _TEXT, "userName": _TEXT, "invokedBy": _TEXT, "accessKeyId": _TEXT,
        "sessionContext": st.fixed_dictionaries({}, optional={
            "attributes": st.fixed_dictionaries({}, optional={"mfaAuthenticated": st.sampled_from(["true", "false"]), "creationDate": _TEXT}),
            "sessionIssuer": st.fixed_dictionaries({}, optional={"arn": _TEXT, "userName": _TEXT}),
            "ec2RoleDelivery": st.sampled_from(["1.0", "2.0"]),
        }),
    },
)  # fmt: skip
_RECORD = st.fixed_dictionaries(
    {"eventVersion": st.just("1.08"), "eventTime": st.just("2024-03-01T09:14:03Z"), "eventID": _TEXT},
    optional={
        "userIdentity": st.none() | _IDENTITY, "eventSource": _TEXT, "eventName": _TEXT, "awsRegion": _TEXT,
        "sourceIPAddress": _TEXT, "userAgent": _TEXT, "errorCode": _TEXT, "requestParameters": _JSON,
        "responseElements": _JSON, "additionalEventData": _JSON, "readOnly": st.booleans(),
        "resources": st.none() | st.lists(st.fixed_dictionaries({}, optional={"ARN": _TEXT, "type": _TEXT}), max_size=3),
        "tlsDetails": st.fixed_dictionaries({}, optional={"tlsVersion": _TEXT}), "managementEvent": st.booleans(),
    },
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(_RECORD, min_size=1, max_size=6), st.booleans())
def test_property_fast_and_careful_paths_agree(records: list[dict], ascii_only: bool) -> None:  # type: ignore[type-arg]
    from vigil.formats.cloudtrail_fast import fast_tables

    data = json.dumps({"Records": records}, ensure_ascii=ascii_only).encode()
    tables = fast_tables([data])
    assert tables is not None
    assert tables[0].to_pylist() == _careful(data)


def logstash(record: dict, **extra: object) -> dict:  # type: ignore[type-arg]
    """A record as Logstash's CloudTrail codec and Elastic's exports write it: eventTime moved
    to @timestamp (with milliseconds), @version beside it."""
    out = {k: v for k, v in record.items() if k != "eventTime"}
    return {"@timestamp": "2024-03-01T09:14:03.000Z", "@version": "1", **out, **extra}


def test_logstash_exports_take_at_timestamp_as_the_event_time_and_say_so() -> None:
    neither = logstash(ct_record(eventID="ls-4"))
    del neither["@timestamp"]
    lines = [
        json.dumps(logstash(ct_record(eventID="ls-1"))),
        json.dumps(logstash(ct_record(eventID="ls-2"), **{"@timestamp": "2024-03-01T09:15:00Z"})),
        json.dumps(ct_record(eventID="ls-3")),  # its own eventTime wins
        json.dumps(neither),  # never filed in 1970
    ]
    result = parse_cloudtrail("\n".join(lines).encode(), "logstash.ndjson")
    rows = {r["eventid"]: r["event_ts"].isoformat() for r in result.table.to_pylist()}
    assert rows == {"ls-1": "2024-03-01T09:14:03+00:00", "ls-2": "2024-03-01T09:15:00+00:00",
                    "ls-3": "2024-03-01T09:14:03+00:00"}  # fmt: skip
    assert [(r.line, r.reason) for r in result.rejects] == [(4, "no eventTime")]
    assert result.notices == [
        "logstash.ndjson: 2 record(s) without eventTime took their @timestamp as the event time "
        "(a Logstash or Elastic export)"
    ]
    in_a_log_file = parse_cloudtrail(trail_file([logstash(ct_record())]).encode(), "t.json")
    assert in_a_log_file.table.num_rows == 1 and in_a_log_file.notices
