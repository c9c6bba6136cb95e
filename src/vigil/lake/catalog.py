"""The lake's layout: which Parquet files a table holds (hive partitions per account, Region
and day). Views and queries over them are the engine's (`vigil.query.engine`)."""

from __future__ import annotations

from pathlib import Path


def table_files(lake: Path, table: str) -> list[Path]:
    return sorted((lake / table).glob("aws_account=*/aws_region=*/date=*/*.parquet"))
