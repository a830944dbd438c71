"""The webhook tests' shared pieces: a real HTTP receiver on 127.0.0.1 (allowed explicitly, as an operator
would allow an internal host), endpoints, delivery, and the two signature checks."""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook, WebhookVerificationError

from survey.background import dispatch
from survey.clock import utcnow
from survey.extensions import db
from survey.models import WebhookDelivery, WebhookEndpoint
from survey.webhooks import delivery as webhook_delivery
from survey.webhooks import events as webhooks

ALL_EVENTS = ("response.completed", "alert.raised", "case.updated", "change.published")


@dataclass
class Received:
    path: str
    headers: Message
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """An HTTP server in a thread that records every POST and answers with the queued replies (then 200)."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.requests: list[Received] = []
        self.replies: list[tuple[int, dict[str, str], bytes]] = []
        self.server_names: list[str | None] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _handler(receiver):  # noqa: N805 — the handler class closes over the receiver
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Received(self.path, self.headers, body))
                status, headers, reply = receiver.replies.pop(0) if receiver.replies else (200, {}, b"thanks")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        return Handler

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hooks", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_endpoint(url: str, events=ALL_EVENTS, *, allowed="127.0.0.1") -> WebhookEndpoint:
    return webhooks.create_endpoint(webhooks.EndpointInput(url, "CRM", tuple(events)), allowed_hosts=allowed,
                                    actor_id=None, now=utcnow())


def deliver(now: datetime | None = None) -> webhook_delivery.DeliveryReport:
    report = dispatch.deliver_webhooks(now=now or utcnow())
    db.session.expire_all()
    return report


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def assert_signed(request: Received, secret: str) -> None:
    """Signed the Standard Webhooks way (a new endpoint's scheme): the `standardwebhooks` library itself
    accepts it with `secret`, and refuses it once anything signed is changed."""
    headers = dict(request.headers.items())
    assert "Hearken-Signature" not in request.headers
    assert Webhook(secret).verify(request.body, headers) == json.loads(request.body)
    assert headers["webhook-id"] == headers["Hearken-Delivery"]
    stamp = int(headers["webhook-timestamp"])
    for body, forged in ((request.body.replace(b"}", b" }", 1), headers),  # a tampered body
                         (request.body, headers | {"webhook-timestamp": str(stamp + 1)}),
                         (request.body, headers | {"webhook-id": str(uuid.uuid4())})):
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            Webhook(secret).verify(body, forged)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(webhooks.new_secret()).verify(request.body, headers)
    # Hearken's own check agrees, and refuses the same delivery replayed later.
    assert webhooks.verify_standard(secret, headers, request.body, time.time())
    assert not webhooks.verify_standard(secret, headers, request.body, stamp + 301)


def assert_signed_hearken(request: Received, secret: str) -> None:
    """Signed with Hearken-Signature (the first release's scheme), as `verify_signature` checks it."""
    assert not {"webhook-id", "webhook-timestamp", "webhook-signature"} & {name.lower() for name in request.headers}
    header = request.headers["Hearken-Signature"]
    assert webhooks.verify_signature(secret, header, request.body, time.time())
    stamp = int(header.split(",")[0].removeprefix("t="))
    # The timestamp is inside the signature: the same delivery replayed later, or with a forged timestamp, fails.
    assert not webhooks.verify_signature(secret, header, request.body, stamp + 301)
    forged = header.replace(f"t={stamp}", f"t={stamp + 100}")
    assert not webhooks.verify_signature(secret, forged, request.body, stamp + 100)
    assert not webhooks.verify_signature(secret, header, request.body.replace(b"}", b" }", 1), time.time())
    assert not webhooks.verify_signature("whsec_wrong", header, request.body, time.time())


def old_secret() -> str:
    """A secret as Hearken made them before Standard Webhooks: URL-safe base64 without padding."""
    return "whsec_" + secrets.token_urlsafe(32)


def documented(marker: str) -> dict:
    """Run the Python block of docs/webhooks.md that holds `marker`; returns its names."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text()
    code = next(block.split("```", 1)[0] for block in text.split("```python")[1:] if marker in block)
    namespace: dict = {"__name__": "documented_receiver"}
    exec(code, namespace)  # noqa: S102 — our own documentation
    return namespace
