"""Atomic, journaled writes of Parquet files into the lake's hive partitions.

A batch is staged under <home>/staging, journaled in the manifest as `pending`, moved into its
partition directories with rename(), and committed together with the objects it came from.
`recover()` rolls back any batch a crash left pending, so the next run starts clean.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from vigil.config import Settings
from vigil.lake.manifest import Manifest, ObjectRecord
from vigil.lake.tables import PARTITIONS, TableSpec

INFLIGHT = ".inflight"


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)


def partition_dir(lake: Path, table: str, account: str, region: str, day: date) -> Path:
    return lake / table / f"aws_account={account}" / f"aws_region={region}" / f"date={day}"


def write_options(spec: TableSpec, final: bool = False) -> dict[str, Any]:
    """Fresh ingest favours speed (snappy); compaction rewrites smaller (zstd)."""
    if final or not spec.dictionary_columns:
        return {"compression": "zstd", "compression_level": 3 if final else 1}
    return {"compression": "snappy", "use_dictionary": list(spec.dictionary_columns)}


@dataclass
class Batch:
    spec: TableSpec
    tables: list[pa.Table] = field(default_factory=list)
    objects: list[ObjectRecord] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.tables)


class LakeWriter:
    def __init__(self, settings: Settings, manifest: Manifest) -> None:
        self.settings = settings
        self.manifest = manifest

    def recover(self) -> int:
        """Finish or undo batches a crash interrupted; returns how many were repaired."""
        repaired = 0
        for batch_id, files, removes in self.manifest.pending_batches():
            inflight = [Path(f + INFLIGHT) for f in files]
            if removes and all(
                p.exists() or Path(f).exists() for p, f in zip(inflight, files, strict=True)
            ):
                self._publish(files, removes)  # a compaction that had all its files: finish it
            else:
                for f in files:
                    for path in (Path(f), Path(f + INFLIGHT)):
                        path.unlink(missing_ok=True)
            shutil.rmtree(self.settings.staging_dir / batch_id, ignore_errors=True)
            self.manifest.forget_batch(batch_id)
            repaired += 1
        # Staged files of a batch that never reached the journal: nothing refers to them.
        if self.settings.staging_dir.exists():
            for leftover in self.settings.staging_dir.iterdir():
                shutil.rmtree(leftover, ignore_errors=True)
        return repaired

    def commit(self, batch: Batch) -> list[Path]:
        """Write a batch's rows and mark its objects, all or nothing."""
        batch_id = new_batch_id()
        files = self.stage(batch.spec, batch.tables, batch_id) if batch.tables else []
        final = [str(f) for f, _ in files]
        self.manifest.begin_batch(batch_id, final)
        self._move_inflight(files)
        self._publish(final, [])
        self.manifest.commit_batch(batch_id, [_with_batch(o, batch_id) for o in batch.objects])
        shutil.rmtree(self.settings.staging_dir / batch_id, ignore_errors=True)
        return [Path(f) for f in final]

    def replace(self, spec: TableSpec, table: pa.Table, removes: list[Path]) -> list[Path]:
        """Swap `removes` for the rows of `table` (compaction, retention rewrites)."""
        batch_id = new_batch_id()
        files = self.stage(spec, [table], batch_id, final=True) if table.num_rows else []
        final = [str(f) for f, _ in files]
        self.manifest.begin_batch(batch_id, final, [str(p) for p in removes])
        self._move_inflight(files)
        self._publish(final, [str(p) for p in removes])
        self.manifest.commit_batch(batch_id, [])
        shutil.rmtree(self.settings.staging_dir / batch_id, ignore_errors=True)
        return [Path(f) for f in final]

    def stage(
        self, spec: TableSpec, tables: list[pa.Table], batch_id: str, final: bool = False
    ) -> list[tuple[Path, Path]]:
        """Write Parquet files to staging; returns (final path, staged path) pairs."""
        table = (
            tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
        )
        staging = self.settings.staging_dir / batch_id
        out: list[tuple[Path, Path]] = []
        for n, (key, part) in enumerate(split_partitions(table)):
            account, region, day = key
            target = partition_dir(self.settings.lake_dir, spec.name, account, region, day)
            name = f"part-{batch_id}-{n:04d}.parquet"
            staged = staging / spec.name / name
            staged.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                part.drop_columns(list(PARTITIONS)), staged, **write_options(spec, final)
            )
            out.append((target / name, staged))
        return out

    @staticmethod
    def _move_inflight(files: list[tuple[Path, Path]]) -> None:
        for target, staged in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, str(target) + INFLIGHT)

    @staticmethod
    def _publish(final: list[str], removes: list[str]) -> None:
        for path in removes:
            Path(path).unlink(missing_ok=True)
        for path in final:
            inflight = Path(path + INFLIGHT)
            if inflight.exists():
                os.replace(inflight, path)


def split_partitions(table: pa.Table) -> list[tuple[tuple[str, str, date], pa.Table]]:
    """Rows grouped by (aws_account, aws_region, date); one slice when all rows share one."""
    if table.num_rows == 0:
        return []
    keys = table.select(list(PARTITIONS)).group_by(list(PARTITIONS)).aggregate([]).to_pylist()
    if len(keys) == 1:
        k = keys[0]
        return [((k["aws_account"], k["aws_region"], k["date"]), table)]
    out = []
    for k in keys:
        mask = pc.and_(
            pc.and_(
                pc.equal(table["aws_account"], k["aws_account"]),
                pc.equal(table["aws_region"], k["aws_region"]),
            ),
            pc.equal(table["date"], pa.scalar(k["date"], pa.date32())),
        )
        out.append(((k["aws_account"], k["aws_region"], k["date"]), table.filter(mask)))
    return out


def _with_batch(obj: ObjectRecord, batch_id: str) -> ObjectRecord:
    from dataclasses import replace

    return replace(obj, batch_id=batch_id)
