"""CloudWatch Logs tagging: TagResource / UntagResource / ListTagsForResource on a log group's
ARN, and the older TagLogGroup / UntagLogGroup / ListTagsLogGroup on its name."""

from __future__ import annotations

from typing import Any

from vigil.api import Settings, logs
from vigil.shells.http.aws import AwsApiError, Caller, need
from vigil.shells.http.aws.logs_paging import text


def _group(c: Caller, p: dict[str, Any]) -> str:
    arn = str(text(p, "resourceArn", required=True))
    region, account, group = logs.group_of_arn(arn)
    if account != c.account or region != c.region:  # another account's or Region's group
        here = f"this endpoint holds account {c.account} in {c.region}"
        raise AwsApiError("ResourceNotFoundException",
                       f"The specified resource does not exist: {arn} ({here})")  # fmt: skip
    return group


def _keys(p: dict[str, Any], name: str) -> list[str]:
    keys = need(p, name)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise AwsApiError("InvalidParameterException", f"{name} is a list of tag keys")
    return keys


def tag_resource(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.tag_group(s, _group(c, p), need(p, "tags"))
    return {}


def untag_resource(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.untag_group(s, _group(c, p), _keys(p, "tagKeys"))
    return {}


def list_tags_for_resource(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return {"tags": logs.group_tags(s, _group(c, p))}


def tag_log_group(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.tag_group(s, str(text(p, "logGroupName", required=True)), need(p, "tags"),
                       too_many="InvalidParameterException")  # fmt: skip
    return {}


def untag_log_group(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.untag_group(s, str(text(p, "logGroupName", required=True)), _keys(p, "tags"))
    return {}


def list_tags_log_group(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return {"tags": logs.group_tags(s, str(text(p, "logGroupName", required=True)))}
