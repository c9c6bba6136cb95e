"""`vigil serve`: the HTTP API, the AWS-compatible endpoints and the worker in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from vigil.api import serve
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.server import run_server


def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default 8700; 0 picks a free one).")
    ] = None,
    tls_cert: Annotated[str | None, typer.Option(help="TLS certificate (PEM).")] = None,
    tls_key: Annotated[str | None, typer.Option(help="TLS private key (PEM).")] = None,
    insecure_no_auth: Annotated[
        bool, typer.Option("--insecure-no-auth", help="Accept unsigned requests (loopback only).")
    ] = False,
    check: Annotated[bool, typer.Option("--check", help="Validate vigil.yaml and exit.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Run the server: native API, AWS-compatible endpoints and the worker, until SIGTERM."""
    settings = ctx.obj
    config = serve.ServeConfig.load(settings, {
        "host": host, "port": port, "tls_cert": tls_cert, "tls_key": tls_key,
        "insecure_no_auth": insecure_no_auth or None,
    })  # fmt: skip
    if check:
        if json_out:
            render.print_json({"ok": True, "file": config.path, "settings": config.values})
        else:
            render.line(f"{config.path}: ok")
        return
    run_server(settings, config)
