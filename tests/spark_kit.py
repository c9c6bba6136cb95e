"""Spark's own processes started from the installed pyspark, as a user starts them: a Spark
Connect server, a standalone master and worker. Each on loopback, on a free port, its log in a
file; stopped (and killed if it lingers) when the test is done."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyspark

from serving import free_port

SPARK_HOME = Path(pyspark.__file__).parent


def _env(folder: Path) -> dict[str, str]:
    return {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_LOG_DIR": str(folder), "SPARK_PID_DIR": str(folder),
            "PYSPARK_PYTHON": sys.executable,
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}  # fmt: skip


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def spark_process(args: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`bin/<args>` running until the block ends; ready when `port` accepts connections."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(SPARK_HOME / "bin" / args[0]), *args[1:]], stdout=out,
                                stderr=subprocess.STDOUT, env=_env(log.parent),
                                start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{args[0]} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def connect_server(folder: Path) -> Iterator[str]:
    """A Spark Connect server (local[2]); its `sc://` URL."""
    port = free_port()
    args = ["spark-submit", "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--master", "local[2]", "--conf", f"spark.connect.grpc.binding.port={port}",
            "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
            "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1",
            "--conf", "spark.driver.bindAddress=127.0.0.1",
            "--conf", "spark.sql.session.timeZone=UTC"]  # fmt: skip
    with spark_process(args, port, folder / "connect.log"):
        yield f"sc://127.0.0.1:{port}"


@contextmanager
def standalone_cluster(folder: Path) -> Iterator[str]:
    """A standalone master and one worker (1 core, 1 GiB); the master's `spark://` URL."""
    port, ui, worker_ui = free_port(), free_port(), free_port()
    master = ["spark-class", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
              "--port", str(port), "--webui-port", str(ui)]  # fmt: skip
    url = f"spark://127.0.0.1:{port}"
    worker_port = free_port()
    worker = ["spark-class", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
              "--port", str(worker_port), "--webui-port", str(worker_ui), "--cores", "1",
              "--memory", "1g", "--work-dir", str(folder / "work"), url]  # fmt: skip
    with (spark_process(master, port, folder / "master.log"),
          spark_process(worker, worker_port, folder / "worker.log")):  # fmt: skip
        yield url
