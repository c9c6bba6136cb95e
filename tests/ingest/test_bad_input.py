"""Every command that reads a user's file answers bad content with one line naming file, line
and column (exit 1), never a traceback or "internal error"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import SIGMA_RULE, refused_wrongly, vigil
from vigil.inputs import InputError, decode, parse_json, parse_yaml

CONTENT = {
    "latin1.txt": b"10.0.0.1\ncaf\xe9 line\n",
    "binary.dat": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    "utf16.json": "\ufeff[1]".encode("utf-16-le"),
    "bad.json": b'[\n  {"Source": "app",,}\n]\n',
    "bad.yaml": b"name: r1\npattern: {source: [app]\n",
    "number.json": b"5\n",
    "pattern.json": b'{"source": ["app"]}',
    "list.yaml": b"- one\n- two\n",
    "array.json": b'[{"Source": "app", "DetailType": "x", "Detail": "{}"}, 7]\n',
}

# (command with <file>, what stderr must say): each is one line and exit 1
CASES = [
    ("intel add <latin1.txt> --threat", "latin1.txt:2:4: not UTF-8 text (byte 0xe9)"),
    ("intel add <binary.dat> --threat", "binary.dat: binary content, not a threat list"),
    ("events put <latin1.txt>", "latin1.txt:2:4: not UTF-8"),
    ("events put <binary.dat>", "binary.dat: binary content, not a JSON file"),
    ("events put <utf16.json>", "utf16.json: UTF-16 text; Vigil reads UTF-8"),
    ("events put <bad.json>", "bad.json:2:20: invalid JSON: Expecting property name"),
    ("events rules put <bad.yaml>", "bad.yaml:3:1: invalid YAML"),
    ("events rules put <list.yaml>", "list.yaml: a rule must be a mapping, not a list"),
    ("events rules put <binary.dat>", "binary.dat: binary content, not a YAML file"),
    ("events test-pattern --pattern <bad.json> --event {}", "bad.json:2:20: invalid JSON"),
    (
        "events test-pattern --pattern <pattern.json> --event <number.json>",
        "an event must be a mapping",
    ),
    ("logs put g s <latin1.txt> --create", "latin1.txt:2:4: not UTF-8"),
    ("logs put g s <binary.dat> --create", "binary.dat: binary content, not a log file"),
    ("logs test-filter --pattern ERROR <binary.dat>", "binary content, not a log file"),
    ("playbooks run revoke-open-ingress --event <bad.json>", "bad.json:2:20: invalid JSON"),
    ("playbooks run revoke-open-ingress --event <array.json>", "an event must be a mapping"),
    ("trail validate <dir> --public-keys <bad.json>", "bad.json:2:20: invalid JSON"),
    ("intel aws-ranges update <number.json>", "ip-ranges.json must be a mapping, not a number"),
    ("intel aws-ranges update <array.json>", "must be a mapping, not a list"),
    ("intel add <binary.dat> --accounts", "binary.dat: binary content, not an account list"),
    ("trail validate <dir> --public-keys <list.yaml>", "list.yaml:1:1: invalid JSON"),
    ("trail validate <dir> --public-keys <number.json>", "must be a mapping, not a number"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("bad")
    for name, data in CONTENT.items():
        (folder / name).write_bytes(data)
    return {**{name: str(folder / name) for name in CONTENT}, "dir": str(folder)}


def test_each_command_names_file_line_and_column(files: dict[str, str], tmp_path: Path) -> None:
    cases = [([files.get(w.strip("<>"), w) if w.startswith("<") else w for w in template.split()],
              expected) for template, expected in CASES]  # fmt: skip
    assert refused_wrongly(tmp_path / "home", cases) == []


def test_an_entry_that_is_not_an_object_fails_alone(files: dict[str, str], tmp_path: Path) -> None:
    """As PutEvents: the good entry is put, the bad one answers with its error code."""
    done = vigil(tmp_path / "home", "events", "put", files["array.json"], "--json")
    assert done.returncode == 1
    reply = json.loads(done.stdout)
    assert reply["FailedEntryCount"] == 1 and "EventId" in reply["Entries"][0]
    assert reply["Entries"][1]["ErrorCode"] == "InvalidArgument"


def test_rules_import_keeps_good_files_and_lists_each_bad_one(tmp_path: Path) -> None:
    folder = tmp_path / "sigma"
    folder.mkdir()
    (folder / "good.yml").write_text(SIGMA_RULE)
    (folder / "broken.yml").write_text("title: [unclosed\n")
    (folder / "latin1.yml").write_bytes(b"title: caf\xe9\n")
    (folder / "binary.yml").write_bytes(b"\x00\x01\x02")
    (folder / "list.yml").write_text("- 1\n- 2\n")
    (folder / "odd.yml").write_text("title: x\ndetection: [1, 2]\nlogsource: 5\n")
    done = vigil(tmp_path / "home", "rules", "import", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    rows = {Path(r["path"]).name: r for r in json.loads(done.stdout)}
    assert rows["good.yml"]["status"] == "imported"
    reasons = {n: r["reason"] for n, r in rows.items() if r["status"] == "rejected"}
    assert set(reasons) == {"broken.yml", "latin1.yml", "binary.yml", "list.yml", "odd.yml"}
    assert reasons["broken.yml"].startswith("line 2, column 1: invalid YAML")
    assert reasons["latin1.yml"] == "line 1, column 11: not UTF-8 text (byte 0xe9)"
    assert reasons["binary.yml"] == "binary content, not a Sigma rule"
    assert "must be a mapping" in reasons["list.yml"]
    assert reasons["odd.yml"].startswith("not a valid Sigma rule")


def test_posture_import_names_each_unreadable_file(tmp_path: Path) -> None:
    calls = tmp_path / "snap" / "111122223333" / "us-east-1"
    calls.mkdir(parents=True)
    (calls / "cloudtrail-describe-trails.json").write_text('{"trailList": []}')
    (calls / "ec2-describe-security-groups.json").write_text('{"SecurityGroups": [\n  oops\n]}')
    (calls / "s3-list-buckets.json").write_bytes(b"\xff\xfe\x00\x00garbage")
    done = vigil(tmp_path / "home", "posture", "import", str(tmp_path / "snap"), "--json")
    assert done.returncode == 0, done.stderr
    warnings = "\n".join(json.loads(done.stdout)["warnings"])
    assert "ec2-describe-security-groups.json:2:3: invalid JSON" in warnings
    assert "s3-list-buckets.json: UTF-16 text" in warnings


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"ok\n\xc3(", "src:2:1: not UTF-8 text (byte 0xc3)"),
        (b"a\x00b", "src: binary content, not a text file"),
        ("\ufeffx".encode("utf-16-be"), "src: UTF-16 text"),
    ],
)
def test_decode_says_where(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        decode(data, "src")
    assert str(caught.value) == message or str(caught.value).startswith(message)


def test_decode_drops_a_utf8_byte_order_mark() -> None:
    assert decode(b"\xef\xbb\xbfname: x", "src") == "name: x"


def test_parsers_say_line_and_column() -> None:
    with pytest.raises(InputError, match=r"^f\.yaml:3:1: invalid YAML"):
        parse_yaml("a: 1\nb: [1, {\n", "f.yaml")
    with pytest.raises(InputError, match=r"^f\.json:1:6: invalid JSON"):
        parse_json('{"a" 1}', "f.json")
    with pytest.raises(InputError, match="nested too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000, "deep.json")
