"""Typed settings, loaded once and passed down."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from vigil.errors import ConfigError

DEFAULT_HOME = Path("vigil-data")
ENGINES: Final = ("duckdb", "spark")
# what every command reads of <home>/vigil.yaml (the server reads the rest too)
ENGINE_KEYS: Final = ("engine", "lake", "lake_endpoint_url", "spark")
LAKE_MARKER: Final = "_lake.json"  # in the index of a lake on object storage
_URL: Final = re.compile(r"^[a-z][a-z0-9+.-]*://")
_MARKED: set[tuple[Path, str | None, str | None]] = set()  # lake indexes marked by this process
PRIVATE_UMASK = 0o077  # every file Vigil writes is its owner's alone


@dataclass(frozen=True)
class QueryLimits:
    """What one query may take. The server sets all of them for what clients send (native API,
    console, Insights, evidence: `query_*` in vigil.yaml); the CLI runs its user's own SQL with
    none but the memory limit."""

    seconds: float | None = None  # then it is interrupted
    memory: str | None = None  # DuckDB's memory_limit (it spills to disk beyond)
    max_rows: int | None = None  # rows returned at most; reading stops there
    concurrency: int = 4  # queries at once; a few more wait (up to `seconds`), others refused
    max_bytes: int | None = None  # the rows' size at most (wide rows): reading stops there
    threads: int | None = None  # DuckDB threads per statement (the server's own work too)


@dataclass(frozen=True)
class SparkSettings:
    """Where Spark runs, when `engine: spark`: a master (`local[2]`, `spark://host:7077`,
    `yarn`) or a Spark Connect server (`sc://host:15002`), and `conf` keys for the session."""

    master: str | None = None  # VIGIL_SPARK_MASTER; default local[2]
    remote: str | None = None  # VIGIL_SPARK_REMOTE
    conf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Where Vigil keeps its data. Every path derives from `home`."""

    home: Path
    engine: str = "duckdb"  # the query engine (VIGIL_ENGINE): duckdb, embedded; or spark
    lake: str | None = None  # VIGIL_LAKE: a local path or s3://bucket/prefix; default <home>/lake
    limits: QueryLimits = field(default_factory=QueryLimits)  # for clients' queries
    lake_endpoint_url: str | None = None  # an S3-compatible store (VIGIL_LAKE_ENDPOINT_URL)
    spark: SparkSettings = field(default_factory=SparkSettings)

    @classmethod
    def load(cls, home: str | Path | None = None, engine: str | None = None) -> Settings:
        """The home's settings: `engine`, `lake`, `lake_endpoint_url` and `spark` from
        `<home>/vigil.yaml`, each overridden by its environment variable, and `engine` by the
        command's own `--engine`."""
        chosen = Path(home or os.environ.get("VIGIL_HOME") or DEFAULT_HOME).expanduser().absolute()
        doc = _engine_settings(chosen / "vigil.yaml")
        spark = doc.get("spark") or {}
        conf = spark.get("conf") or {}
        picked = engine or os.environ.get("VIGIL_ENGINE") or doc.get("engine") or "duckdb"
        if picked not in ENGINES:
            raise ConfigError(f"engine {picked!r} is not an engine",
                              hint=f"engines: {', '.join(ENGINES)}")  # fmt: skip
        return cls(
            home=chosen,
            engine=picked,
            lake=os.environ.get("VIGIL_LAKE") or doc.get("lake") or None,
            lake_endpoint_url=os.environ.get("VIGIL_LAKE_ENDPOINT_URL")
            or doc.get("lake_endpoint_url")
            or None,
            spark=SparkSettings(
                master=os.environ.get("VIGIL_SPARK_MASTER") or spark.get("master") or None,
                remote=os.environ.get("VIGIL_SPARK_REMOTE") or spark.get("remote") or None,
                conf={str(k): str(v) for k, v in conf.items()},
            ),
        )

    @property
    def content_dir(self) -> Path:
        """The user's own content units, in the layout of the built-in ones."""
        return self.home / "content"

    @property
    def lake_url(self) -> str | None:
        """The lake's place on object storage (`s3://bucket/prefix`), or None for a lake in a
        local folder (a plain path or a `file://` URL)."""
        if not self.lake or not _URL.match(self.lake) or self.lake.startswith("file://"):
            return None
        bucket = self.lake.removeprefix("s3://").split("/", 1)[0]
        if not self.lake.startswith("s3://") or not bucket:
            raise ConfigError(f"lake {self.lake}: only S3 (s3://bucket/prefix) is read as "
                              "object storage", hint="give the lake as s3://bucket/prefix, "
                              "or a local path")  # fmt: skip
        return self.lake.rstrip("/")

    @property
    def lake_dir(self) -> Path:
        """The lake's local folder: the lake itself, or for a lake on object storage its index
        (a small file per live object, and the readers' claims: `vigil.lake.store`)."""
        if self.lake_url:
            index = self.home / "lake-index"
            if (index, self.lake_url, self.lake_endpoint_url) not in _MARKED:
                self.mark_lake(index)
            return index
        if self.lake:
            return Path(self.lake.removeprefix("file://")).expanduser().absolute()
        return self.home / "lake"

    @property
    def lake_location(self) -> str:
        """Where the lake's files are, as a user would name it."""
        return self.lake_url or str(self.lake_dir)

    @property
    def staging_dir(self) -> Path:
        """Temporary files live beside the lake so that rename() stays on one filesystem."""
        return self.home / "staging"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def state_db(self) -> Path:
        return self.home / "state.db"

    @property
    def temp_dir(self) -> Path:
        """Where query engines spill what does not fit their memory limit."""
        return self.home / "tmp"

    def ensure(self) -> None:
        private_files()
        for path in (self.home, self.lake_dir, self.staging_dir, self.quarantine_dir):
            path.mkdir(parents=True, exist_ok=True)
        if self.home.stat().st_mode & 0o077:  # a home made before files were kept private
            self.home.chmod(0o700)

    def mark_lake(self, index: Path) -> None:
        """A lake on object storage's index names it (`_lake.json`: the URL and the endpoint,
        so that an engine given only the folder reads the objects), once a process; an index
        made for another lake is refused rather than mixed with this one."""
        url = self.lake_url
        marker = index / LAKE_MARKER
        try:
            known = json.loads(marker.read_text()).get("url")
        except (OSError, ValueError, AttributeError):
            known = None
        if known and known != url:
            raise ConfigError(f"{index} is the index of the lake {known}, not of {url}",
                              hint="move it aside to start the new lake (state.db still "
                              "records the objects ingested)")  # fmt: skip
        text = json.dumps({"url": url, "endpoint_url": self.lake_endpoint_url})
        try:
            if not marker.exists() or marker.read_text() != text:
                index.mkdir(parents=True, exist_ok=True)
                staged = marker.with_name(marker.name + ".tmp")
                staged.write_text(text)
                os.replace(staged, marker)
        except OSError:
            return  # a read-only home: readers take the marker as it is
        _MARKED.add((index, url, self.lake_endpoint_url))


