"""Log group tags: TagResource / UntagResource / ListTagsForResource on a log group's ARN, the
older TagLogGroup / UntagLogGroup / ListTagsLogGroup on its name, and `tags` on CreateLogGroup.

Keys are 1-128 and values 0-256 characters of Unicode letters, numbers and separators and
`_ . : / = + - @` (the model's patterns); keys starting `aws:` (any case) are AWS's own; a group
holds at most 50 tags.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from vigil.config import Settings
from vigil.logs.groups import LogsError, LogStore

MAX_TAGS: Final = 50
_EXTRA: Final = frozenset("_.:/=+-@")
_ARN: Final = re.compile(r"arn:aws[a-z-]*:logs:([a-z0-9-]*):(\d*):log-group:(.+)")


def _allowed(text: str) -> bool:
    return all(unicodedata.category(c)[0] in "LZN" or c in _EXTRA for c in text)


def check_tags(tags: object, where: str = "tags") -> dict[str, str]:
    """The tags as a str → str map, or AWS's InvalidParameterException saying which is wrong."""
    if not isinstance(tags, dict):
        raise LogsError("InvalidParameterException", f"{where} is a map of key to value")
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not _allowed(key):
            raise LogsError("InvalidParameterException",
                            f"{where}: tag key {key!r} must be 1-128 Unicode letters, numbers, "
                            "spaces or _ . : / = + - @")  # fmt: skip
        if key.lower().startswith("aws:"):
            reserved = f"{where}: tag key {key!r}: the prefix aws: is reserved for AWS"
            raise LogsError("InvalidParameterException", reserved)
        if not isinstance(value, str) or len(value) > 256 or not _allowed(value):
            raise LogsError("InvalidParameterException",
                            f"{where}: the value of tag {key!r} must be 0-256 Unicode letters, "
                            "numbers, spaces or _ . : / = + - @")  # fmt: skip
        out[key] = value
    return out


def group_of_arn(arn: str) -> tuple[str, str, str]:
    """(region, account, log group) of a log group's ARN as the tagging calls take it: without
    the `:*` DescribeLogGroups' `arn` ends with (its `logGroupArn` is the form to pass)."""
    match = _ARN.fullmatch(arn)
    if not match or match.group(3).endswith(":*") or ":log-stream:" in match.group(3):
        raise LogsError("ValidationException", f"Invalid resourceArn: {arn!r}",
                        hint="arn:aws:logs:REGION:ACCOUNT:log-group:NAME, without a "
                        "trailing :* (DescribeLogGroups' logGroupArn)")  # fmt: skip
    return match.group(1), match.group(2), match.group(3)


class TagStore(LogStore):
    """The tags of log groups, in the state store beside their definitions."""

    def tags(self, group: str) -> dict[str, str]:
        self.group(group)
        rows = self.state.db.execute(
            "SELECT key, value FROM log_group_tags WHERE log_group = ? ORDER BY key", (group,)
        ).fetchall()
        return dict(rows)

    def tag(self, group: str, tags: dict[str, str], *, too_many: str) -> None:
        """Add or replace tags; `too_many` is the error code past 50 (TooManyTagsException for
        TagResource, InvalidParameterException for TagLogGroup)."""
        tags = check_tags(tags)
        current = self.tags(group)
        total = len(current.keys() | tags.keys())
        if total > MAX_TAGS:
            raise LogsError(too_many, f"log group {group!r} would have {total} tags; a log "
                            f"group has at most {MAX_TAGS}")  # fmt: skip
        with self.state.transaction() as db:
            db.executemany(
                "INSERT INTO log_group_tags VALUES (?, ?, ?) "
                "ON CONFLICT (log_group, key) DO UPDATE SET value = excluded.value",
                [(group, k, v) for k, v in tags.items()],
            )

    def untag(self, group: str, keys: list[str]) -> None:
        self.group(group)
        with self.state.transaction() as db:
            db.executemany("DELETE FROM log_group_tags WHERE log_group = ? AND key = ?",
                           [(group, k) for k in keys])  # fmt: skip


def group_tags(settings: Settings, group: str) -> dict[str, str]:
    """ListTagsForResource / ListTagsLogGroup."""
    with TagStore(settings) as store:
        return store.tags(group)


def tag_group(
    settings: Settings, group: str, tags: dict[str, str], *, too_many: str = "TooManyTagsException"
) -> None:
    """TagResource / TagLogGroup."""
    with TagStore(settings) as store:
        store.tag(group, tags, too_many=too_many)


def untag_group(settings: Settings, group: str, keys: list[str]) -> None:
    """UntagResource / UntagLogGroup (keys the group does not have are no error)."""
    with TagStore(settings) as store:
        store.untag(group, keys)
