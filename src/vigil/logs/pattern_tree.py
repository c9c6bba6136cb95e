"""The tree a filter pattern parses into (`pattern.parse`): terms, JSON conditions and
space-delimited fields, the shared input of the Python matcher and the SQL compiler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Text:
    """A string value; `*` is a wildcard unless quoted as plain text."""

    text: str

    @property
    def glob(self) -> bool:
        return "*" in self.text


@dataclass(frozen=True)
class Number:
    value: float
    text: str  # as written: `=`/`!=` also compare it as text with strings


@dataclass(frozen=True)
class Regex:
    text: str


Value = Text | Number | Regex


@dataclass(frozen=True)
class Selector:
    """`$.a.b[0]` (JSON) or a space-delimited field's name."""

    path: tuple[str | int, ...]
    text: str


@dataclass(frozen=True)
class Compare:
    selector: Selector
    op: str
    value: Value


@dataclass(frozen=True)
class Check:
    """`IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`."""

    selector: Selector
    kind: Literal["null", "true", "false", "missing"]


@dataclass(frozen=True)
class Both:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Either:
    items: tuple[Expr, ...]


Expr = Compare | Check | Both | Either


@dataclass(frozen=True)
class Term:
    text: str
    kind: Literal["all", "any", "none"]  # plain, `?term`, `-term`
    regex: bool = False


@dataclass(frozen=True)
class Terms:
    terms: tuple[Term, ...]  # empty: every event


@dataclass(frozen=True)
class Json:
    expr: Expr


@dataclass(frozen=True)
class Field:
    name: str  # "" for an unnamed field
    expr: Expr | None


@dataclass(frozen=True)
class Spaced:
    before: tuple[Field, ...]  # fields from the start
    after: tuple[Field, ...]  # fields from the end, after `...` (empty without one)
    rest: bool  # a `...` is present

    @property
    def open_end(self) -> bool:
        """More tokens than fields are fine: a `...`, or a last field with no condition."""
        return self.rest or (bool(self.before) and self.before[-1].expr is None)

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.before + self.after


Pattern = Terms | Json | Spaced
