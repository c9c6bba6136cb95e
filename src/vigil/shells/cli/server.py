"""Starting the server (uvicorn over the HTTP app, the worker beside it) for `vigil serve` and
`vigil demo --serve`: shared start-up, not a command."""

from __future__ import annotations

import logging
import signal
import sys

from vigil.api import Settings, runtime, serve

log = logging.getLogger("vigil.serve")


def run_server(settings: Settings, config: serve.ServeConfig) -> None:
    """Serve until SIGTERM or Ctrl-C (in-flight requests and the worker's round finish)."""
    import uvicorn

    from vigil.shells.http.app import ServerOptions, build_app
    from vigil.shells.http.headers import SecurityHeaders
    from vigil.shells.http.limits import BodyLimits

    logging.basicConfig(level=str(config["log_level"]).upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")  # fmt: skip
    settings = serve.for_serving(settings, config)
    telemetry = serve.Telemetry(settings)
    service = runtime.service(settings, telemetry, config)
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
