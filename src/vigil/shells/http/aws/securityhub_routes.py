"""Security Hub's REST routing: every operation's method and path, read from botocore's model,
so a request for one Vigil does not serve is answered UnknownOperationException in Security
Hub's error shape, never a bare 404. A path's parameters (an insight's ARN) and the query
string reach the handler through `PATH_PARAMS`: the router names only the operation, and the
handler runs in a copy of the request's context (starlette's thread pool copies it)."""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import cache

from starlette.requests import Request

PATH_PARAMS: ContextVar[dict[str, str]] = ContextVar("securityhub_path_params")


@cache
def routes() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(method, operation, path pattern) of every Security Hub operation, the more literal
    paths first (`/insights/results/{InsightArn+}` before `/insights/{InsightArn+}`)."""
    from vigil.shells.http.aws.protocol import model

    service = model("securityhub")
    found = []
    for name in service.operation_names:
        http = service.operation_model(name).http
        path = str(http["requestUri"]).split("?", 1)[0]
        regex = "".join(
            re.escape(part) if i % 2 == 0 else _param(part)
            for i, part in enumerate(re.split(r"\{([^}]+)\}", path))
        )
        literal = len(re.sub(r"\{[^}]*\}", "", path))
        found.append((literal, str(http["method"]), name, re.compile(regex)))
    found.sort(key=lambda r: -r[0])
    return tuple((method, name, regex) for _, method, name, regex in found)


def _param(label: str) -> str:
    """`Name+` (greedy: slashes too) or `Name` as a named group."""
    if label.endswith("+"):
        return f"(?P<{label[:-1]}>.+)"
    return f"(?P<{label}>[^/]+)"


def paths() -> list[str]:
    """Every Security Hub path as a route template of the app (`{InsightArn:path}`)."""
    from vigil.shells.http.aws.protocol import model

    service = model("securityhub")
    found = {
        re.sub(
            r"\{(\w+)\+\}", r"{\1:path}", str(service.operation_model(n).http["requestUri"])
        ).split("?", 1)[0]
        for n in service.operation_names
    }
    return sorted(found)


def operation_of(request: Request) -> str | None:
    """The Security Hub operation a request's method and path name; its path parameters and
    query string go into PATH_PARAMS."""
    path = request.url.path.rstrip("/") or "/"
    for method, name, regex in routes():
        m = regex.fullmatch(path) if method == request.method else None
        if m:
            PATH_PARAMS.set({**dict(request.query_params), **m.groupdict()})
            return name
    return None


def path_params() -> dict[str, str]:
    return PATH_PARAMS.get({})
