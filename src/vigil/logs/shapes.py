"""RE2 expressions for the shape of a space-delimited event, so SQL can decide most events
without tokenising them (`pattern_sql`).

The tokeniser (`pattern_match.TOKENS`, `\\[[^\\]]*\\]|"[^"]*"|[^ ]+` applied left to right) makes
one split of a message: a `[` opens a token up to the next `]`, a `"` up to the next `"`, and
anything else runs to the next space. A bare token is therefore always followed by a space or
the end; a bracketed or quoted one may touch the next token.

`loose(tree)` is a necessary condition: the message splits into as many tokens as the pattern
has fields (at least as many with an open end); a field compared `=` to text has a token of
that text, bare or wrapped; a field compared `<`, `<=`, `>`, `>=` to a number has a numeric
token. The tokeniser's split is one such split, so every match passes; a message that passes by
another split is decided by the exact test on its tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from vigil.logs import pattern as p

BARE_END: Final = "(?: +|$)"
TOKEN: Final = r'(?:\[[^\]]*\] *|"[^"]*" *|[^ ]+' + BARE_END + ")"


STRICT_TOKEN: Final = r'(?:\[[^\]]*\] *|"[^"]*" *|[^ \["][^ ]*' + BARE_END + ")"
_WRAPPERS: Final = '["'


def _own(tree: p.Spaced, i: int, f: p.Field) -> p.Expr | None:
    """The field's condition when it tests this field's own token (the last field with a name
    is the one its conditions read)."""
    last = {g.name: k for k, g in enumerate(tree.fields)}
    if f.expr is None or last[f.name] != i:
        return None
    return f.expr if _names(f.expr) == {f.name} else None


def _names(expr: p.Expr) -> set[str]:
    if isinstance(expr, p.Both | p.Either):
        return set().union(*(_names(e) for e in expr.items))
    return {expr.selector.text}


def _shape(tree: p.Spaced, token: str, field: Callable[[p.Expr], str | None]) -> str:
    parts = []
    for i, f in enumerate(tree.fields):
        expr = _own(tree, i, f)
        parts.append((field(expr) if expr is not None else None) or token)
    n = len(tree.before)
    middle = f"{token}*" if tree.open_end else ""
    return f"^ *{''.join(parts[:n])}{middle}{''.join(parts[n:])}$"


def loose(tree: p.Spaced) -> str:
    return _shape(tree, TOKEN, _token_like)


def selective(tree: p.Spaced) -> bool:
    """Whether `loose` can rule anything out beyond "enough tokens": an exact count, or a
    condition it encodes. (Counting alone costs a pass and rarely rules out an event.)"""
    return not tree.open_end or loose(tree) != _shape(tree, TOKEN, lambda e: None)


def strict(tree: p.Spaced) -> tuple[str, str | None]:
    """The strict shape, and the strict shape with the conditions when every condition is one
    the expression decides exactly (`=` text on the field's own token, or `||` of those), else
    None. A message that fits the strict shape has the tokeniser's split, so for it the second
    expression is the whole test."""
    shape = _shape(tree, STRICT_TOKEN, lambda e: None)
    exact = [f.expr is None or _own(tree, i, f) is not None for i, f in enumerate(tree.fields)]
    if not all(exact):
        return shape, None
    tested = _shape(tree, STRICT_TOKEN, _strict_like)
    decided = all(f.expr is None or _strict_like(f.expr) is not None for f in tree.fields)
    return shape, tested if decided else None


def _glob(pieces: list[str], any_char: str) -> str:
    return f"{any_char}*".join(re2_escape(piece) for piece in pieces)


def _pieces(value: p.Text) -> list[str]:
    return value.text.split("*") if value.glob else [value.text]


def _token_like(expr: p.Expr) -> str | None:
    """A token whose unwrapped text could satisfy `expr` (None: any token)."""
    if isinstance(expr, p.Either):
        items = [_token_like(e) for e in expr.items]
        return None if None in items else "(?:" + "|".join(str(i) for i in items) + ")"
    if not isinstance(expr, p.Compare):
        return None
    if isinstance(expr.value, p.Number) and expr.op in ("<", "<=", ">", ">="):
        number = p.NUMBER.pattern  # ordered comparisons are false on text
        return f'(?:\\[{number}\\] *|"{number}" *|{number}{BARE_END})'
    if not (expr.op == "=" and isinstance(expr.value, p.Text)):
        return None
    pieces = _pieces(expr.value)
    bracketed = r"\[" + _glob(pieces, r"[^\]]") + r"\] *"
    quoted = '"' + _glob(pieces, '[^"]') + '" *'
    return f"(?:{bracketed}|{quoted}|{_glob(pieces, '[^ ]')}{BARE_END})"


def _strict_like(expr: p.Expr) -> str | None:
    """A strict token whose unwrapped text satisfies `expr` exactly (None: not expressible).
    Each form keeps the token's extent: no `]` inside a bracketed one, no `"` inside a quoted
    one, no space in a bare one that does not start with a wrapper."""
    if isinstance(expr, p.Either):
        items = [_strict_like(e) for e in expr.items]
        return None if None in items else "(?:" + "|".join(str(i) for i in items) + ")"
    if not (isinstance(expr, p.Compare) and expr.op == "=" and isinstance(expr.value, p.Text)):
        return None
    pieces = _pieces(expr.value)
    text = "".join(pieces)
    forms = []
    if "]" not in text:
        forms.append(r"\[" + _glob(pieces, r"[^\]]") + r"\] *")
    if '"' not in text:
        forms.append('"' + _glob(pieces, '[^"]') + '" *')
    if " " not in text and (bare := _bare(pieces)):
        forms.append(f"(?:{bare}){BARE_END}")
    return "(?:" + "|".join(forms) + ")" if forms else r"\b\B"  # no token can: never


def _bare(pieces: list[str]) -> str | None:
    """Non-empty bare tokens (no space, not starting with `[` or `"`) matching the glob."""
    first, rest = pieces[0], pieces[1:]
    if not rest:
        return None if not first or first[0] in _WRAPPERS else re2_escape(first)
    if first:
        return None if first[0] in _WRAPPERS else re2_escape(first) + "[^ ]*" + _glob(rest, "[^ ]")
    consumed = r'[^ \["][^ ]*' + _glob(rest, "[^ ]")  # the leading `*` takes a character
    empty = _bare(rest)  # or none
    return consumed if empty is None else f"{consumed}|{empty}"


def re2_escape(text: str) -> str:
    """Literal text for RE2: ASCII punctuation backslashed, other non-word characters as
    `\\x{..}` (RE2 refuses a backslash before a space or a control character)."""
    out = []
    for ch in text:
        if ch.isalnum() or ch == "_":
            out.append(ch)
        elif "!" <= ch <= "~":
            out.append("\\" + ch)
        else:
            out.append(f"\\x{{{ord(ch):x}}}")
    return "".join(out)
