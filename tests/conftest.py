"""Shared fixtures: a moto server for the session, AWS test credentials, a fresh Vigil home per
test. The shared helpers (AWS-shaped files, the `vigil` command) are in helpers.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vigil.config import Settings


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One AWS endpoint for the session: moto in server mode on a free loopback port."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def spark_running() -> Iterator[None]:
    """One Spark for the test process: the engines Spark tests open run on it, sessions of
    their own given back when they close, instead of a JVM started and stopped a module
    (10 to 15 s each)."""
    pytest.importorskip("pyspark")
    from vigil.query.spark import open_spark

    engine = open_spark(None)
    yield
    engine.close()


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The endpoint, with test credentials in the environment (the standard chain finds them)."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    return moto_server


@pytest.fixture
def home(tmp_path: Path) -> Settings:
    settings = Settings.load(tmp_path / "home")
    settings.ensure()
    return settings


_SLOW_CALLS = (
    "vigil(",
    "cli(",
    "run(tmp_path",
    "run(home",
    "subprocess.",
    "moto",
    "boto3.",
    "refused_wrongly(",
    "@given",
    "@settings(",
)  # processes, AWS, property tests


# The files of a minute or more of the suite, the longest first: scheduled first, so that the
# workers (a file is one worker's: --dist loadfile) end together on the short ones.
FIRST = (
    "tests/e2e/test_console.py",
    "tests/content/test_content_spark.py",
    "tests/lake/test_s3_lake.py",
    "tests/content/test_content.py",
    "tests/e2e/test_demo_spark.py",
    "tests/live/test_serve_live.py",
    "tests/query/test_spark_connect.py",
    "tests/e2e/test_entities.py",
    "tests/e2e/test_spark_cluster_job.py",
    "tests/e2e/test_crash.py",
    "tests/e2e/test_wheel.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (FIRST). Tests that start processes (the `vigil` command, the
    AWS CLI) or talk to the moto server are `slow`: `make test-fast` leaves them out, `make
    test` runs everything."""
    import inspect

    order = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda item: order.get(item.nodeid.split("::")[0], len(FIRST)))

    for item in items:
        function = getattr(item, "function", None)
        fixtures = getattr(item, "fixturenames", ())
        try:
            source = inspect.getsource(function) if function is not None else ""
        except (OSError, TypeError):
            source = ""
        if "aws" in fixtures or "moto_server" in fixtures or any(c in source for c in _SLOW_CALLS):
            item.add_marker(pytest.mark.slow)


CHROMIUM = "/usr/bin/chromium"  # Debian's (make browser); Playwright's own download is not used


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, for the console's tests."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: make browser"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])  # fmt: skip
        yield b
        b.close()


@pytest.fixture
def hook() -> Iterator[Any]:
    """A webhook receiver on loopback (tests' own HTTP server)."""
    from helpers import Endpoint

    receiver = Endpoint()
    yield receiver
    receiver.close()
