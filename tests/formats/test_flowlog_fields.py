from __future__ import annotations

import pytest

from vigil.errors import FormatError
from vigil.formats.flowlog_fields import (
    DEFAULT_FORMAT,
    FIELDS,
    header_fields,
    lake_schema,
    parse_format,
    record_version,
)


def test_catalogue_has_every_field_of_versions_2_to_8_and_no_version_6() -> None:
    """VPC flow logs have versions 2-5, 7, 8; version 6 is Transit Gateway's own field set."""
    vpc = [f for f in FIELDS if f[1] != 6]
    assert {ver for _, ver, _ in vpc} == {2, 3, 4, 5, 7, 8}
    assert len(vpc) == 40
    tgw = [name for name, ver, _ in FIELDS if ver == 6]
    assert len(tgw) == 18 and tgw[:3] == ["resource-type", "tgw-id", "tgw-attachment-id"]
    assert DEFAULT_FORMAT[0] == "version" and DEFAULT_FORMAT[-1] == "log-status"
    assert len(DEFAULT_FORMAT) == 14


def test_athena_column_names_replace_hyphens() -> None:
    names = lake_schema().names
    for column in ("account_id", "interface_id", "log_status", "pkt_srcaddr", "tcp_flags",
                   "flow_direction", "pkt_dst_aws_service", "reject_reason"):  # fmt: skip
        assert column in names


def test_parse_format_accepts_terraform_escaping() -> None:
    assert parse_format("$${version} ${account-id}") == ("version", "account-id")


@pytest.mark.parametrize(
    ("fmt", "problem"),
    [("", "empty"), ("${version} account-id", "token 2"), ("${version} ${version}", "repeats")],
)
def test_parse_format_errors_say_what_is_wrong(fmt: str, problem: str) -> None:
    with pytest.raises(FormatError, match=problem):
        parse_format(fmt)


def test_record_version_is_the_highest_field_version() -> None:
    assert record_version(DEFAULT_FORMAT) == 2
    assert record_version(("version", "vpc-id", "region")) == 4  # v2 + v3 + v4 fields → 4
    assert record_version(("interface-id", "flow-direction")) == 5
    assert record_version(("reject-reason",)) == 8


def test_header_line_detection() -> None:
    assert header_fields(" ".join(DEFAULT_FORMAT)) == DEFAULT_FORMAT
    assert header_fields("2 123456789010 eni-1 - - - - - - - 1 2 - NODATA") is None
    assert header_fields("hello world") is None  # names, but none a flow-log field
    assert header_fields("version resource-id") == ("version", "resource-id")
