"""Webhook rules without a database: signatures, backoff, event patterns and which
destinations the service may call."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time

import httpx
import pytest

from inventory_svc.config import WebhookSettings
from inventory_svc.domain.errors import BadRequest, DestinationRefused
from inventory_svc.domain.webhooks import (
    DestinationPolicy,
    address_refusal,
    backoff_delay,
    event_patterns,
    is_exhausted,
    matches,
    parse_destination,
    secret_hint,
    signature,
)
from inventory_svc.services import webhooks
from tests.e2e.test_webhook_dispatch import readme_receiver

SECRET = "whsec-0123456789abcdef"


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":7,"type":"stock.changed"}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature(SECRET, body, 1700000000) == f"t=1700000000,v1={expected}"


def test_the_readme_receiver_accepts_a_fresh_signature_and_nothing_else() -> None:
    verify = readme_receiver()["verify"]
    body = b'{"id":1}'
    now = int(time.time())
    assert verify(SECRET, body, signature(SECRET, body, now))
    assert not verify(SECRET, body + b" ", signature(SECRET, body, now))  # body changed
    assert not verify("another-secret-0000", body, signature(SECRET, body, now))
    assert not verify(SECRET, body, signature(SECRET, body, now - 301))  # replayed later
    assert not verify(SECRET, body, signature(SECRET, body, now + 301))
    assert verify(SECRET, body, signature(SECRET, body, now - 299))
    for header in ("", "t=1", "v1=00", "t=x,v1=00", "garbage", f"t={now},v1="):
        assert not verify(SECRET, body, header), header


def test_the_secret_is_never_shown_whole() -> None:
    assert secret_hint(SECRET) == "…cdef"
    assert SECRET not in secret_hint(SECRET)


def test_backoff_doubles_up_to_the_cap_with_jitter_between_half_and_all() -> None:
    assert backoff_delay(0, 5, 3600, 0.99) == 0
    assert [backoff_delay(n, 5, 3600, 1.0) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff_delay(1, 5, 3600, 0.0) == 2.5
    assert backoff_delay(30, 5, 3600, 1.0) == 3600
    assert backoff_delay(10_000, 5, 3600, 0.5) == 2700  # no overflow far past the cap
    for jitter in (0.0, 0.3, 0.999):
        assert 20 <= backoff_delay(4, 5, 3600, jitter) <= 40


def test_a_delivery_is_dead_after_the_last_attempt() -> None:
    assert not is_exhausted(9, 10)
    assert is_exhausted(10, 10)
    assert is_exhausted(1, 1)


def test_event_patterns_are_known_types_prefixes_or_everything() -> None:
    assert event_patterns(["purchase_order.*", "stock.changed", "*", "stock.changed"]) == [
        "purchase_order.*",
        "stock.changed",
        "*",
    ]
    for bad in (["stock.chnaged"], ["nothing.*"], [], ["kit"], ["purchase_order.submitted.x"]):
        with pytest.raises(BadRequest):
            event_patterns(bad)


def test_matching_is_the_event_feeds_type_filter() -> None:
    assert matches(["purchase_order.*"], "purchase_order.submitted")
    assert not matches(["purchase_order.*"], "stock.changed")
    assert not matches(["purchase_order.*"], "purchase_orderx.submitted")
    assert matches(["stock.changed"], "stock.changed")
    assert not matches(["stock.changed"], "stock.changed_more")
    assert matches(["*"], "anything.at_all")
    assert not matches([], "stock.changed")


REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.10": "private",
    "169.254.169.254": "link-local",  # cloud metadata
    "fe80::1": "link-local",
    "fc00::1": "private",
    "100.64.0.1": "not a public",  # carrier-grade NAT
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped IPv6
    "::ffff:10.0.0.1": "private",
    "2002:7f00:1::1": "loopback",  # 6to4 of 127.0.0.1
    "192.0.2.1": "private",  # documentation range
}


@pytest.mark.parametrize("address", sorted(REFUSED))
def test_non_public_addresses_are_refused(address: str) -> None:
    reason = address_refusal(ipaddress.ip_address(address), allow_private=False)
    assert reason is not None and REFUSED[address] in reason


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_private=False) is None


def test_allow_private_opens_the_local_network_but_never_unspecified_or_multicast() -> None:
    for address in ("127.0.0.1", "::1", "10.0.0.1", "169.254.1.1", "::ffff:192.168.0.1"):
        assert address_refusal(ipaddress.ip_address(address), allow_private=True) is None
    for address in ("0.0.0.0", "::", "224.0.0.1", "::ffff:0.0.0.0"):
        assert address_refusal(ipaddress.ip_address(address), allow_private=True) is not None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://example.org/",
        "example.org/hook",
        "http://",
        "http:///path",
        "http://user:pw@example.org/",
        "http://example.org:99999/",
        "http://example.org:port/",
        "http://[::1/",
    ],
)
def test_only_absolute_http_urls_without_credentials(url: str) -> None:
    with pytest.raises(BadRequest):
        DestinationPolicy(allow_private=True).check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/",
        "https://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/",
        "http://LOCALHOST./",
        "http://api.localhost/",
    ],
)
def test_local_destinations_are_refused_by_default(url: str) -> None:
    with pytest.raises(DestinationRefused):
        DestinationPolicy().check_url(url)
    DestinationPolicy(allow_private=True).check_url(url)  # allowed when asked for


def test_allowed_hosts_narrow_even_private_ones() -> None:
    policy = DestinationPolicy(allow_private=True, allowed_hosts=frozenset({"erp.example.org"}))
    assert policy.check_url("https://ERP.example.org/in").host == "erp.example.org"
    for url in ("https://other.example.org/", "http://127.0.0.1/", "https://erp.example.org.evil/"):
        with pytest.raises(DestinationRefused):
            policy.check_url(url)


def test_a_destination_knows_its_port_and_whether_it_is_an_address() -> None:
    assert parse_destination("https://example.org/x").port == 443
    assert parse_destination("http://example.org/x").port == 80
    named = parse_destination("http://example.org:8080/x")
    assert (named.port, named.address) == (8080, None)
    literal = parse_destination("http://[2606:4700::1]/")
    assert literal.address == ipaddress.ip_address("2606:4700::1")
    assert parse_destination("https://bücher.example/").host == "xn--bcher-kva.example"


def test_webhook_settings_come_from_the_environment() -> None:
    settings = WebhookSettings.from_env(
        {
            "INVENTORY_WEBHOOK_ALLOW_PRIVATE": "TRUE",
            "INVENTORY_WEBHOOK_ALLOWED_HOSTS": " ERP.example.org , crm.example.org.,",
            "INVENTORY_WEBHOOK_TIMEOUT": "0.5",
            "INVENTORY_WEBHOOK_MAX_ATTEMPTS": "3",
            "INVENTORY_WEBHOOK_BASE_DELAY": "0.01",
        }
    )
    assert settings.allow_private
    assert settings.allowed_hosts == {"erp.example.org", "crm.example.org"}
    assert (settings.timeout, settings.max_attempts, settings.base_delay) == (0.5, 3, 0.01)
    assert not WebhookSettings.from_env({}).allow_private


def test_a_delivery_connects_to_the_checked_address_under_the_urls_own_name() -> None:
    """No second resolution between check and connect (DNS rebinding): the request goes to
    the address checked, with the URL's Host header and TLS server name."""
    url = "https://erp.example.org:8443/in?x=1"
    request = webhooks._pinned_request(
        httpx.AsyncClient(),
        url,
        parse_destination(url),
        ipaddress.ip_address("2606:4700::1"),
        b"{}",
    )
    assert str(request.url) == "https://[2606:4700::1]:8443/in?x=1"
    assert request.headers["Host"] == "erp.example.org:8443"
    assert request.extensions["sni_hostname"] == "erp.example.org"
    assert request.headers["Content-Type"] == "application/json"
