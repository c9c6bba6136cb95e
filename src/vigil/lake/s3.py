"""The lake on S3 (or any S3-compatible store): objects read and written through Arrow's S3
filesystem (the AWS SDK's standard credential chain: environment, profile, role), listed only
from the lake's local index (`vigil.lake.store`), never from the bucket.

Readers get an Arrow dataset of exactly the listed objects, each fragment carrying its hive
partition (account, Region, day) as an expression taken from its key: DuckDB pushes a query's
filters and columns into the scan, and Arrow skips every object whose partition cannot match
without a request for it. The sizes come from the index too, so an object is read with ranged
GETs (footer, then the columns wanted) and never a HEAD.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from vigil.errors import LakeError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

INFLIGHT: Final = ".inflight"  # a placed file that no reader lists until its batch is published
CHUNK: Final = 8 << 20
HINT: Final = "check the lake's bucket, lake_endpoint_url and the AWS credentials (or profile)"
PARTITION_PREFIXES: Final = ("aws_account=", "aws_region=", "date=")


@dataclass(frozen=True)
class Entry:
    """What the index knows of one object."""

    key: str  # bucket/key, as Arrow's filesystem names it
    size: int
    rows: int
    schema: bytes  # the file's Arrow schema, serialized

    def arrow_schema(self) -> pa.Schema:
        import pyarrow as pa

        return pa.ipc.read_schema(pa.py_buffer(self.schema))


def read_entry(path: Path) -> Entry:
    try:
        doc = json.loads(path.read_text())
        return Entry(doc["url"].removeprefix("s3://"), int(doc["size"]), int(doc["rows"]),
                     base64.b64decode(doc["schema"]))  # fmt: skip
    except FileNotFoundError:
        raise  # removed meanwhile (a retention run): the callers' to judge
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LakeError(f"{path}: not an entry of the lake's index ({exc})") from None


@lru_cache(maxsize=8)
def filesystem(endpoint_url: str | None, bucket: str | None = None) -> pafs.S3FileSystem:
    """Arrow's S3 filesystem for this endpoint (AWS itself when None)."""
    from pyarrow import fs

    options: dict[str, str] = {}
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        options["endpoint_override"] = parts.netloc or parts.path
        options["scheme"] = parts.scheme or "https"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    elif not endpoint_url and bucket:
        try:
            options["region"] = fs.resolve_s3_region(bucket)
        except OSError as exc:
            raise LakeError(f"s3://{bucket}: {first_line(exc)}", hint=HINT) from None
    return fs.S3FileSystem(**options)


@lru_cache(maxsize=8)
def client(endpoint_url: str | None) -> Any:
    """boto3's S3 client for deletes (the same credential chain as Arrow's)."""
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region)


