"""What the newest posture snapshot says is attached to an instance, a network interface or an
address: an instance's interfaces and addresses, an interface's instance and addresses, the
interface and instance that hold an address (from describe-network-interfaces)."""

from __future__ import annotations

from typing import Any

from vigil.posture.snapshot import Snapshot


def _interfaces(snap: Snapshot) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for regions in snap.accounts.values():
        for calls in regions.values() if isinstance(regions, dict) else []:
            doc = calls.get("ec2 describe-network-interfaces") if isinstance(calls, dict) else None
            found = doc.get("NetworkInterfaces") if isinstance(doc, dict) else None
            out += [i for i in found or [] if isinstance(i, dict)]
    return out


def _addresses(interface: dict[str, Any]) -> list[str]:
    found = [interface.get("PrivateIpAddress")]
    found += [a.get("PrivateIpAddress") for a in interface.get("PrivateIpAddresses") or []
              if isinstance(a, dict)]  # fmt: skip
    association = interface.get("Association")
    if isinstance(association, dict):
        found.append(association.get("PublicIp"))
    found += [a.get("Ipv6Address") for a in interface.get("Ipv6Addresses") or []
              if isinstance(a, dict)]  # fmt: skip
    return sorted({str(a) for a in found if a})


def attached(snap: Snapshot, ident: str) -> list[str]:
    """The ids attached to `ident` (an instance, interface or address), each once."""
    out: list[str] = []
    for interface in _interfaces(snap):
        eni = str(interface.get("NetworkInterfaceId") or "")
        attachment = interface.get("Attachment")
        instance = str(attachment.get("InstanceId") or "") if isinstance(attachment, dict) else ""
        addresses = _addresses(interface)
        if ident in (eni, instance) or ident in addresses:
            out += [x for x in (instance, eni, *addresses) if x and x != ident and x not in out]
    return out
