"""The Markdown of CloudWatch text widgets, drawn safely: every character is escaped first,
then headings, lists, bold, inline code and links (http, https and relative only)."""

import html
import re
from typing import Final

from markupsafe import Markup

LINK: Final = re.compile(r"\[([^\]]+)\]\(((?:https?://|/)[^)\s]*)\)")


def _inline(text: str) -> str:
    out = html.escape(text, quote=True)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return LINK.sub(r'<a href="\2">\1</a>', out)


def to_html(markdown: str) -> Markup:
    blocks: list[str] = []
    items: list[str] = []
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith(("- ", "* ")):
            items.append(f"<li>{_inline(stripped[2:])}</li>")
            continue
        if items:
            blocks.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if not stripped:
            continue
        heading = re.match(r"(#{1,6})\s+(.*)", stripped)
        if heading:
            level = min(6, len(heading.group(1)) + 2)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        else:
            blocks.append(f"<p>{_inline(stripped)}</p>")
    if items:
        blocks.append("<ul>" + "".join(items) + "</ul>")
    return Markup("".join(blocks))
