"""`vigil serve` (the HTTP API, the AWS-compatible endpoints and the worker in one process),
`vigil users`, `vigil tokens`, `vigil keys` and `vigil audit`."""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from vigil import api
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of

users_app = typer.Typer(help=help_of("users"), no_args_is_help=True)
tokens_app = typer.Typer(help=help_of("tokens"), no_args_is_help=True)
keys_app = typer.Typer(help=help_of("keys"), no_args_is_help=True)
log = logging.getLogger("vigil.serve")


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
    config = api.serve.ServeConfig.load(settings, {
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


def run_server(settings: api.Settings, config: api.serve.ServeConfig) -> None:
    """Serve until SIGTERM or Ctrl-C (in-flight requests and the worker's round finish)."""
    import uvicorn

    from vigil.shells.http.app import ServerOptions, build_app
    from vigil.shells.http.headers import SecurityHeaders
    from vigil.shells.http.limits import BodyLimits

    logging.basicConfig(level=str(config["log_level"]).upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")  # fmt: skip
    settings = api.serve.for_serving(settings, config)
    telemetry = api.serve.Telemetry(settings)
    service = api.serve.Service(settings, telemetry, float(str(config["worker_interval"])),
                                float(str(config["detect_interval"])),
                                float(str(config["alarm_interval"])),
                                float(str(config["compact_interval"])))  # fmt: skip
    options = ServerOptions(auth=not config["insecure_no_auth"], account=str(config["account"]),
                            region=str(config["region"]),
                            metrics_open=bool(config["metrics_open"]))  # fmt: skip
    app = build_app(settings, service, options)
    # X-Forwarded-For and -Proto are believed only from the proxies the operator lists: from
    # anyone else (loopback included) they would let a client choose its own address.
    proxies = list(config["trusted_proxies"])  # type: ignore[call-overload]
    # the headers wrap everything, the error pages of the outermost handler and the refusals of
    # the body limits included
    server = uvicorn.Server(uvicorn.Config(
        SecurityHeaders(BodyLimits(app)), host=str(config["host"]), port=int(str(config["port"])),
        log_level="warning",
        ssl_certfile=config["tls_cert"], ssl_keyfile=config["tls_key"],  # type: ignore[arg-type]
        access_log=False, lifespan="off", timeout_graceful_shutdown=30,
        proxy_headers=bool(proxies), forwarded_allow_ips=proxies or [],
        server_header=False,
    ))  # fmt: skip
    app.state.console.stopping = lambda: server.should_exit  # live streams end at SIGTERM
    from vigil.demo.receiver import serve_for

    receiver = serve_for(settings)  # a demo home's webhook goes to the demo's own receiver
    if receiver is not None:
        log.info("the demo's webhook receiver listens on %s", receiver.url)
    service.start()
    scheme = "https" if config["tls_cert"] else "http"
    log.info("listening on %s://%s:%s; home %s; authentication %s", scheme, config["host"],
             config["port"], settings.home, "on" if options.auth else "OFF")  # fmt: skip
    # uvicorn finishes in-flight requests on SIGTERM/SIGINT, then raises the signal again for
    # the handler that was there before: this one, so the worker stops cleanly and we exit 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    try:
        server.run()
    finally:
        service.stop()
        if receiver is not None:
            receiver.close()


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    name: str,
    role: Annotated[
        str, typer.Option(help="viewer, analyst, admin, or metrics (a scraper: /metrics only).")
    ] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Add a user (a password lets them sign in to the console)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    user = api.access.create_user(ctx.obj, name, role, password)
    if json_out:
        render.print_json(api.access.as_dict(user))
    else:
        render.line(f"user {user.name} ({user.role}) created")


@users_app.command("list")
def users_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The users and their roles."""
    found = api.access.users(ctx.obj)
    if json_out:
        render.print_json([api.access.as_dict(u) for u in found])
        return
    render.table(["name", "role", "sign-in", "created"],
                 [[u.name, str(u.role), "yes" if u.can_sign_in else "no", u.created_at]
                  for u in found], title="users")  # fmt: skip


@users_app.command("set-password")
def users_set_password(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Set a user's password, read from stdin."""
    api.access.set_password(ctx.obj, name, sys.stdin.readline().rstrip("\n"))
    render.print_json({"user": name, "password": "set"}) if json_out else render.line("done")


@users_app.command("remove")
def users_remove(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Remove a user with their tokens and keys."""
    api.access.delete_user(ctx.obj, name)
    render.print_json({"removed": name}) if json_out else render.line(f"user {name} removed")


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Owner (default: the built-in admin).")] = None,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    json_out: JsonFlag = False,
) -> None:
    """A Bearer token for the API (shown once)."""
    made = api.access.create_token(ctx.obj, user, label)
    if json_out:
        render.print_json(asdict(made))
    else:
        render.line(made.token)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Tokens (their ids, never the tokens)."""
    found = api.access.tokens(ctx.obj)
    if json_out:
        render.print_json(found)
        return
    render.table(["id", "user", "label", "created", "last used"],
                 [[t["id"], t["user"], t["label"], t["created_at"], t["last_used_at"] or ""]
                  for t in found], title="tokens")  # fmt: skip


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, ident: str, json_out: JsonFlag = False) -> None:
    """Revoke a token by its id."""
    api.access.revoke_token(ctx.obj, ident)
    render.print_json({"revoked": ident}) if json_out else render.line(f"token {ident} revoked")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Owner (default: the built-in admin).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """An access key for SigV4 clients (AWS CLI, SDKs); the secret is shown once."""
    made = api.access.create_key(ctx.obj, user)
    if json_out:
        render.print_json(made)
    else:
        render.rows(list(made.items()), title="access key (the secret is not shown again)")


@keys_app.command("list")
def keys_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Access keys (ids and owners)."""
    found = api.access.keys(ctx.obj)
    if json_out:
        render.print_json(found)
        return
    render.table(["AccessKeyId", "user", "status", "created"],
                 [[k["AccessKeyId"], k["UserName"], k["Status"], k["CreateDate"]]
                  for k in found], title="access keys")  # fmt: skip


@keys_app.command("remove")
def keys_remove(ctx: typer.Context, key_id: str, json_out: JsonFlag = False) -> None:
    """Delete an access key."""
    api.access.delete_key(ctx.obj, key_id)
    render.print_json({"removed": key_id}) if json_out else render.line(f"key {key_id} removed")


def audit_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    user: Annotated[str | None, typer.Option(help="Only this user's changes.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Every change made through the server or to access: who, what, when, from where."""
    found = api.access.audit_log(ctx.obj, limit, user)
    if json_out:
        render.print_json(found)
        return
    render.table(["time", "user", "action", "target", "from", "result"],
                 [[e["time"], e["user"], e["action"], e["target"], e["source"], e["result"]]
                  for e in found], title="audit")  # fmt: skip


def agent_command(
    config: Annotated[Path, typer.Option("--config", help="agent.yaml (CloudWatch agent keys).")],
    once: Annotated[bool, typer.Option(help="Read what is there, send it, and exit.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Tail files (and receive syslog) into CloudWatch Logs: Vigil's or AWS's."""
    import threading

    settings = api.agent.load(config)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    totals = api.agent.run(settings, stop, once=once)
    text = (f"sent {totals.sent} events in {totals.calls} calls ({totals.retries} retries, "
            f"{totals.rejected} rejected)")  # fmt: skip
    render.done(json_out, text, asdict(totals))
