"""The helper macros of the DuckDB engine (vigil.query.duckdb.MACROS), in Spark SQL as SQL
functions (no Python UDFs: they run in the JVM like any expression), and the columns the
views derive."""

from __future__ import annotations

from typing import Final

# Columns computed in the view, as in vigil.query.duckdb.DERIVED.
DERIVED: Final[dict[str, str]] = {
    "flow_logs": "timestamp_seconds(`start`) AS start_time, timestamp_seconds(`end`) AS end_time",
    "log_events": "timestamp_millis(`timestamp`) AS event_time",
}

_PRIVATE_TEXT: Final = (
    "startswith(ip, '10.') OR startswith(ip, '192.168.') "
    "OR (startswith(ip, '172.') AND try_cast(split_part(ip, '.', 2) AS INT) BETWEEN 16 AND 31) "
    "OR (startswith(ip, '100.') AND try_cast(split_part(ip, '.', 2) AS INT) BETWEEN 64 AND 127) "
    "OR startswith(lower(ip), 'fc') OR startswith(lower(ip), 'fd') "
    "OR startswith(lower(ip), 'fe80:')"
)
_CIDR_BITS: Final = "32 - CAST(split_part(cidr, '/', 2) AS INT)"
_CHARS: Final = "split(s, '')"

# IPv6 text (a zone after '%' ignored) as its eight groups of hex digits, '::' expanded; NULL
# unless it is IPv6 (an embedded dotted quad is read as its two last groups).
_V6: Final = "split_part(ip, '%', 1)"
_V6_QUAD: Final = (
    f"CASE WHEN {_V6} LIKE '%.%' THEN concat(substring_index({_V6}, ':', "
    f"size(split({_V6}, ':')) - 1), ':', lower(hex(shiftright(ipv4_to_int(substring_index("
    f"{_V6}, ':', -1)), 16))), ':', lower(hex(ipv4_to_int(substring_index({_V6}, ':', -1)) "
    f"& 65535))) ELSE {_V6} END"
)
_V6_GROUPS: Final = (
    "CASE WHEN a = '::' THEN array_repeat('0', 8) "
    "WHEN a LIKE '%::%' THEN concat("
    "CASE WHEN startswith(a, '::') THEN array() ELSE split(split_part(a, '::', 1), ':') END, "
    "array_repeat('0', 8 - size(split(a, ':')) + 1 + CASE WHEN startswith(a, '::') "
    "OR endswith(a, '::') THEN 1 ELSE 0 END), "
    "CASE WHEN endswith(a, '::') THEN array() ELSE split(split_part(a, '::', 2), ':') END) "
    "ELSE split(a, ':') END"
)

