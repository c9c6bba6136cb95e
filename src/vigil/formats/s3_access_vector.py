"""Whole-column steps of the S3 access log reader: bracketed times and percent-decoded keys.

Both work on the bytes of an Arrow string column with numpy, so no Python object is made per
record. Only values the vector step cannot finish (a key that decodes to bytes that are not
UTF-8) go through Python one by one.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vigil.formats.timestamps import EARLIEST_S, LATEST_S

_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_CODES: Final = np.array([(ord(a) << 16) | (ord(b) << 8) | ord(c) for a, b, c in _MONTHS])
_ORDER: Final = np.argsort(_CODES)  # month index of each sorted code
_SORTED: Final = _CODES[_ORDER]
_MONTH_DAYS: Final = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_HEX: Final = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
    _HEX[ord(chr(_c).upper())] = _i
# `[06/Feb/2019:00:00:38` and `+0000]`: the two halves the space inside the brackets makes.
_DATE_DIGITS: Final = [1, 2, 8, 9, 10, 11, 13, 14, 16, 17, 19, 20]
_DATE_MARKS: Final = {0: "[", 3: "/", 7: "/", 12: ":", 15: ":", 18: ":"}


def fixed_width(column: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The bytes of a string column as an (n, width) matrix, and which rows had that width."""
    ok = pc.fill_null(pc.equal(pc.binary_length(column), width), False).to_numpy(False)
    if not ok.all():
        column = pc.if_else(pa.array(ok), column, pa.scalar(" " * width))
    n = len(column)
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset :]
    start = int(offsets[0]) if n else 0
    data = np.frombuffer(column.buffers()[2] or b"", dtype=np.uint8)
    return data[start : start + n * width].reshape(n, width), ok


def _number(matrix: np.ndarray, cols: list[int]) -> np.ndarray:
    value = np.zeros(len(matrix), dtype=np.int64)
    for c in cols:
        value = value * 10 + (matrix[:, c].astype(np.int64) - 48)
    return value


def bracket_times(left: pa.Array, right: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """`[dd/Mon/yyyy:HH:MM:SS` + `±hhmm]` → epoch milliseconds (UTC), and which rows were
    real times (checked as strictly as Python's strptime: the day exists in its month)."""
    a, ok_a = fixed_width(left, 21)
    b, ok_b = fixed_width(right, 6)
    ok = ok_a & ok_b & (b[:, 5] == ord("]")) & ((b[:, 0] == ord("+")) | (b[:, 0] == ord("-")))
    digits = np.concatenate([a[:, _DATE_DIGITS], b[:, 1:5]], axis=1)
    ok &= ((digits >= ord("0")) & (digits <= ord("9"))).all(axis=1)
    for col, mark in _DATE_MARKS.items():
        ok &= a[:, col] == ord(mark)
    code = (a[:, 4].astype(np.int64) << 16) | (a[:, 5].astype(np.int64) << 8) | a[:, 6]
    place = np.minimum(np.searchsorted(_SORTED, code), 11)
    ok &= _SORTED[place] == code  # AWS writes English month names, capitalised
    month = _ORDER[place] + 1
    day, year = _number(a, [1, 2]), _number(a, [8, 9, 10, 11])
    hour, minute, second = _number(a, [13, 14]), _number(a, [16, 17]), _number(a, [19, 20])
    off_h, off_m = _number(b, [1, 2]), _number(b, [3, 4])
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[month - 1] + ((month == 2) & leap)
    ok &= (day >= 1) & (day <= month_days) & (hour < 24) & (minute < 60) & (second < 60)
    ok &= (off_h < 24) & (off_m < 60)
    sign = np.where(b[:, 0] == ord("-"), -1, 1)
    seconds = _days(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    seconds -= sign * (off_h * 3600 + off_m * 60)
    ok &= (seconds >= EARLIEST_S) & (seconds <= LATEST_S)
    return np.where(ok, seconds * 1000, 0), ok


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's days_from_civil)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days: np.ndarray = era * 146097 + doe - 719468
    return days


def percent_decode(keys: pa.Array) -> pa.Array:
    """`urllib.parse.unquote` of each value: `%XX` becomes its byte and the bytes are UTF-8.

    '+' stays '+': S3 writes a space in a key as %20 in its access logs, so a '+' in the log
    is a '+' in the key (decoding it as a space, form-style, would name another object).
    """
    has = pc.fill_null(pc.match_substring(keys, "%"), False)
    if not pc.any(has).as_py():
        return keys
    subset = keys.filter(has)
    try:
        decoded = _unescape(subset).cast(pa.string())
    except pa.ArrowInvalid:  # bytes that are not UTF-8: unquote replaces them with U+FFFD
        decoded = pa.array([unquote(k) for k in subset.to_pylist()], type=pa.string())
    return pc.replace_with_mask(keys, has, decoded)


def _unescape(column: pa.Array) -> pa.Array:
    """The values with every `%XX` (two hex digits, inside the value) replaced by its byte."""
    n = len(column)
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[
        column.offset : column.offset + n + 1
    ]
    raw = np.frombuffer(column.buffers()[2] or b"", dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets = offsets.astype(np.int64) - offsets[0]
    at = np.flatnonzero(raw[:-2] == ord("%"))
    high, low = _HEX[raw[at + 1]], _HEX[raw[at + 2]]
    ends = offsets[np.searchsorted(offsets, at, side="right")]
    at = at[(high >= 0) & (low >= 0) & (at + 2 < ends)]
    out = raw.copy()
    out[at] = (_HEX[raw[at + 1]] * 16 + _HEX[raw[at + 2]]).astype(np.uint8)
    keep = np.ones(len(raw), dtype=bool)
    keep[at + 1] = False
    keep[at + 2] = False
    new_offsets = (offsets - 2 * np.searchsorted(at, offsets)).astype(np.int32)
    buffers = [None, pa.py_buffer(new_offsets), pa.py_buffer(out[keep])]
    return pa.Array.from_buffers(pa.binary(), n, buffers)
