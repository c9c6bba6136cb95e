"""CloudTrail integrity: a chain we sign ourselves, validated; tampering, moves, missing files
and broken signatures found; the CLI's summary and exit code."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers import ct_record
from vigil.trail.sign import Signer, write_chain
from vigil.trail.validate import Objects, load_keys, validate

DAY = datetime(2024, 3, 1, tzinfo=UTC)
BUCKET = "org-trail-bucket"


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.new()


def build(root: Path, signer: Signer, hours: int = 4) -> list[Path]:
    chain = []
    for h in range(hours):
        hour = DAY + timedelta(hours=h)
        logs = []
        for n in range(2):
            key = (f"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/"
                   f"111122223333_CloudTrail_us-east-1_{hour:%Y%m%dT%H}{n}5Z_x{h}{n}.json.gz")  # fmt: skip
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(
                gzip.compress(json.dumps({"Records": [ct_record(eventID=f"e{h}{n}")]}).encode())
            )
            logs.append(path)
        chain.append((hour, logs))
    digests = write_chain(root, BUCKET, chain, account="111122223333", region="us-east-1",
                          trail="org-trail", home_region="us-east-1", signer=signer)  # fmt: skip
    (root / "public-keys.json").write_text(
        json.dumps(signer.public_keys(DAY - timedelta(days=1), DAY + timedelta(days=2)))
    )
    return digests


def run(root: Path) -> tuple[bool, list[tuple[str, str, bool, str]]]:
    keys = load_keys(root / "public-keys.json", None, None, DAY, DAY + timedelta(days=1))
    report = validate(Objects(str(root)), keys, DAY, DAY + timedelta(days=1), BUCKET)
    return report.ok, [(v.kind, Path(v.uri).name, v.valid, v.reason) for v in report.verdicts]


def test_an_intact_chain_is_valid(tmp_path: Path, signer: Signer) -> None:
    build(tmp_path, signer)
    ok, verdicts = run(tmp_path)
    assert ok and len([v for v in verdicts if v[0] == "digest"]) == 4
    assert len([v for v in verdicts if v[0] == "log"]) == 8


def test_tampered_log_file_is_invalid(tmp_path: Path, signer: Signer) -> None:
    build(tmp_path, signer)
    victim = sorted(tmp_path.rglob("*_CloudTrail_us-east-1_*.json.gz"))[3]
    records = json.loads(gzip.decompress(victim.read_bytes()))
    records["Records"][0]["sourceIPAddress"] = (
        "10.9.9.9"  # someone edited the record after delivery
    )
    victim.write_bytes(gzip.compress(json.dumps(records).encode()))
    ok, verdicts = run(tmp_path)
    bad = [v for v in verdicts if not v[2]]
    assert not ok and bad == [("log", victim.name, False, "hash value doesn't match")]


def test_moved_missing_and_forged_digests(tmp_path: Path, signer: Signer) -> None:
    digests = build(tmp_path, signer)
    # the second-newest digest vanishes: its successor points at nothing
    digests[2].unlink()
    ok, verdicts = run(tmp_path)
    assert not ok and ("digest", digests[2].name, False, "not found") in verdicts
    # a digest copied to another place claims a location it is not at
    moved = (
        tmp_path / "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/02" / digests[0].name
    )
    moved.parent.mkdir(parents=True)
    shutil.copy(digests[0], moved)
    _, verdicts = run(tmp_path)
    assert ("digest", moved.name, False, "has been moved from its original location") in verdicts
    # a newest digest re-signed with another key
    other = Signer.new()
    Path(str(digests[3]) + ".sig").write_text(other.sign(b"anything"))
    _, verdicts = run(tmp_path)
    assert ("digest", digests[3].name, False, "signature verification failed") in verdicts


def test_cli_summary_and_exit_code(tmp_path: Path, signer: Signer) -> None:
    from helpers import run as cli

    build(tmp_path / "bucket", signer)
    assert cli(tmp_path / "home", "ingest", str(tmp_path / "bucket")).returncode == 0
    args = ["trail", "validate", str(tmp_path / "bucket"), "--start", "2024-03-01T00:00:00Z",
            "--end", "2024-03-02T00:00:00Z", "--public-keys", str(tmp_path / "bucket/public-keys.json")]  # fmt: skip
    done = cli(tmp_path / "home", *args)
    assert done.returncode == 0, done.stderr
    assert "4/4 digest files valid" in done.stdout and "8/8 log files valid" in done.stdout
    # the lake knows which rows came from validated files
    vouched = cli(tmp_path / "home", "query", "SELECT count(*) AS n FROM cloudtrail c JOIN "
                  "trail_validation v ON c.source_file = v.uri WHERE v.valid", "--format", "json")  # fmt: skip
    assert json.loads(vouched.stdout) == [{"n": 8}], vouched.stderr
    victim = sorted((tmp_path / "bucket").rglob("*_CloudTrail_us-east-1_*.json.gz"))[0]
    victim.write_bytes(gzip.compress(b'{"Records": []}'))
    bad = cli(tmp_path / "home", *args, "--verbose")
    assert bad.returncode == 1
    assert "7/8 log files valid, 1/8 log files INVALID" in bad.stdout
    assert f"{victim.name}" in bad.stdout and "INVALID: hash value doesn't match" in bad.stdout


def test_deleted_log_file_and_unknown_key(tmp_path: Path, signer: Signer) -> None:
    build(tmp_path, signer)
    gone = sorted(tmp_path.rglob("*_CloudTrail_us-east-1_*.json.gz"))[5]
    gone.unlink()
    ok, verdicts = run(tmp_path)
    assert not ok and [v for v in verdicts if not v[2]] == [("log", gone.name, False, "not found")]
    # keys that do not include the signer's: every digest fails on the fingerprint
    other = Signer.new()
    (tmp_path / "public-keys.json").write_text(
        json.dumps(other.public_keys(DAY, DAY + timedelta(days=1)))
    )
    _, verdicts = run(tmp_path)
    digests = [v for v in verdicts if v[0] == "digest"]
    assert digests and all(
        not v[2] and v[3].startswith("no public key with fingerprint") for v in digests
    )


def test_a_restart_starts_a_new_chain(tmp_path: Path, signer: Signer) -> None:
    """Logging stopped and started again: the next digest has no previous; both chains valid."""
    first = build(tmp_path, signer, hours=2)
    later = DAY + timedelta(hours=5)
    path = tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/late.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": [ct_record(eventID="late")]}).encode()))
    second = write_chain(tmp_path, BUCKET, [(later, [path])], account="111122223333", region="us-east-1",
                         trail="org-trail", home_region="us-east-1", signer=signer)  # fmt: skip
    restart = json.loads(gzip.decompress(second[0].read_bytes()))
    assert restart["previousDigestSignature"] is None and first
    ok, verdicts = run(tmp_path)
    assert ok and len([v for v in verdicts if v[0] == "digest"]) == 3


def test_an_s3_bucket_with_signatures_in_object_metadata(
    tmp_path: Path, signer: Signer, aws: str
) -> None:
    """As AWS delivers it: digests in S3 with the signature in the `signature` metadata."""
    import boto3

    build(tmp_path, signer)
    s3 = boto3.client("s3", endpoint_url=aws, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    for path in sorted((tmp_path / "AWSLogs").rglob("*.json.gz")):
        key = path.relative_to(tmp_path).as_posix()
        sidecar = Path(f"{path}.sig")
        meta = (
            {"signature": sidecar.read_text().strip(), "signature-algorithm": "SHA256withRSA"}
            if sidecar.is_file()
            else {}
        )
        s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes(), Metadata=meta)
    keys = load_keys(tmp_path / "public-keys.json", None, None, DAY, DAY + timedelta(days=1))

    def check() -> tuple[bool, list[tuple[str, bool, str]]]:
        report = validate(Objects(f"s3://{BUCKET}/AWSLogs/", aws), keys, DAY,
                          DAY + timedelta(days=1), BUCKET)  # fmt: skip
        return report.ok, [(v.uri, v.valid, v.reason) for v in report.verdicts]

    ok, verdicts = check()
    assert (
        ok
        and len(verdicts) == 12
        and all(uri.startswith(f"s3://{BUCKET}/") for uri, *_ in verdicts)
    )
    # an object replaced in the bucket after delivery
    victim = next(uri for uri, *_ in verdicts if "_CloudTrail_us-east-1_" in uri)
    s3.put_object(Bucket=BUCKET, Key=victim.removeprefix(f"s3://{BUCKET}/"),
                  Body=gzip.compress(b'{"Records": []}'))  # fmt: skip
    ok, verdicts = check()
    assert not ok and [(u, r) for u, valid, r in verdicts if not valid] == [
        (victim, "hash value doesn't match")
    ]
    # a digest whose metadata lost its signature
    digest = next(uri for uri, *_ in verdicts if "CloudTrail-Digest" in uri)
    key = digest.removeprefix(f"s3://{BUCKET}/")
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    _, verdicts = check()
    assert (digest, False, "no signature (S3 metadata or a .sig file)") in verdicts


def test_a_local_copy_without_signatures_starts_from_the_next_digest(
    tmp_path: Path, signer: Signer
) -> None:
    """`aws s3 sync` keeps no metadata: the newest digest cannot be checked, the rest can (each
    older signature is in its successor), and that is not a failure."""
    from helpers import run as cli

    digests = build(tmp_path / "bucket", signer)
    for sidecar in (tmp_path / "bucket").rglob("*.sig"):
        sidecar.unlink()
    keys = load_keys(tmp_path / "bucket/public-keys.json", None, None, DAY, DAY + timedelta(days=1))
    report = validate(Objects(str(tmp_path / "bucket")), keys, DAY, DAY + timedelta(days=1), BUCKET)
    assert report.ok and report.count("digest") == (3, 3) and report.count("log") == (6, 6)
    [skipped] = report.unvalidated
    assert Path(skipped.uri).name == digests[-1].name and "nor its 2 log file(s)" in skipped.reason
    args = ["trail", "validate", str(tmp_path / "bucket"), "--start", "2024-03-01T00:00:00Z",
            "--end", "2024-03-02T00:00:00Z", "--public-keys", str(tmp_path / "bucket/public-keys.json")]  # fmt: skip
    done = cli(tmp_path / "home", *args)
    assert done.returncode == 0 and "3/3 digest files valid" in done.stdout
    assert "not validated:" in done.stdout and ".sig" in done.stdout


def test_corrupt_files_are_invalid_not_a_crash(tmp_path: Path, signer: Signer) -> None:
    digests = build(tmp_path, signer)
    digests[1].write_bytes(b"not gzip at all")
    log = sorted(tmp_path.rglob("*_CloudTrail_us-east-1_*.json.gz"))[0]
    log.write_bytes(b"\x1f\x8b\x08\x00broken")
    ok, verdicts = run(tmp_path)
    bad = {(kind, name, reason) for kind, name, valid, reason in verdicts if not valid}
    assert not ok and ("digest", digests[1].name, "not a digest file (not gzip JSON)") in bad
    assert ("log", log.name, "not a gzip file") in bad
