"""Domain names: normalised as lists and DNS logs compare them, and their registered domain by
the Public Suffix List.

A name is normalised to lower case without its trailing dot, internationalised labels in their
ASCII form (`bücher.example` → `xn--bcher-kva.example`, UTS #46 mapping as browsers and
resolvers do), and checked: labels of 1-63 characters (letters, digits, `-`, `_` as in
`_dmarc`), at most 253 characters in all.

The registered domain is the public suffix plus one label (`www.example.co.uk` →
`example.co.uk`). The list's private section counts too: suffixes that companies open to their
customers, such as `github.io`, `s3.amazonaws.com` or `cloudfront.net`, are suffixes, so
`alice.github.io` and `bucket.s3.amazonaws.com` are registered domains of their own (one user's
site or bucket, not GitHub's or Amazon's). A bare suffix (`co.uk`, `github.io`), an address, a
reverse-lookup name (`…in-addr.arpa`, `…ip6.arpa`), a single label and an invalid name have
none (None). The list ships with the `publicsuffixlist` package (MPL-2.0), loaded on first use.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import pyarrow as pa
    from publicsuffixlist import PublicSuffixList

_LABEL: Final = re.compile(r"[a-z0-9_-]{1,63}")
_REVERSE: Final = ("in-addr.arpa", "ip6.arpa")


def normalize_name(value: str) -> str:
    """The name in the form lists and logs compare; a ValueError says why it is not one."""
    name = value.strip().lower()
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise ValueError("an empty name")
    if not name.isascii():
        name = _ascii(name)
    if len(name) > 253:
        raise ValueError(f"{len(name)} characters, more than a name's 253")
    for label in name.split("."):
        if not label:
            raise ValueError("an empty label")
        if len(label) > 63:
            raise ValueError(f"a label of {len(label)} characters, more than 63")
        if not _LABEL.fullmatch(label):
            raise ValueError(f"{label!r} holds a character a name cannot")
    return name


def _ascii(name: str) -> str:
    import idna

    try:
        mapped = idna.uts46_remap(name, std3_rules=False, transitional=False)
        labels = [x if x.isascii() else idna.alabel(x).decode() for x in mapped.split(".")]
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"not a valid internationalised name ({exc})") from None
    return ".".join(labels).lower()


def is_address_like(name: str) -> bool:
    """An IPv4 or IPv6 address (or something written like one: a numeric last label)."""
    return ":" in name or name.rsplit(".", 1)[-1].isdigit()


@cache
def _psl() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def registered_domain(name: str | None) -> str | None:
    """The public suffix plus one label, or None (see the module's notes)."""
    if name is None:
        return None
    try:
        name = normalize_name(name)
    except ValueError:
        return None
    if is_address_like(name) or any(name == s or name.endswith("." + s) for s in _REVERSE):
        return None
    found: str | None = _psl().privatesuffix(name)
    return found


def registered_domains(names: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`registered_domain` of each value, as strings; each distinct value is looked up once
    (DNS logs repeat the same few thousand names), then spread back with a take."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(names, pa.ChunkedArray):
        names = pa.concat_arrays(names.chunks) if names.num_chunks else pa.array([], names.type)
    encoded = names if pa.types.is_dictionary(names.type) else pc.dictionary_encode(names)
    values = [registered_domain(v) for v in encoded.dictionary.to_pylist()]
    found: pa.Array = pc.take(pa.array(values, pa.string()), encoded.indices)
    return found