class S3Store:
    """The lake's objects on S3, its index in a local folder."""

    remote = True

    def __init__(self, root: Path | None, url: str | None, endpoint_url: str | None) -> None:
        self.root = root
        self.url = url
        self.base = (url or "").removeprefix("s3://").rstrip("/")
        self.endpoint_url = endpoint_url
        self.fs = filesystem(endpoint_url, self.base.split("/", 1)[0] or None)

    def key(self, path: Path) -> str:
        """The object's key for a path in the index (bucket/prefix/table/…)."""
        if self.root is None or not self.base:
            raise LakeError(f"{path}: not in a lake index")
        return f"{self.base}/{path.relative_to(self.root).as_posix()}"

    def place(self, staged: Path, target: Path) -> None:
        import pyarrow.parquet as pq

        key = self.key(target)
        meta = pq.ParquetFile(staged)
        schema = meta.schema_arrow.remove_metadata().serialize().to_pybytes()
        entry = {"url": f"s3://{key}", "endpoint_url": self.endpoint_url,
                 "size": staged.stat().st_size, "rows": meta.metadata.num_rows,
                 "schema": base64.b64encode(schema).decode()}  # fmt: skip
        try:
            with staged.open("rb") as source, self.fs.open_output_stream(key) as sink:
                shutil.copyfileobj(source, sink, CHUNK)
        except OSError as exc:
            raise LakeError(f"cannot write s3://{key}: {first_line(exc)}", hint=HINT) from None
        inflight = Path(str(target) + INFLIGHT)
        inflight.parent.mkdir(parents=True, exist_ok=True)
        temporary = inflight.with_name(inflight.name + ".tmp")
        temporary.write_text(json.dumps(entry))
        os.replace(temporary, inflight)
        staged.unlink(missing_ok=True)

    def remove(self, path: Path) -> None:
        """The object, then its entries: a crash between leaves an entry of a missing object,
        which the next removal (retired files, a rolled-back batch) takes away. One DELETE
        with boto3 (idempotent: a missing key is no error): Arrow's delete also lists the
        folder and writes a folder marker where it left none."""
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, key = self.key(path).partition("/")
        try:
            client(self.endpoint_url).delete_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":  # then none is there
                raise LakeError(f"cannot delete s3://{bucket}/{key}: {first_line(exc)}",
                                hint=HINT) from None  # fmt: skip
        except BotoCoreError as exc:
            raise LakeError(f"cannot delete s3://{bucket}/{key}: {first_line(exc)}",
                            hint=HINT) from None  # fmt: skip
        path.unlink(missing_ok=True)
        Path(str(path) + INFLIGHT).unlink(missing_ok=True)

    def size(self, path: Path) -> int:
        return read_entry(path).size

    def uri(self, path: Path) -> str:
        return "s3://" + read_entry(path).key

    def rows(self, path: Path) -> int:
        return read_entry(path).rows

    def parquet(self, path: Path) -> pq.ParquetFile:
        import pyarrow.parquet as pq

        entry = read_entry(path)
        return pq.ParquetFile(self.fs.open_input_file(entry.key))

    @contextmanager
    def local(self, paths: Sequence[Path], work: Path) -> Iterator[list[Path]]:
        """Copies of the objects under `work` (compaction merges them with DuckDB)."""
        folder = work / f"objects-{os.getpid()}-{id(self):x}"
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        try:
            for n, path in enumerate(paths):
                copy = folder / f"{n:05d}.parquet"
                key = read_entry(path).key
                with self.fs.open_input_stream(key) as source, copy.open("wb") as sink:
                    shutil.copyfileobj(source, sink, CHUNK)
                out.append(copy)
            yield out
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                work.rmdir()  # when it was made for these copies alone

    def dataset(self, files: Sequence[Path], schema: pa.Schema | None = None,
                hive: bool = True) -> ds.Dataset:  # fmt: skip
        """The objects as one Arrow dataset: `schema` with the columns only some files have
        added (None: the files' schemas united), the partition columns from the keys."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        entries = [read_entry(f) for f in files]
        schema = _united(schema, {e.schema for e in entries}, hive)
        form = ds.ParquetFileFormat()
        fragments = [
            form.make_fragment(e.key, filesystem=self.fs, file_size=e.size,
                               partition_expression=_partition(e.key) if hive else None)
            for e in entries
        ]  # fmt: skip
        return ds.FileSystemDataset(fragments, schema=schema or pa.schema([]), format=form,
                                    filesystem=self.fs)  # fmt: skip


def _united(base: pa.Schema | None, schemas: set[bytes], hive: bool) -> pa.Schema:
    import pyarrow as pa

    found = [pa.ipc.read_schema(pa.py_buffer(s)) for s in sorted(schemas)]
    if base is None:
        base = pa.unify_schemas(found, promote_options="permissive") if found else pa.schema([])
        if hive:
            for name in PARTITION_PREFIXES:
                column = name.rstrip("=")
                if column not in base.names:
                    kind = pa.date32() if column == "date" else pa.string()
                    base = base.append(pa.field(column, kind))
        return base
    known = set(base.names)
    for schema in found:
        for field in schema:
            if field.name not in known:  # a column only some files have (a source's extras)
                base = base.append(field)
                known.add(field.name)
    return base


def _partition(key: str) -> ds.Expression | None:
    """`aws_account=…/aws_region=…/date=…` of a key as an expression Arrow prunes by."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    found: ds.Expression | None = None
    for part in key.split("/")[:-1]:
        for prefix in PARTITION_PREFIXES:
            if part.startswith(prefix):
                text = part[len(prefix) :]
                value = pa.scalar(date.fromisoformat(text)) if prefix == "date=" else text
                test = ds.field(prefix[:-1]) == value
                found = test if found is None else found & test
    return found


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
