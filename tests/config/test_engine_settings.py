"""What every command reads of `<home>/vigil.yaml`: the engine, the lake and Spark's settings,
each overridden by its environment variable and the engine by a command's `--engine`; wrong
values are one line naming the file and key. `vigil query --dialect` transpiles a saved
query from Athena's or Spark's SQL first."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers import vigil
from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.live.serve_config import ServeConfig


def home_with(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "vigil.yaml").write_text(text)
    return home


def test_vigil_yaml_is_read_by_every_command_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("VIGIL_ENGINE", "VIGIL_LAKE", "VIGIL_SPARK_MASTER", "VIGIL_SPARK_REMOTE",
                 "VIGIL_LAKE_ENDPOINT_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    home = home_with(tmp_path, "engine: spark\nlake: s3://logs/lake\n"
                               "lake_endpoint_url: http://127.0.0.1:9000\n"
                               "spark: {master: 'local[1]', conf: {spark.executor.memory: 2g,"
                               " spark.sql.shuffle.partitions: 4}}\nport: 8800\n")  # fmt: skip
    settings = Settings.load(home)
    assert (settings.engine, settings.lake, settings.lake_endpoint_url) == (
        "spark", "s3://logs/lake", "http://127.0.0.1:9000")  # fmt: skip
    assert settings.spark.master == "local[1]" and settings.spark.remote is None
    assert settings.spark.conf == {"spark.executor.memory": "2g",
                                   "spark.sql.shuffle.partitions": "4"}  # fmt: skip
    monkeypatch.setenv("VIGIL_ENGINE", "duckdb")
    monkeypatch.setenv("VIGIL_SPARK_REMOTE", "sc://127.0.0.1:15002")
    again = Settings.load(home)
    assert again.engine == "duckdb" and again.spark.remote == "sc://127.0.0.1:15002"
    assert Settings.load(home, engine="spark").engine == "spark"  # a command's --engine
    assert ServeConfig.load(again)["port"] == 8800  # the server takes the same file


@pytest.mark.parametrize(("text", "said"), [
    ("engine: oracle\n", "engine 'oracle' is not an engine"),
    ("engine: [duckdb]\n", "engine: a text value"),
    ("spark: local\n", "spark: a mapping of master, remote and conf"),
    ("spark: {masters: x}\n", "spark: a mapping of master, remote and conf"),
    ("spark: {conf: [a]}\n", "spark.conf: a mapping"),
    ("engine: [\n", "not valid YAML"),
])  # fmt: skip
def test_wrong_engine_settings_say_which_key(tmp_path: Path, text: str, said: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("VIGIL_ENGINE", raising=False)
    home = home_with(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        Settings.load(home)
    assert said in str(caught.value)
    done = vigil(home, "query", "SELECT 1", "--json")
    assert done.returncode != 0 and said in done.stderr and "internal error" not in done.stderr


def test_the_spark_engine_without_pyspark_is_one_clear_error(tmp_path: Path) -> None:
    hidden = tmp_path / "no-pyspark" / "pyspark"  # an environment where pyspark is not installed
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('No module named pyspark')\n")
    env = {
        **os.environ,
        "PYTHONPATH": f"{hidden.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    home = home_with(tmp_path, "engine: spark\n")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "vigil", "--home", str(home), "query",
                           "SELECT 1"], capture_output=True, text=True, env=env)  # fmt: skip
    assert done.returncode != 0
    assert "engine spark needs pyspark, which is not installed" in done.stderr
    assert "pip install 'cloudvigil[spark]'" in done.stderr and "internal error" not in done.stderr


def test_a_query_written_for_athena_runs_on_duckdb(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sql = ("SELECT date_diff('day', from_iso8601_timestamp('2024-01-01T00:00:00Z'), "
           "from_iso8601_timestamp('2024-01-31T00:00:00Z')) AS days")  # fmt: skip
    done = vigil(home, "ingest", str(tmp_path), "--json")  # an empty lake is enough
    assert done.returncode in (0, 1)
    answer = vigil(home, "query", sql, "--dialect", "athena", "--json")
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout) == [{"days": 30}]
    bad = vigil(home, "query", "SELECT 1", "--dialect", "cobol")
    assert bad.returncode != 0 and "--dialect" in bad.stderr


def test_a_lake_on_object_storage_other_than_s3_is_refused_clearly(tmp_path: Path) -> None:
    home = home_with(tmp_path, "lake: gs://logs/lake\n")
    done = vigil(home, "query", "SELECT count(*) FROM flow_logs")
    assert done.returncode != 0 and "only S3 (s3://bucket/prefix) is read" in done.stderr
    assert not (Path.cwd() / "gs:").exists()  # never taken for a local folder
