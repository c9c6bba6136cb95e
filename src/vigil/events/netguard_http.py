"""The guarded HTTP transport: httpx and httpcore connecting only where the network guard
allows, every hop (redirects too) resolved and checked first. Loaded with the first delivery."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from vigil.events.netguard import NetworkGuard, Refused


class GuardBackend(httpcore.NetworkBackend):
    """Resolves, checks, then connects to the checked address (TLS still verifies the name)."""

    def __init__(self, guard: NetworkGuard) -> None:
        self.guard = guard
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.guard.resolve(host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(str(address), port, timeout, local_address,
                                              socket_options)  # fmt: skip
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise Refused("a target may not connect to a Unix socket")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a pool whose every connection goes through the guard."""

    def __init__(self, guard: NetworkGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             network_backend=GuardBackend(guard))  # fmt: skip


def http_client(guard: NetworkGuard, timeout: float) -> httpx.Client:
    """An HTTP client whose every connection (redirects too) goes through the guard's check;
    the environment's proxies are not used, since a proxy would connect on our behalf."""
    return httpx.Client(transport=GuardedTransport(guard), timeout=timeout, trust_env=False,
                        follow_redirects=True, max_redirects=3)  # fmt: skip
