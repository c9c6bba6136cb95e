"""The exception tree. Every error Vigil raises on purpose derives from VigilError."""

from __future__ import annotations


class VigilError(Exception):
    """Root of Vigil's errors; `hint` tells the user what to do next."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class ConfigError(VigilError):
    """Settings or arguments that cannot work."""


class FormatError(VigilError):
    """Input that does not follow the expected log format."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = source or ""
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.source = source
        self.line = line


class SourceError(VigilError):
    """A source (file, directory, S3 prefix) that cannot be listed or read."""


class QueryError(VigilError):
    """A query that is refused or fails."""


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
