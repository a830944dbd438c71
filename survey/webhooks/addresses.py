"""Which addresses a webhook may reach: the guard that keeps deliveries from becoming a way into our own
network (server-side request forgery).

A webhook URL is written by a person, but the request is made from inside our network, so it could reach
the database, an admin console or the cloud metadata service (169.254.169.254, which hands out
credentials). The rules:

- http or https only, no user name or password in the URL;
- the host is resolved, and the URL is refused if ANY of its addresses is loopback, private (RFC 1918,
  fc00::/7), link-local (169.254/16, fe80::/10: the metadata service), shared (CGNAT 100.64/10),
  unspecified, "this network" (0/8), multicast, reserved or otherwise not public — also when it hides in
  an IPv4-mapped, IPv4-compatible, NAT64, 6to4 or Teredo IPv6 address;
- the request then goes to the address that was checked (`Target.addresses`), never to a fresh lookup,
  so a name that resolves elsewhere a moment later (DNS rebinding) cannot redirect it;
- hosts the operator lists in HEARKEN_WEBHOOK_ALLOWED_HOSTS skip the address rules (an internal CRM).

Every check happens when an endpoint is registered (a clear form error) and again before each delivery.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
SCHEMES = {"http": 80, "https": 443}
URL_SAFE = "/%:@!$&'()*+,;=-._~?"

NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _flag(name: str) -> Callable[[IPAddress], bool]:
    return lambda address: getattr(address, name)


def _within(network: str) -> Callable[[IPAddress], bool]:
    parsed = ipaddress.ip_network(network)
    return lambda address: address.version == parsed.version and address in parsed


# Checked in this order; the first that applies names the reason. The explicit ranges are ones the
# ipaddress module does not flag, or not in every Python version.
RULES = (
    (_flag("is_unspecified"), "the unspecified address"),
    (_flag("is_loopback"), "a loopback address"),
    (_flag("is_link_local"), "a link-local address (where cloud metadata services such as 169.254.169.254 live)"),
    (_within("0.0.0.0/8"), "a “this network” address (0.0.0.0/8)"),
    (_within("100.64.0.0/10"), "a shared address (carrier-grade NAT, 100.64.0.0/10)"),
    (_within("192.0.0.0/24"), "an IETF protocol address (192.0.0.0/24)"),
    (_within("fc00::/7"), "a private address (unique local, fc00::/7)"),
    (_within("fec0::/10"), "a site-local address (fec0::/10)"),
    (_within("64:ff9b:1::/48"), "a local-use NAT64 address (64:ff9b:1::/48)"),
    (_flag("is_multicast"), "a multicast address"),
    (_flag("is_reserved"), "a reserved address"),
    (_flag("is_private"), "a private address"),
    (lambda address: not address.is_global, "not a public internet address"),
)


class AddressRefused(ValueError):
    """The URL may not be called; the message says why, in words an admin can act on."""


@dataclass(frozen=True)
class Target:
    """A vetted URL: where to connect (`addresses`, already checked) and what to ask for there."""

    scheme: str
    host: str  # ASCII (IDNA), without brackets; sent as the Host header and, for https, as SNI
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...]


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo client)."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def refusal(address: IPAddress) -> str | None:
    """Why a delivery may not go to this address, or None when it is a public internet address."""
    if address.version == 6 and (inner := embedded_ipv4(address)) is not None:
        if reason := refusal(inner):
            return f"an IPv6 form of {inner}, {reason}"
        if address.ipv4_mapped is not None or address in NAT64:
            return None  # a public IPv4 address reached through IPv6 (dual stack, or NAT64 on IPv6-only hosts)
    return next((reason for applies, reason in RULES if applies(address)), None)


def normalise_host(host: str) -> str:
    """Lower case, without brackets or a trailing dot; IP addresses in their canonical spelling."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def parse_allowed_hosts(value: str | Iterable[str]) -> tuple[str, ...]:
    """HEARKEN_WEBHOOK_ALLOWED_HOSTS: host names or IP addresses separated by commas."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(dict.fromkeys(normalise_host(item) for item in items if item.strip()))


@dataclass(frozen=True)
class _Parts:
    scheme: str
    host: str
    port: int
    path: str


def _parse(url: str) -> _Parts:
    if len(url) > MAX_URL_LENGTH:
        raise AddressRefused(f"The address is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(character) <= 32 or ord(character) == 127 for character in url):
        raise AddressRefused("The address may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise AddressRefused(f"The address is not valid: {error}.") from None
    if parts.scheme not in SCHEMES:
        raise AddressRefused("Webhook addresses start with https:// (or http://).")
    if "@" in parts.netloc:
        raise AddressRefused("Put no user name or password in the address; the signature proves who is calling.")
    if not parts.hostname:
        raise AddressRefused("The address has no host name.")
    try:
        port = parts.port or SCHEMES[parts.scheme]
        host = parts.hostname.encode("idna").decode("ascii") if not parts.hostname.isascii() else parts.hostname
    except (ValueError, UnicodeError) as error:
        raise AddressRefused(f"The address is not valid: {error}.") from None
    # HTTP request lines are ASCII: percent-encode what is not (already encoded parts stay as they are).
    path = quote(parts.path or "/", safe=URL_SAFE) + (f"?{quote(parts.query, safe=URL_SAFE)}" if parts.query else "")
    return _Parts(parts.scheme, normalise_host(host), port, path)


def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address of the host, in the resolver's order (IP literals in any spelling included)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused(f"Could not find the host {host} ({error}).") from None
    # A socket address of a family this Python cannot use is (int, bytes): not one it could connect to either.
    hosts = (info[4][0] for info in found if isinstance(info[4][0], str))
    addresses = tuple(dict.fromkeys(str(ipaddress.ip_address(host.split("%")[0])) for host in hosts))
    if not addresses:
        raise AddressRefused(f"Could not find the host {host}.")
    return addresses


def vet(url: str, *, allowed_hosts: str | Iterable[str] = ()) -> Target:
    """Check a webhook URL and resolve it once; the result says where the request may go."""
    parts = _parse(url.strip())
    addresses = resolve(parts.host, parts.port)
    if parts.host not in parse_allowed_hosts(allowed_hosts):
        for address in addresses:
            if reason := refusal(ipaddress.ip_address(address)):
                shown = parts.host if parts.host == address else f"{parts.host} ({address})"
                raise AddressRefused(f"{shown} is {reason}. Webhooks only go to public internet addresses, "
                                     "unless the operator allows the host in HEARKEN_WEBHOOK_ALLOWED_HOSTS.")
    return Target(parts.scheme, parts.host, parts.port, parts.path, addresses)
