"""The exception tree. Every error Vigil raises on purpose derives from VigilError, carries a
`hint` (what to do next) and, where it has one, its location as data (`path`, `line`,
`column`), which the message also shows (`rules.yaml:3:7: …`).

```
VigilError
├── ConfigError          settings or arguments that cannot work
├── FormatError          input not in the expected format (path, line, column)
│   ├── InputError       a user's file: not UTF-8, binary, bad YAML/JSON, wrong shape
│   │   └── TooLarge     past a size cap (vigil.inputs)
│   └── ContentError     a content unit: a metadata field, a case (vigil.content.kit)
├── SourceError          a file, directory or S3 prefix that cannot be listed or read
├── QueryError           SQL refused or failing (the engine's errors become this)
├── BusyError            a limit on work at once reached: try again later
├── LakeError            the lake's files or its manifest
├── PatternError         a filter pattern or Insights query that does not parse (column)
├── ConflictError        the thing exists but its state does not allow this
├── AwsApiError          an error in an AWS API's own shape: `code`, HTTP `status`, `sender`
│   ├── LogsError        CloudWatch Logs (logs)
│   ├── DashboardError   CloudWatch dashboards (metrics)
│   ├── BusError         EventBridge buses, archives, replays (events)
│   ├── DeliveryFailed   a target refused or failed; `code` is EventBridge's DLQ error code
│   ├── HubError         Security Hub insights and findings updates (api.hub)
│   └── the AWS shell's  protocol and parameter errors (shells.http.aws)
├── AuthError            a key, token or session refused (access)
├── TooDeep              JSON nested past the depth cap; also a json.JSONDecodeError (inputs)
└── the stages' own      UnitError, SigmaRejected, Unsupported, UnmappedField (detect);
                         MetricError, MathError, DashboardDataError, AlarmError (metrics);
                         RuleError, ScheduleError, PatternInvalid, EventError, Refused
                         (events); AsffInvalid, FilterInvalid,
                         InsightInvalid, InsightMissing (findings); PlanError (playbooks);
                         SignIn, Refusal (shells)
```

`tests/errors/test_tree.py` checks that every exception class under `src/vigil` derives from
VigilError and is named here.
"""

from __future__ import annotations


class VigilError(Exception):
    """Root of Vigil's errors; `hint` tells the user what to do next."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.hint = hint
        self.path = path
        self.line = line
        self.column = column
        where = location(path, line, column)
        super().__init__(f"{where}: {message}" if where else message)


def location(path: str | None, line: int | None, column: int | None) -> str:
    """`file:3:7`, `file:3`, `line 3`, or nothing."""
    where = path or ""
    if line is not None:
        where = f"{where}:{line}" if where else f"line {line}"
        if column is not None:
            where += f":{column}"
    return where


class ConflictError(VigilError):
    """The thing exists but is not in a state that allows this (applied already, not approved)."""


class ConfigError(VigilError):
    """Settings or arguments that cannot work."""


class FormatError(VigilError):
    """Input that does not follow the expected format; says where."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, path=source, line=line, column=column)

    @property
    def source(self) -> str | None:
        return self.path


class SourceError(VigilError):
    """A source (file, directory, S3 prefix) that cannot be listed or read."""


class QueryError(VigilError):
    """A query that is refused or fails."""


class BusyError(VigilError):
    """Too much is running at once (queries, requests): the same call may succeed later."""


class LakeError(VigilError):
    """A problem with the lake's files or its manifest."""


class PatternError(VigilError):
    """A filter pattern (or query) that does not parse; says at which column."""

    def __init__(
        self,
        message: str,
        *,
        column: int,
        text: str,
        hint: str | None = None,
        kind: str = "filter pattern",
    ) -> None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        super().__init__(
            f"{kind} {shown!r}, column {column}: {message}", hint=hint or _HINTS.get(kind)
        )
        self.column = column
        self.text = text


_HINTS = {
    "filter pattern": 'terms: ERROR -DEBUG · JSON: { $.status >= 500 && $.method = "POST" } · '
    "space-delimited: [ip, user, ..., status=4*, bytes>1000]",
    "Insights query": "commands joined by |: fields, filter, stats … by, sort, limit, parse, "
    "display, dedup",
}


class AwsApiError(VigilError):
    """An error in the shape an AWS API gives it: `code` is AWS's exception name (or the error
    code EventBridge writes into a dead letter), `status` the HTTP status, `sender` whether the
    caller was at fault (the Query protocol's `<Type>Sender</Type>`)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        sender: bool = True,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status
        self.sender = sender
