"""Webhook rules: who may be called, what a subscription follows, how a delivery is signed
and when a failed one is tried again.

Pure: addresses are `ipaddress` objects resolved elsewhere (services/webhooks.py), the
clock and the randomness of the jitter come in as arguments, so every rule here is tested
in milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import msgspec

from inventory_svc.domain.errors import BadRequest, DestinationRefused
from inventory_svc.domain.events import EventType, type_filter

SIGNATURE_HEADER = "X-Inventory-Signature"
"""`t=<unix seconds>,v1=<hex HMAC-SHA256 of f"{t}.{body}" with the subscription's secret>`."""

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# --- signatures ----------------------------------------------------------------------------


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The header value a receiver verifies: the timestamp is signed with the body, so a
    captured delivery cannot be replayed later under a fresh time."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def secret_hint(secret: str) -> str:
    """What GET shows of a secret: enough to tell two apart, never enough to sign."""
    return "…" + secret[-4:]


# --- backoff -------------------------------------------------------------------------------


def backoff_delay(attempts: int, base: float, cap: float, jitter: float) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling from `base`, at
    most `cap`, scaled by `jitter` in [0, 1) to between half and all of it, so receivers
    coming back up are not hit by every subscription at once."""
    if attempts < 1:
        return 0.0
    exponent = min(attempts - 1, 62)  # 2**62 seconds is already past any cap
    delay = min(base * 2.0**exponent, cap)
    return delay * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))


def is_exhausted(attempts: int, max_attempts: int) -> bool:
    """After this many failed attempts the delivery is dead and the next event goes."""
    return attempts >= max_attempts


# --- subscriptions -------------------------------------------------------------------------

KNOWN_TYPES = tuple(t.value for t in EventType)


def event_patterns(patterns: Sequence[str], known: Iterable[str] = KNOWN_TYPES) -> list[str]:
    """The subscription's patterns, checked and without repeats (first occurrence kept):
    each is `*`, a known type, or `prefix.*` matching at least one known type, so a typo
    is refused now rather than silently never delivering."""
    if not patterns:
        raise BadRequest("`events` names at least one event type, `prefix.*` or `*`.")
    known = tuple(known)
    kept: list[str] = []
    for pattern in patterns:
        text, is_prefix = type_filter(pattern)
        if is_prefix and not any(t.startswith(text) for t in known):
            raise BadRequest(f"No event type starts with {text!r} (pattern {pattern!r}).")
        if not is_prefix and text not in known:
            raise BadRequest(f"{pattern!r} is not an event type; known: {', '.join(known)}.")
        if pattern not in kept:
            kept.append(pattern)
    return kept


def matches(patterns: Sequence[str], event_type: str) -> bool:
    """Whether a subscription with these patterns receives an event of this type (the
    same matching as `GET /events?type=`)."""
    for pattern in patterns:
        text, is_prefix = type_filter(pattern)
        if event_type.startswith(text) if is_prefix else event_type == text:
            return True
    return False


# --- destinations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a URL points: the host as a name (lower case) or an address literal."""

    scheme: str
    host: str
    port: int
    address: IpAddress | None
    """Set when the URL names an address rather than a host name."""


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    allow_private: bool = False
    """INVENTORY_WEBHOOK_ALLOW_PRIVATE: loopback, private and link-local allowed (tests,
    a receiver on the hospital network)."""
    allowed_hosts: frozenset[str] = frozenset()
    """INVENTORY_WEBHOOK_ALLOWED_HOSTS: when not empty, the only host names allowed."""

    def check_url(self, url: str) -> Destination:
        """The URL's destination, or DestinationRefused / BadRequest. Names are resolved
        by the caller, which then checks every address with `check_address`."""
        destination = parse_destination(url)
        if self.allowed_hosts and destination.host not in self.allowed_hosts:
            raise DestinationRefused(
                f"{destination.host} is not among INVENTORY_WEBHOOK_ALLOWED_HOSTS.",
                host=destination.host,
            )
        if destination.address is not None:
            self.check_address(destination.host, destination.address)
        elif not self.allow_private and _is_local_name(destination.host):
            raise DestinationRefused(
                f"{destination.host} is this machine (loopback).", host=destination.host
            )
        return destination

    def check_address(self, host: str, address: IpAddress) -> None:
        reason = address_refusal(address, allow_private=self.allow_private)
        if reason is not None:
            shown = host if host == str(address) else f"{host} ({address})"
            raise DestinationRefused(f"{shown} is {reason}.", host=host, address=str(address))


def address_refusal(address: IpAddress, *, allow_private: bool) -> str | None:
    """Why the service may not call this address, or None. An IPv4 address inside IPv6
    (mapped `::ffff:a.b.c.d`, 6to4) is judged as the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return address_refusal(embedded, allow_private=allow_private)
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if allow_private:
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def parse_destination(url: str) -> Destination:
    """Only absolute http and https URLs with a host and no credentials in them."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise BadRequest(f"Not a usable URL: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadRequest("Webhook URLs are http:// or https:// only.")
    if parts.username is not None or parts.password is not None:
        raise BadRequest("A webhook URL carries no user name or password; sign with `secret`.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BadRequest("A webhook URL names a host.")
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadRequest(f"{host!r} is not a valid host name.") from None
    address: IpAddress | None
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        address = None
    return Destination(scheme, host, port or (443 if scheme == "https" else 80), address)


def _is_local_name(host: str) -> bool:
    """Names that mean this machine whatever DNS says (RFC 6761)."""
    return host == "localhost" or host.endswith(".localhost")


# --- what the API answers ----------------------------------------------------------------------


class WebhookOut(msgspec.Struct):
    """A subscription as shown: the secret never, only its last characters."""

    id: int
    url: str
    events: list[str]
    secret_hint: str
    created_by: str | None
    created_at: datetime


class AttemptOut(msgspec.Struct):
    attempted_at: datetime
    status_code: int | None
    """The receiver's answer; None when there was none (timeout, refused, reset)."""
    error: str | None
    duration_ms: int


class DeliveryOut(msgspec.Struct):
    id: int
    webhook: int
    event_id: int
    event_type: str
    status: str
    """pending, delivered or dead."""
    attempts: int
    """Attempts since it was queued (or last redelivered)."""
    next_attempt_at: datetime | None
    """When a pending delivery is tried next (it also waits for earlier events)."""
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    history: list[AttemptOut]
    """Every attempt made, redeliveries included, oldest first."""


class RedeliveredOut(msgspec.Struct):
    redelivered: int
