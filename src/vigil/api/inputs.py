"""Reading a user's documents (JSON, YAML, text) with errors that name the file, line and
column: what every shell hands the service layer."""

from __future__ import annotations

from vigil.inputs import (
    JSON_DEPTH,
    InputError,
    TooLarge,
    expect_list,
    expect_mapping,
    inflate_gzip,
    json_depth,
    load_json,
    load_yaml,
    loads,
    parse_json,
    parse_yaml,
    read_text,
)

__all__ = [
    "JSON_DEPTH",
    "InputError",
    "TooLarge",
    "expect_list",
    "expect_mapping",
    "inflate_gzip",
    "json_depth",
    "load_json",
    "load_yaml",
    "loads",
    "parse_json",
    "parse_yaml",
    "read_text",
]  # fmt: skip
