"""The CloudWatch Logs Insights query language: tokens, a tree, a parser and a formatter.

Commands are joined by `|` (or start a new line); `#` starts a comment. The tree is plain data:
`compile` turns it into DuckDB SQL, `unparse` back into query text (the round-trip tests hold
`parse(unparse(q)) == q`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from vigil.errors import PatternError

KIND: Final = "Insights query"
COMMANDS: Final = ("fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup")
_TOKEN: Final = re.compile(
    r"""(?P<space>\s+)|(?P<comment>\#[^\n]*)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<regex>/(?:[^/\\\n]|\\.)+/)
    |(?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?[A-Za-z]*)
    |(?P<name>`[^`]+`|[@A-Za-z_][@A-Za-z0-9_.\-]*(?:\.\*)?)
    |(?P<op>=~|!=|<=|>=|[=<>+\-*/^%(),\[\]|])""",
    re.VERBOSE,
)
_WORDS: Final = {"and", "or", "not", "in", "like", "as", "by", "asc", "desc"}
_PRECEDENCE: Final = {"or": 1, "and": 2, "=": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
                      "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "^": 7}  # fmt: skip


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    at: int


# -- expressions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lit:
    value: str | float
    regex: bool = False


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary:
    op: str  # "not" | "-"
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str  # arithmetic, comparison, and/or, like, not like, =~, in, not in
    left: Expr
    right: Expr | tuple[Expr, ...]


Expr = Lit | Ref | Call | Unary | Binary


@dataclass(frozen=True)
class Named:
    expr: Expr
    alias: str | None = None


# -- commands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fields:
    items: tuple[Named, ...]


@dataclass(frozen=True)
class Filter:
    expr: Expr


@dataclass(frozen=True)
class Stats:
    aggregates: tuple[Named, ...]
    by: tuple[Named, ...]


@dataclass(frozen=True)
class Sort:
    keys: tuple[tuple[Expr, bool], ...]  # (expression, descending)


@dataclass(frozen=True)
class Limit:
    count: int


@dataclass(frozen=True)
class Parse:
    field: Expr
    pattern: str  # a glob with * captures, or a regex with (?<name>…) groups
    regex: bool
    names: tuple[str, ...]


@dataclass(frozen=True)
class Display:
    fields: tuple[Expr, ...]


@dataclass(frozen=True)
class Dedup:
    fields: tuple[Expr, ...]


Command = Fields | Filter | Stats | Sort | Limit | Parse | Display | Dedup


def tokenize(text: str) -> list[Tok]:
    out, i = [], 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        if not match:
            raise PatternError(
                f"unexpected character {text[i]!r}", column=i + 1, text=text, kind=KIND
            )
        kind = match.lastgroup or ""
        if kind not in ("space", "comment"):
            value = match.group(0)
            if kind == "name" and value.lower() in _WORDS:
                kind, value = "word", value.lower()
            out.append(Tok(kind, value, i))
        elif kind == "space" and "\n" in match.group(0):
            out.append(Tok("newline", "\n", i))
        i = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def fail(self, message: str, hint: str | None = None) -> PatternError:
        at = self.toks[self.i].at if self.i < len(self.toks) else len(self.text)
        return PatternError(message, column=at + 1, text=self.text, hint=hint, kind=KIND)

    def peek(self, *texts: str) -> bool:
        return self.i < len(self.toks) and (not texts or self.toks[self.i].text in texts)

    def take(self, *texts: str) -> Tok | None:
        if self.peek(*texts):
            self.i += 1
            return self.toks[self.i - 1]
        return None

    def need(self, text: str, what: str) -> Tok:
        tok = self.take(text)
        if tok is None:
            raise self.fail(f"expected {what}")
        return tok

    def skip_newlines(self) -> None:
        while self.i < len(self.toks) and self.toks[self.i].kind == "newline":
            self.i += 1

    def query(self) -> list[Command]:
        commands: list[Command] = []
        self.skip_newlines()
        while self.i < len(self.toks):
            commands.append(self.command())
            self.skip_newlines()
            if self.take("|"):
                self.skip_newlines()
            elif self.i < len(self.toks) and self.toks[self.i - 1].kind != "newline":
                raise self.fail("expected | before the next command")
        if not commands:
            hint = "for example: fields @timestamp, @message | limit 20"
            raise PatternError("the query is empty", column=1, text=self.text, kind=KIND, hint=hint)
        return commands

    def command(self) -> Command:
        tok = self.take()
        name = tok.text.lower() if tok else ""
        if name not in COMMANDS:
            self.i -= 1
            raise self.fail(f"unknown command {tok.text if tok else ''!r}",
                            "commands: " + ", ".join(COMMANDS))  # fmt: skip
        if name == "fields":
            return Fields(self.named_list())
        if name == "filter":
            return Filter(self.expr())
        if name == "stats":
            aggregates = self.named_list()
            by = self.named_list() if self.take("by") else ()
            return Stats(aggregates, by)
        if name == "sort":
            keys = [self.sort_key()]
            while self.take(","):
                keys.append(self.sort_key())
            return Sort(tuple(keys))
        if name == "limit":
            tok = self.take()
            if tok is None or tok.kind != "number" or not tok.text.isdigit() or len(tok.text) > 9:
                raise self.fail("limit takes a whole number (at most 999,999,999)")
            return Limit(int(tok.text))
        if name == "parse":
            return self.parse_command()
        fields = [self.expr()]
        while self.take(","):
            fields.append(self.expr())
        return Display(tuple(fields)) if name == "display" else Dedup(tuple(fields))

    def sort_key(self) -> tuple[Expr, bool]:
        expr = self.expr()
        if self.take("desc"):
            return expr, True
        self.take("asc")
        return expr, False

    def parse_command(self) -> Parse:
        field: Expr = Ref("@message")
        if not (self.peek() and self.toks[self.i].kind in ("string", "regex")):
            field = self.primary()
        tok = self.take()
        if tok is None or tok.kind not in ("string", "regex"):
            raise self.fail('parse takes a glob "… * …" or a regular expression /…/')
        if tok.kind == "regex":
            body = tok.text[1:-1]
            names = tuple(re.findall(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>", body))
            if not names:
                raise self.fail("the regular expression has no named group (?<name>…)")
            return Parse(field, body, True, names)
        glob = _unquote(tok.text)
        self.need("as", "as and the names of the * captures")
        captures = [self.name()]
        while self.take(","):
            captures.append(self.name())
        names = tuple(captures)
        if glob.count("*") != len(names):
            raise self.fail(f"the glob has {glob.count('*')} * but {len(names)} names follow as")
        return Parse(field, glob, False, names)

    def name(self) -> str:
        tok = self.take()
        if tok is None or tok.kind not in ("name", "word"):
            raise self.fail("expected a field name")
        return tok.text.strip("`")

    def named_list(self) -> tuple[Named, ...]:
        items = [self.named()]
        while self.take(","):
            items.append(self.named())
        return tuple(items)

    def named(self) -> Named:
        expr = self.expr()
        return Named(expr, self.name() if self.take("as") else None)

    # precedence climbing
    def expr(self, level: int = 1) -> Expr:
        left = self.unary(level)
        while True:
            tok = self.toks[self.i] if self.i < len(self.toks) else None
            if tok is None:
                return left
            op = tok.text
            ahead = self.toks[self.i + 1].text if self.i + 1 < len(self.toks) else ""
            if op == "not" and ahead in ("in", "like"):
                if level > 4:
                    return left
                self.i += 2
                right_op = "not " + self.toks[self.i - 1].text
                left = self.suffix(left, right_op)
                continue
            if op in ("in", "like", "=~"):
                if level > 4:
                    return left
                self.i += 1
                left = self.suffix(left, op)
                continue
            prec = _PRECEDENCE.get(op)
            if prec is None or prec < level or tok.kind not in ("op", "word"):
                return left
            self.i += 1
            right = self.expr(prec + (0 if op == "^" else 1))
            left = Binary(op, left, right)

    def suffix(self, left: Expr, op: str) -> Expr:
        if op.endswith("in"):
            self.need("[", "[ after in")
            items = [self.expr()] if not self.peek("]") else []
            while self.take(","):
                items.append(self.expr())
            self.need("]", "] to close the list")
            return Binary(op, left, tuple(items))
        return Binary(op, left, self.primary())

    def unary(self, level: int) -> Expr:
        if self.take("not"):
            return Unary("not", self.expr(3))
        if self.take("-"):
            return Unary("-", self.unary(7))
        return self.primary()

    def primary(self) -> Expr:
        tok = self.take()
        if tok is None:
            raise self.fail("expected a value or a field")
        if tok.text == "(":
            inner = self.expr()
            self.need(")", ") to close the group")
            return inner
        if tok.kind == "string":
            return Lit(_unquote(tok.text))
        if tok.kind == "regex":
            return Lit(tok.text[1:-1], regex=True)
        if tok.kind == "number":
            if tok.text[-1].isalpha():
                return Lit(tok.text)  # a period, as bin(5m) takes
            return Lit(float(tok.text))
        if tok.kind == "name":
            if self.take("("):
                args: list[Expr] = []
                if not self.peek(")"):
                    args.append(Ref("*") if self.take("*") else self.expr())
                    while self.take(","):
                        args.append(self.expr())
                self.need(")", ") to close the call")
                return Call(tok.text, tuple(args))
            return Ref(tok.text.strip("`"))
        self.i -= 1
        raise self.fail(f"unexpected {tok.text!r}")


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse(text: str) -> list[Command]:
    return _Parser(text).query()


# -- formatting back to text ---------------------------------------------------------------------
def unparse(commands: list[Command]) -> str:
    return " | ".join(_command(c) for c in commands)


def _command(c: Command) -> str:
    if isinstance(c, Fields):
        return "fields " + ", ".join(_named(n) for n in c.items)
    if isinstance(c, Filter):
        return "filter " + expr_text(c.expr)
    if isinstance(c, Stats):
        by = (" by " + ", ".join(_named(n) for n in c.by)) if c.by else ""
        return "stats " + ", ".join(_named(n) for n in c.aggregates) + by
    if isinstance(c, Sort):
        return "sort " + ", ".join(expr_text(e) + (" desc" if d else " asc") for e, d in c.keys)
    if isinstance(c, Limit):
        return f"limit {c.count}"
    if isinstance(c, Parse):
        target = expr_text(c.field)
        if c.regex:
            return f"parse {target} /{c.pattern}/"
        return f"parse {target} {_quote(c.pattern)} as " + ", ".join(c.names)
    if isinstance(c, Display):
        return "display " + ", ".join(expr_text(e) for e in c.fields)
    return "dedup " + ", ".join(expr_text(e) for e in c.fields)


def _named(n: Named) -> str:
    return expr_text(n.expr) + (f" as {n.alias}" if n.alias else "")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expr_text(e: Expr) -> str:
    """The expression as Insights text; also the default name of a computed column."""
    if isinstance(e, Lit):
        if e.regex:
            return f"/{e.value}/"
        if isinstance(e.value, float):
            return str(int(e.value)) if e.value.is_integer() else repr(e.value)
        return e.value if re.fullmatch(r"\d+[A-Za-z]+", e.value) else _quote(e.value)
    if isinstance(e, Ref):
        plain = re.fullmatch(r"[@A-Za-z_][@A-Za-z0-9_.\-]*|\*", e.name)
        return e.name if plain and e.name.lower() not in _WORDS else f"`{e.name}`"
    if isinstance(e, Call):
        return f"{e.name}(" + ", ".join(expr_text(a) for a in e.args) + ")"
    if isinstance(e, Unary):
        return f"not ({expr_text(e.operand)})" if e.op == "not" else f"-{expr_text(e.operand)}"
    if isinstance(e.right, tuple):
        return f"{expr_text(e.left)} {e.op} [" + ", ".join(expr_text(r) for r in e.right) + "]"
    return f"({expr_text(e.left)} {e.op} {expr_text(e.right)})"
