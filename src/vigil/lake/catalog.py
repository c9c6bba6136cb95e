"""The lake's layout: which Parquet files a table holds (hive partitions per account, Region
and day). Views and queries over them are the engine's (`vigil.query.engine`); which files a
reader sees while writers replace others is `vigil.lake.snapshot`'s."""

from __future__ import annotations

from vigil.lake.snapshot import table_files

__all__ = ["table_files"]
