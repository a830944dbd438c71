"""Where a webhook may go: no internal address at registration or delivery, through a redirect or a DNS
answer that changes between the check and the connection; HTTPS to the vetted address with SNI."""

from __future__ import annotations

import ipaddress
import socket
import ssl

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import WebhookDelivery, WebhookEndpoint
from survey.webhooks import events as webhooks
from survey.webhooks.addresses import AddressRefused, refusal, vet
from tests.factories import NOW
from tests.survey.webhooks.helpers import (
    Receiver,
    assert_signed,
    deliver,
    deliveries,
    make_endpoint,
)

REFUSED = ["http://127.0.0.1/", "http://localhost/", "http://[::1]/", "http://169.254.169.254/latest/meta-data/",
           "http://10.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0x7f.1/",
           "ftp://example.com/", "http://user:pass@93.184.215.14/", "http://100.64.0.1/", "http://[fd00:ec2::254]/",
           "http://0.0.0.0:8080/", "http://[64:ff9b::a9fe:a9fe]/", "javascript:alert(1)", "http:///nohost"]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_addresses_and_other_schemes_are_refused_at_registration(ctx, url):
    with pytest.raises(webhooks.WebhookError) as refused:
        make_endpoint(url, allowed="")
    assert refused.value.problems["url"]
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"), ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"), ("100.64.0.1", "carrier-grade NAT"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("0.1.2.3", "this network"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"), ("192.0.0.8", "IETF"), ("198.18.0.1", "private"), ("192.0.2.1", "private"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"), ("::127.0.0.1", "loopback"),
    ("64:ff9b::7f00:1", "loopback"), ("64:ff9b:1::1", "NAT64"), ("2002:a00:1::", "private"), ("fec0::1", "site-local"),
    ("93.184.215.14", None), ("8.8.8.8", None), ("2606:4700::1111", None), ("::ffff:8.8.8.8", None),
    ("64:ff9b::808:808", None),
])
def test_address_rules_truth_table(address, reason):
    found = refusal(ipaddress.ip_address(address))
    assert (found is None) if reason is None else (reason in found), found


def test_every_resolved_address_must_pass_and_the_allowance_is_per_host_name(monkeypatch):
    real = socket.getaddrinfo

    def two_answers(host, port, *args, **kwargs):
        if host == "mixed.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(AddressRefused, match=r"mixed.example.test \(10.0.0.7\) is a private address"):
        vet("https://mixed.example.test/hook")
    assert vet("https://mixed.example.test/hook", allowed_hosts="Mixed.Example.Test.").addresses == (
        "93.184.215.14", "10.0.0.7")
    with pytest.raises(AddressRefused):
        vet("http://localhost/", allowed_hosts="127.0.0.1")  # another name for an allowed address is not allowed
    with pytest.raises(AddressRefused):
        vet("http://2130706433/", allowed_hosts="127.0.0.1")


def test_the_request_goes_to_the_vetted_address_even_if_dns_changes_in_between(ctx, monkeypatch):
    # An attacker's name server answers with a public address when asked first, then with loopback.
    answers = iter(["93.184.215.14", "93.184.215.14", "127.0.0.1", "127.0.0.1"])
    lookups, connections = [], []
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def refuse(address, timeout=None, **kwargs):
        connections.append(address)
        raise ConnectionRefusedError("nobody there")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    make_endpoint("http://rebind.example.test/hook", allowed="")  # checked: public
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    lookups.clear()
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert deliver().retried == 1  # checked again (public), then connected to that very address
    assert lookups == ["rebind.example.test"] and connections == [("93.184.215.14", 80)]
    assert "ConnectionRefusedError" in deliveries()[0].last_error


def test_a_redirect_to_an_internal_address_is_not_followed(ctx, receiver):
    with Receiver() as internal:
        receiver.replies.append((302, {"Location": internal.url("/admin")}, b""))
        make_endpoint(receiver.url("/moved"))
        webhooks.emit("case.updated", {"id": 1}, now=NOW)
        db.session.commit()
        assert deliver().retried == 1
        assert internal.requests == [] and len(receiver.requests) == 1
    [row] = deliveries()
    assert row.last_status == 302 and "redirects are never followed" in row.last_error
    assert internal.url("/admin") in row.last_error


def test_an_allowance_withdrawn_later_is_enforced_at_delivery(ctx, receiver):
    make_endpoint(receiver.url())
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    ctx.config["WEBHOOK_ALLOWED_HOSTS"] = ""
    assert deliver().retried == 1
    assert receiver.requests == [] and deliveries()[0].last_error.startswith("Refused: 127.0.0.1 is a loopback")


def test_https_connects_to_the_vetted_address_with_sni_and_verifies_the_host_name(ctx, certificate, monkeypatch):
    key, cert = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, as an operator would an internal CA
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    with Receiver(tls) as secure:
        ctx.config["WEBHOOK_ALLOWED_HOSTS"] = "localhost, 127.0.0.1"
        endpoint = make_endpoint(secure.url(host="localhost", scheme="https"), ["case.updated"], allowed="localhost")
        wrong_name = make_endpoint(secure.url(host="127.0.0.1", scheme="https"), events=["alert.raised"])
        webhooks.emit("case.updated", {"id": 1}, now=NOW)
        webhooks.emit("alert.raised", {"id": 2}, now=NOW)
        db.session.commit()
        report = deliver()
    assert (report.delivered, report.retried) == (1, 1)
    [request] = secure.requests
    assert request.headers["Host"] == f"localhost:{secure.port}" and "localhost" in secure.server_names
    assert_signed(request, endpoint.secret)
    failed = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == wrong_name.id))
    assert "certificate" in failed.last_error.lower()  # the certificate names localhost, not 127.0.0.1
