"""A real `vigil serve` for tests: a process on a free loopback port, an admin and a viewer
key and token made with the CLI, stopped (kill) when the block ends."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from helpers import allow_loopback, vigil


@dataclass
class Server:
    url: str
    home: Path
    proc: subprocess.Popen[bytes]
    admin: dict[str, str]
    viewer: dict[str, str]
    admin_token: str
    viewer_token: str

    def logs(self, key: dict[str, str] | None = None, secret: str | None = None) -> Any:
        return self.client("logs", key, secret)

    def client(self, service: str, key: dict[str, str] | None = None,
               secret: str | None = None, **config: Any) -> Any:  # fmt: skip
        key = key or self.admin
        return boto3.client(service, endpoint_url=self.url, region_name="eu-west-1",
                            aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=secret or key["SecretAccessKey"],
                            config=Config(**config) if config else None)  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(home: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`vigil serve` on the home (the environment passed on: AWS test credentials, settings)."""
    port = port or free_port()
    with open(home / "serve.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "vigil", "--home", str(home), "serve",
                                 "--port", str(port)], stdout=subprocess.DEVNULL,
                                stderr=log)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError((home / "serve.log").read_text())
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not become ready in 60 s")


@contextmanager
def serving(home: Path, *, loopback_targets: bool = True) -> Iterator[Server]:
    """A server on the home; with `loopback_targets` its vigil.yaml lets webhooks reach the
    tests' receivers on loopback (closed by default, as for any operator)."""
    home.mkdir(parents=True, exist_ok=True)
    if loopback_targets:
        allow_loopback(home)
    admin = json.loads(vigil(home, "keys", "create", "--json").stdout)
    assert vigil(home, "users", "create", "vera", "--role", "viewer").returncode == 0
    viewer = json.loads(vigil(home, "keys", "create", "--user", "vera", "--json").stdout)
    admin_token = json.loads(vigil(home, "tokens", "create", "--json").stdout)["token"]
    viewer_token = json.loads(vigil(home, "tokens", "create", "--user", "vera",
                                    "--json").stdout)["token"]  # fmt: skip
    proc, url = start(home)
    try:
        yield Server(url, home, proc, admin, viewer, admin_token, viewer_token)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def with_protocol(server: Server, service: str, protocol: str, folder: Path,
                  key: dict[str, str] | None = None, **config: Any) -> Any:  # fmt: skip
    """A boto3 client for `service` that speaks `protocol` (json, query, smithy-rpc-v2-cbor):
    botocore picks the first protocol its model lists that it supports, so the model is
    copied with only this one listed, into a data path searched before botocore's own."""
    import botocore.session

    session = botocore.session.Session()
    loader = session.get_component("data_loader")
    version = loader.determine_latest_version(service, "service-2")
    doc = loader.load_service_model(service, "service-2", version)
    doc["metadata"]["protocols"] = [protocol]
    doc["metadata"]["protocol"] = protocol
    where = folder / protocol / service / version
    where.mkdir(parents=True, exist_ok=True)
    (where / "service-2.json").write_text(json.dumps(doc))
    loader.search_paths.insert(0, str(folder / protocol))
    key = key or server.admin
    return boto3.Session(botocore_session=session).client(
        service, endpoint_url=server.url, region_name="eu-west-1",
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        config=Config(**config) if config else None,
    )  # fmt: skip


def signed_post(server: Server, service: str, body: bytes, headers: dict[str, str],
                path: str = "/", key: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
    """A request built by hand (any body at all) and signed with SigV4 by botocore's own
    signer for `service` (its signing name: logs, events, monitoring, securityhub)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key = key or server.admin
    req = AWSRequest("POST", server.url + path, data=body, headers=headers)
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), service,
              "eu-west-1").add_auth(req)  # fmt: skip
    sent = {k: v if isinstance(v, str) else v.decode() for k, v in req.headers.items()}
    return httpx.post(server.url + path, content=body, headers=sent, timeout=60)


def error_code(reply: httpx.Response) -> str:
    """The AWS error code of a reply in any protocol: query-compatible header, XML or JSON."""
    header = reply.headers.get("x-amzn-query-error")
    if header:
        return header.split(";")[0]
    if reply.text.startswith("<"):
        return reply.text.split("<Code>")[1].split("</Code>")[0]
    if reply.headers.get("content-type", "").startswith("application/cbor"):
        import cbor2

        return str(cbor2.loads(reply.content)["__type"]).rsplit("#", 1)[-1]
    return str(reply.json()["__type"]).rsplit("#", 1)[-1]


def sign_in(client: httpx.Client, user: str, password: str, **headers: str) -> httpx.Response:
    """The console's sign-in form as a browser sends it: the page's CSRF token, then the post."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, "the sign-in page has a CSRF token"
    form = {"username": user, "password": password, "csrf_token": token[1]}
    return client.post("/login", data=form, headers=headers)
