"""Spark as the query engine (`engine: spark`). pyspark is an optional extra
(`pip install cloudvigil[spark]`) and is imported only when an engine opens, so commands that
do not query start as fast as before."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.config import Settings
from vigil.errors import ConfigError


def s3a_conf(endpoint_url: str | None) -> dict[str, str]:
    """Hadoop's S3A settings for the lake's endpoint (an S3-compatible store: path-style
    requests); none for AWS itself, where the connector's defaults and credential chain
    apply. The caller's `conf` overrides them."""
    if not endpoint_url:
        return {}
    return {"spark.hadoop.fs.s3a.endpoint": endpoint_url,
            "spark.hadoop.fs.s3a.path.style.access": "true"}  # fmt: skip


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
    lake = settings.lake_dir if isinstance(settings, Settings) else settings
    if isinstance(settings, Settings) and settings.lake_url:  # read through Hadoop's S3A
        conf = {**s3a_conf(settings.lake_endpoint_url), **(conf or {})}
    spark, owns, defined = session(master=master, remote=remote, conf=conf)
    return SparkEngine(spark, lake, owns=owns, read_only=read_only, defined=defined)
