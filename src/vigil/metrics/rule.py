"""A composite alarm's `AlarmRule` (spec §14.6): `ALARM(x)`, `OK(x)`, `INSUFFICIENT_DATA(x)`
where `x` is an alarm name or ARN, quoted or bare; `TRUE`, `FALSE`; `NOT`, `AND`, `OR` and
parentheses. Precedence is NOT, then AND, then OR (AWS does not document it: parentheses say
what is meant). Pure: text in, a tree out; the tree evaluates over a lookup of states.

Errors read as CloudWatch's: `Error in AlarmRule [Unsupported token ')' at char 1]`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from vigil.errors import VigilError

MAX_LENGTH: Final = 10_240
MAX_CHILDREN: Final = 100
MAX_ELEMENTS: Final = 500
STATES: Final = ("ALARM", "OK", "INSUFFICIENT_DATA")


class RuleError(VigilError):
    """An AlarmRule CloudWatch refuses (its code: ValidationError)."""

    code = "ValidationError"


@dataclass(frozen=True)
class Term:
    """`ALARM(name)`: true while the alarm `name` is in `state`."""

    state: str
    name: str
    ref: str = ""  # as written: the name, or an ARN


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Op:
    kind: str  # AND | OR
    operands: tuple[Node, ...]


Node = Term | Const | Not | Op


def alarm_name(ref: str) -> str:
    """The name an ARN (`arn:aws:cloudwatch:R:A:alarm:NAME`) or a name refers to."""
    if ref.startswith("arn:"):
        parts = ref.split(":", 6)
        if len(parts) == 7 and parts[2] == "cloudwatch" and parts[5] == "alarm":
            return parts[6]
    return ref


def parse(text: str) -> Node:
    if not 1 <= len(text) <= MAX_LENGTH:
        raise RuleError(f"Error in AlarmRule [the rule has 1 to {MAX_LENGTH} characters, "
                        f"not {len(text)}]")  # fmt: skip
    parser = _Parser(text)
    node = parser.rule()
    if parser.peek() is not None:
        raise parser.unexpected()
    if parser.elements > MAX_ELEMENTS:
        raise RuleError(f"Error in AlarmRule [{parser.elements} elements; at most "
                        f"{MAX_ELEMENTS} alarms, TRUE/FALSE and parentheses]")  # fmt: skip
    found = children(node)
    if len(found) > MAX_CHILDREN:
        raise RuleError(f"Error in AlarmRule [{len(found)} alarms; at most {MAX_CHILDREN}]")
    return node


def arns(node: Node) -> list[str]:
    """The ARNs the rule names alarms by (to check they are of this account and Region)."""
    if isinstance(node, Term):
        return [node.ref] if node.ref.startswith("arn:") else []
    if isinstance(node, Not):
        return arns(node.operand)
    if isinstance(node, Op):
        return [a for o in node.operands for a in arns(o)]
    return []


def children(node: Node) -> list[str]:
    """The alarm names the rule refers to, in order, once each."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Term) and n.name not in out:
            out.append(n.name)
        elif isinstance(n, Not):
            walk(n.operand)
        elif isinstance(n, Op):
            for o in n.operands:
                walk(o)

    walk(node)
    return out


def holds(node: Node, state_of: Callable[[str], str]) -> bool:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Term):
        return state_of(node.name) == node.state
    if isinstance(node, Not):
        return not holds(node.operand, state_of)
    results = (holds(o, state_of) for o in node.operands)
    return all(results) if node.kind == "AND" else any(results)


class _Parser:
    """Reads tokens as it goes: a bare alarm name may hold any character but `)`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.elements = 0

    def peek(self) -> tuple[int, str, str] | None:
        """The next token (its char, kind and text), not consumed."""
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return None
        if text[pos] in "()":
            return pos, text[pos], text[pos]
        m = re.compile(r"[A-Za-z_]+").match(text, pos)
        if m is None:
            raise RuleError(f"Error in AlarmRule [Unsupported token '{text[pos]}' at char {pos}]")
        return pos, "word", m[0]

    def take(self, token: tuple[int, str, str]) -> None:
        self.pos = token[0] + len(token[2])

    def unexpected(self) -> RuleError:
        token = self.peek()
        if token is None:
            return RuleError("Error in AlarmRule [the rule ends too early]")
        return RuleError(f"Error in AlarmRule [Unsupported token '{token[2]}' at char "
                         f"{token[0]}]")  # fmt: skip

    def word(self, *wanted: str) -> bool:
        token = self.peek()
        if token and token[1] == "word" and token[2].upper() in wanted:
            self.take(token)
            return True
        return False

    def rule(self) -> Node:
        parts = [self.conjunction()]
        while self.word("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Op("OR", tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.unary()]
        while self.word("AND"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Op("AND", tuple(parts))

    def unary(self) -> Node:
        if self.word("NOT"):
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.unexpected()
        if token[1] == "(":
            self.take(token)
            self.elements += 1
            inner = self.rule()
            closing = self.peek()
            if closing is None or closing[1] != ")":
                raise self.unexpected()
            self.take(closing)
            return inner
        if token[1] == "word" and token[2].upper() in ("TRUE", "FALSE"):
            self.take(token)
            self.elements += 1
            return Const(token[2].upper() == "TRUE")
        if token[1] == "word" and token[2] in STATES:
            self.take(token)
            ref = self.argument(token)
            return Term(token[2], alarm_name(ref), ref)
        raise self.unexpected()

    def argument(self, function: tuple[int, str, str]) -> str:
        """`("name")` or `(name)`: a bare name runs to the closing parenthesis."""
        opening = self.peek()
        bad = RuleError(f"Error in AlarmRule [{function[2]} at char {function[0]} takes an "
                        "alarm name or ARN in parentheses]")  # fmt: skip
        if opening is None or opening[1] != "(":
            raise bad
        self.elements += 1
        text, pos = self.text, opening[0] + 1
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text[pos : pos + 1] == '"':
            m = re.compile(r'"((?:[^"\\]|\\.)*)"\s*\)').match(text, pos)
            if m is None:
                raise RuleError(f"Error in AlarmRule [an unclosed quote at char {pos}]")
            name, close = re.sub(r"\\(.)", r"\1", m[1]), m.end() - 1
        else:
            close = text.find(")", pos)
            name = text[pos:close].strip() if close >= 0 else ""
        if close < 0 or not name:
            raise bad
        self.pos = close + 1
        return name


class AlarmError(RuleError):
    """An alarm request CloudWatch refuses; `code` is its error code."""

    def __init__(self, message: str, code: str = "ValidationError") -> None:
        super().__init__(message)
        self.code = code
