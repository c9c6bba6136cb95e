"""The console's Jinja filters: one way to print a time (ISO 8601, UTC, to the second), long
identifiers that break at their separators, and finding text as sanitised Markdown."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

SEPARATORS: Final = re.compile(r"([:/])")
LINK_SCHEMES: Final = ("http://", "https://", "mailto:")
LOG_TIME_FIELDS: Final = ("@timestamp", "@ingestionTime")  # Insights' own, as text
EPOCH_MS_FROM: Final = 10**11  # a number above this is milliseconds (1973 in ms, 5138 in s)


def iso(value: Any) -> str:
    """Epoch seconds or milliseconds, a datetime or an ISO 8601 text, as
    `2026-12-07T01:02:03Z`; an empty value as an empty text, anything else as it came."""
    if value is None or value == "":
        return ""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_epoch(float(value))
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{9,14}(\.\d+)?", text):
            moment = _from_epoch(float(text))
        else:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return value
    if moment is None:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cell(value: Any, column: str = "") -> Any:
    """A query result's value: a time (a timestamp column, or a Logs `@timestamp`) printed as
    every console time is; anything else as it came, None as nothing."""
    if value is None:
        return ""
    if isinstance(value, datetime) or (column in LOG_TIME_FIELDS and isinstance(value, str)):
        return iso(value)
    return value


def _from_epoch(number: float) -> datetime | None:
    seconds = number / 1000 if abs(number) >= EPOCH_MS_FROM else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def wbr(value: Any) -> Markup:
    """A finding type or an ARN that may break after each `:` and `/` (and nowhere else)."""
    if value is None:
        return Markup("")
    return Markup("<wbr>").join(escape(part) for part in _after_separators(str(value)))


def _after_separators(text: str) -> list[str]:
    parts = SEPARATORS.split(text)  # ["arn", ":", "aws", ":", ...]
    out: list[str] = []
    for part in parts:
        if part in (":", "/") and out:
            out[-1] += part
        elif part:
            out.append(part)
    return out


def markdown(value: Any) -> Markup:
    """A finding's description or remediation as Markdown: raw HTML is shown as text, links
    go only to http(s) and mailto (opening elsewhere without the referrer), no images."""
    if value is None or str(value).strip() == "":
        return Markup("")
    return Markup(_renderer().render(str(value)))


@cache
def _renderer() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")
    md.validateLink = lambda url: url.strip().lower().startswith(LINK_SCHEMES)  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    return md
