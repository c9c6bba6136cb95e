"""Where a target may connect: never into the host's own networks unless the operator allows it.

A webhook, an API destination, Slack, PagerDuty or an SMTP server is named by a URL or a host
that a rule (written over the API, perhaps with a stolen key) chooses. Left unchecked, that is
server-side request forgery: the instance metadata service at 169.254.169.254, a database on
10.0.0.5, the server's own API. So every address a name resolves to is checked when the rule is
put, and again at the moment of connecting (a name may resolve elsewhere later: DNS rebinding),
and the connection goes to the very address that was checked. Redirects are followed only
through the same check.

Refused unless an operator-listed network (`allow_networks`) holds the address: loopback,
link-local (169.254.0.0/16 with the metadata service, fe80::/10, fd00:ec2::254), private
(10/8, 172.16/12, 192.168/16, 100.64/10 shared, fc00::/7 unique-local), unspecified,
multicast, reserved and documentation ranges, and any address of this host. The server's own
listening port on this host is refused even when its network is allowed.
"""

from __future__ import annotations

import fcntl
import ipaddress
import itertools
import smtplib
import socket
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from vigil.errors import VigilError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_SIOCGIFADDR: Final = 0x8915
_LOCAL_TTL: Final = 60.0
SERVING_PORTS: set[int] = set()  # the ports this process serves on (`vigil serve` adds its own)
_lock = threading.Lock()


class Refused(VigilError):
    """An address a target may not reach; the message says which and why."""


@dataclass(frozen=True)
class NetworkGuard:
    """The networks the operator allows (`allow_networks`) and the server's own ports."""

    allow: tuple[Network, ...] = ()
    own_ports: frozenset[int] = frozenset()
    what: str = "webhook"  # for messages: which setting allows more

    def check(self, address: Address, port: int | None) -> None:
        """Raise `Refused` unless a target may connect to this address and port."""
        plain = _unwrap(address)
        local = plain in local_addresses() or plain.is_loopback or plain.is_unspecified
        if local and port is not None and port in self.own_ports | SERVING_PORTS:
            raise Refused(f"{address} port {port} is this Vigil server itself")
        if any(plain in net or address in net for net in self.allow):
            return
        why = _why(plain) or ("an address of this host" if local else None)
        if why:
            raise Refused(
                f"{address} is {why}; targets may not reach it unless vigil.yaml lists its "
                f"network under targets: {{{self.what}: {{allow_networks: [...]}}}}"
            )

    def resolve(self, host: str, port: int | None) -> list[Address]:
        """Every address `host` names, each checked (all must pass: a name that answers with
        one public and one private address is refused)."""
        try:
            found = [ipaddress.ip_address(host.strip("[]").split("%", 1)[0])]
        except ValueError:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise Refused(f"cannot resolve {host}: {exc}") from exc
            found = list(dict.fromkeys(_parse(str(info[4][0])) for info in infos))
        for address in found:
            self.check(address, port)
        return found

    def check_url(self, url: str) -> None:
        """A webhook URL as a rule gives it: http(s), a host, and no refused address. A name
        that does not resolve now is left to the check at delivery."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused(f"{url!r} is not an http:// or https:// URL")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise Refused(f"{url!r}: {exc}") from exc
        try:
            self.resolve(parts.hostname, port)
        except Refused as exc:
            if not str(exc).startswith("cannot resolve"):
                raise

    # -- clients that connect only where the check allows (HTTP: netguard_http) --------------
    def smtp(self, host: str, port: int, timeout: float) -> smtplib.SMTP:
        return _SMTP(self, host, port, timeout=timeout)


def guard_of(allow: Iterable[str], own_ports: Iterable[int], what: str) -> NetworkGuard:
    return NetworkGuard(tuple(ipaddress.ip_network(n, strict=False) for n in allow),
                        frozenset(own_ports), what)  # fmt: skip


_local: dict[str, tuple[float, frozenset[Address]]] = {}


def local_addresses() -> frozenset[Address]:
    """This host's addresses, looked up at most once a minute."""
    with _lock:
        seen = _local.get("host")
        if seen and time.monotonic() - seen[0] < _LOCAL_TTL:
            return seen[1]
    found = frozenset(_host_addresses())
    with _lock:
        _local["host"] = (time.monotonic(), found)
    return found


def _why(address: Address) -> str | None:
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local or address == ipaddress.ip_address("fd00:ec2::254"):
        return "a link-local address (the instance metadata service lives there)"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if any(address in net for net in _PRIVATE if net.version == address.version):
        return "a private address"
    if address.is_reserved or address.is_private or not address.is_global:
        return "a reserved address (not routed on the internet)"
    return None


# RFC 1918, shared address space (carrier-grade NAT), unique-local IPv6
_PRIVATE: Final = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))  # fmt: skip


def _unwrap(address: Address) -> Address:
    """The IPv4 address inside an IPv6 one that carries it: IPv4-mapped (::ffff:127.0.0.1),
    NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo (2001::/32, its client)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def _parse(text: str) -> Address:
    return ipaddress.ip_address(text.split("%", 1)[0])


def _host_addresses() -> set[Address]:
    """This host's addresses: every local IPv4 address (the kernel's routing table of local
    addresses, secondary ones too; each interface's first where that cannot be read), every
    IPv6 address (Linux), and what the host name resolves to."""
    found: set[Address] = set(_local_ipv4())
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR,
                                         struct.pack("256s", name.encode()[:15]))  # fmt: skip
                except OSError:
                    continue
                found.add(ipaddress.IPv4Address(packed[20:24]))
    except OSError:
        pass
    inet6 = Path("/proc/net/if_inet6")
    if inet6.is_file():
        for line in inet6.read_text().splitlines():
            hexed = line.split()[0] if line.split() else ""
            if len(hexed) == 32:
                found.add(ipaddress.IPv6Address(int(hexed, 16)))
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(_parse(str(info[4][0])))
    except OSError:
        pass
    return found


def _local_ipv4() -> set[Address]:
    """`/proc/net/fib_trie`: each address listed just before a `/32 host LOCAL` line."""
    found: set[Address] = set()
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
    except OSError:
        return found
    for before, line in itertools.pairwise(lines):
        if "/32 host LOCAL" in line and "|--" in before:
            try:
                found.add(ipaddress.IPv4Address(before.split("|--", 1)[1].strip()))
            except ValueError:
                continue
    return found


class _SMTP(smtplib.SMTP):
    """SMTP that connects only to a checked address; STARTTLS still verifies the host name."""

    def __init__(self, guard: NetworkGuard, host: str, port: int, timeout: float) -> None:
        self.guard = guard
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        last: OSError | None = None
        for address in self.guard.resolve(host, port):
            try:
                return socket.create_connection((str(address), port), timeout)
            except OSError as exc:
                last = exc
        raise last or OSError(f"no address for {host}")


def serving_on(ports: Sequence[int]) -> None:
    """`vigil serve` says which ports it listens on: targets never reach them on this host."""
    with _lock:
        SERVING_PORTS.update(int(p) for p in ports)
