"""Spark as the query engine (`engine: spark`). pyspark is an optional extra
(`pip install cloudvigil[spark]`) and is imported only when an engine opens, so commands that
do not query start as fast as before."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.config import Settings
from vigil.errors import ConfigError

if TYPE_CHECKING:
    from vigil.query.spark.engine import SparkEngine


def open_spark(settings: Settings | Path | None, *, read_only: bool = True,
               master: str | None = None, remote: str | None = None,
               conf: dict[str, str] | None = None) -> SparkEngine:  # fmt: skip
    """A Spark engine over the lake's views (`settings` None: no views). `master` a Spark
    master URL (default local[2]), `remote` a Spark Connect URL instead; `conf` Spark
    settings over Vigil's defaults (loopback, UTC, no web UI)."""
    # pyspark warns about the pandas version on import; Vigil does not use pandas with Spark
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    try:
        from vigil.query.spark.engine import SparkEngine
        from vigil.query.spark.session import session
    except ImportError as exc:
        hint = "pip install 'cloudvigil[spark]' (and Java 17 or later)"
        raise ConfigError("engine spark needs pyspark, which is not installed", hint=hint) from exc
    if isinstance(settings, Settings) and settings.lake_url:
        raise ConfigError(
            f"engine spark does not read a lake on object storage ({settings.lake_url}) yet",
            hint="run on duckdb (engine: duckdb), which reads it through Arrow's S3 filesystem, "
            "or give Spark the lake on a shared file system",
        )
    lake = settings.lake_dir if isinstance(settings, Settings) else settings
    spark, owns = session(master=master, remote=remote, conf=conf)
    return SparkEngine(spark, lake, owns=owns, read_only=read_only)
