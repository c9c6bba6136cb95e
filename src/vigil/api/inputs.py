"""Reading a user's documents (JSON, YAML, text) with errors that name the file, line and
column: what every shell hands the service layer."""

from __future__ import annotations

from vigil.inputs import (
    InputError,
    expect_list,
    expect_mapping,
    load_json,
    load_yaml,
    parse_json,
    parse_yaml,
    read_text,
)

__all__ = [
    "InputError", "expect_list", "expect_mapping", "load_json", "load_yaml", "parse_json",
    "parse_yaml", "read_text",
]  # fmt: skip