def _engine_settings(path: Path) -> dict[str, Any]:
    """What every command reads of vigil.yaml (nothing when there is none), checked: a wrong
    value names the file and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from None
    import yaml  # only when there is a file: most homes have none

    try:
        doc = yaml.safe_load(text[: 1 << 20]) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: the settings are a mapping of keys to values")
    out = {k: doc[k] for k in ENGINE_KEYS if doc.get(k) is not None}
    for key in ("engine", "lake", "lake_endpoint_url"):
        if key in out and not isinstance(out[key], str):
            raise ConfigError(f"{path}: {key}: a text value")
    spark = out.get("spark", {})
    if not isinstance(spark, dict) or set(spark) - {"master", "remote", "conf"}:
        example = 'spark: {master: "local[2]", conf: {spark.executor.memory: 2g}}'
        raise ConfigError(f"{path}: spark: a mapping of master, remote and conf", hint=example)
    if not isinstance(spark.get("conf") or {}, dict):
        raise ConfigError(f"{path}: spark.conf: a mapping of Spark settings to values")
    return out


def private_files() -> None:
    """Files and folders Vigil creates from here on are readable by their owner only (state,
    keys, the lake's CloudTrail): the process's umask, set once at start."""
    os.umask(PRIVATE_UMASK)


def tighten(home: Path) -> int:
    """Make every file and folder in the home its owner's alone: what an earlier release left
    readable (state.db at 0644) and what the operator wrote (vigil.yaml, rules, allow-lists,
    which grant targets their reach). Returns how many were changed."""
    changed = 0
    for folder, dirs, files in os.walk(home):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            try:
                mode = os.lstat(path).st_mode
                if mode & 0o077 and not os.path.islink(path):
                    os.chmod(path, mode & 0o700)
                    changed += 1
            except OSError:
                continue  # gone meanwhile, or not ours
    return changed


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}  # fmt: skip


def memory_bytes(text: str) -> int:
    """`512MB`, `2GiB`, `1.5GB` as bytes (ValueError otherwise)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(text)
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").upper()])
