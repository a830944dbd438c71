"""A real SMTP server for tests (aiosmtpd on a free local port) that keeps every message it accepts."""
from __future__ import annotations

import email
import socket
from email.policy import default

from aiosmtpd.controller import Controller


class Recorder:
    """aiosmtpd handler: refuses recipients in `refuse` with their code, records everything else."""

    def __init__(self):
        self.raw: list[bytes] = []  # parsed on demand, so the server stays fast enough to benchmark against
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.content)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self, recorder: Recorder | None = None):
        self.recorder = recorder or Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=default) for raw in self.recorder.raw]

    def clear(self) -> None:
        self.recorder.raw.clear()

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