# `from_unixtime` is Spark's own (a built-in cannot be replaced): it returns text
# ('2023-11-14 22:13:20'), where the DuckDB macro returns a timestamp.
FUNCTIONS: Final = (
    # one octet of a dotted quad as a number, NULL unless 0-255
    "CREATE OR REPLACE TEMPORARY FUNCTION _ipv4_octet(s STRING) RETURNS BIGINT RETURN "
    "CASE WHEN try_cast(s AS INT) BETWEEN 0 AND 255 THEN try_cast(s AS BIGINT) END",
    "CREATE OR REPLACE TEMPORARY FUNCTION ipv4_to_int(ip STRING) RETURNS BIGINT RETURN "
    "CASE WHEN length(ip) - length(replace(ip, '.', '')) = 3 "
    "THEN shiftleft(_ipv4_octet(split_part(ip, '.', 1)), 24) "
    "+ shiftleft(_ipv4_octet(split_part(ip, '.', 2)), 16) "
    "+ shiftleft(_ipv4_octet(split_part(ip, '.', 3)), 8) "
    "+ _ipv4_octet(split_part(ip, '.', 4)) END",
    f"CREATE OR REPLACE TEMPORARY FUNCTION is_private_ip(ip STRING) RETURNS BOOLEAN RETURN "
    f"{_PRIVATE_TEXT}",
    "CREATE OR REPLACE TEMPORARY FUNCTION is_private_ipv4(n BIGINT) RETURNS BOOLEAN RETURN "
    "shiftright(n, 24) = 10 OR shiftright(n, 20) = 2753 OR shiftright(n, 16) = 49320 "
    "OR shiftright(n, 22) = 401",
    "CREATE OR REPLACE TEMPORARY FUNCTION is_private_addr(n BIGINT, ip STRING) "
    "RETURNS BOOLEAN RETURN coalesce(is_private_ipv4(n), is_private_ip(ip))",
    "CREATE OR REPLACE TEMPORARY FUNCTION ipv4_in_cidr(ip STRING, cidr STRING) "
    f"RETURNS BOOLEAN RETURN shiftright(ipv4_to_int(ip), {_CIDR_BITS}) "
    f"= shiftright(ipv4_to_int(split_part(cidr, '/', 1)), {_CIDR_BITS})",
    "CREATE OR REPLACE TEMPORARY FUNCTION _ipv6_groups(a STRING) RETURNS ARRAY<STRING> RETURN "
    f"CASE WHEN a LIKE '%:%' AND a NOT LIKE '%::%::%' AND a RLIKE '^[0-9A-Fa-f:]+$' "
    f"THEN {_V6_GROUPS} END",
    "CREATE OR REPLACE TEMPORARY FUNCTION _ipv6_hex(g ARRAY<STRING>) RETURNS STRING RETURN "
    "CASE WHEN size(g) = 8 AND array_join(g, ':') RLIKE '^([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}$' "
    "THEN lower(concat(" + ", ".join(f"lpad(g[{i}], 4, '0')" for i in range(8)) + ")) END",
    "CREATE OR REPLACE TEMPORARY FUNCTION ipv6_key(ip STRING) RETURNS STRING RETURN "
    f"_ipv6_hex(_ipv6_groups({_V6_QUAD}))",
    # the /48 as Python's ipaddress writes it ('2001:db8:1::/48'); other text as it is
    "CREATE OR REPLACE TEMPORARY FUNCTION _ipv6_net48(k STRING) RETURNS STRING RETURN "
    "regexp_replace(concat_ws(':', regexp_replace(substr(k, 1, 4), '^0+(?=.)', ''), "
    "regexp_replace(substr(k, 5, 4), '^0+(?=.)', ''), "
    "regexp_replace(substr(k, 9, 4), '^0+(?=.)', ''), ''), '(^|:)(0:)*$', '') || '::/48'",
    "CREATE OR REPLACE TEMPORARY FUNCTION ipv6_prefix48(ip STRING) RETURNS STRING RETURN "
    "CASE WHEN ip IS NULL THEN NULL WHEN ipv6_key(ip) IS NULL THEN ip "
    "ELSE _ipv6_net48(ipv6_key(ip)) END",
    # DuckDB's format_bytes: powers of 1024, one decimal cut (not rounded)
    "CREATE OR REPLACE TEMPORARY FUNCTION format_bytes(n BIGINT) RETURNS STRING RETURN "
    "CASE WHEN abs(n) < 1024 THEN concat(n, ' bytes') "
    + " ".join(
        f"WHEN abs(n) < {1024 ** (i + 2)} "
        f"THEN format_string('%.1f {unit}', floor(n * 10 / {1024 ** (i + 1)}) / 10)"
        for i, unit in enumerate(("KiB", "MiB", "GiB", "TiB"))
    )
    + " ELSE format_string('%.1f PiB', floor(n * 10 / 1125899906842624) / 10) END",
    # Presto/Athena names used by the AWS documentation's example queries.
    "CREATE OR REPLACE TEMPORARY FUNCTION to_iso8601(t TIMESTAMP) RETURNS STRING RETURN "
    "date_format(t, \"yyyy-MM-dd'T'HH:mm:ss.SSS'Z'\")",
    "CREATE OR REPLACE TEMPORARY FUNCTION from_iso8601_timestamp(s STRING) "
    "RETURNS TIMESTAMP RETURN CAST(s AS TIMESTAMP)",
    "CREATE OR REPLACE TEMPORARY FUNCTION day_of_week(d DATE) RETURNS INT RETURN weekday(d) + 1",
    "CREATE OR REPLACE TEMPORARY FUNCTION json_extract_scalar(j STRING, p STRING) "
    "RETURNS STRING RETURN get_json_object(j, p)",
    # Shannon entropy of a string's characters in bits per character (0 for '').
    "CREATE OR REPLACE TEMPORARY FUNCTION label_entropy(s STRING) RETURNS DOUBLE RETURN "
    "CASE WHEN length(s) = 0 THEN 0.0D ELSE 0.0D - aggregate("
    f"transform(array_distinct({_CHARS}), c -> size(filter({_CHARS}, x -> x = c))), 0.0D, "
    "(acc, n) -> acc + n / length(s) * log2(n / length(s))) END",
)


# The functions above by name: a DuckDB macro of the same name is not inlined (`expand`).
NATIVE: Final = frozenset(
    statement.split("FUNCTION ", 1)[1].split("(", 1)[0].strip().lower() for statement in FUNCTIONS
)
