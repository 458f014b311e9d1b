"""A real SMTP server for the tests: aiosmtpd on a free loopback port, recording what it
receives; it can refuse chosen recipients (4xx/5xx) and answer slowly."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["Controller", "Recorder", "free_port", "smtp_process", "smtp_server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Recorder:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # as received, to check encoded words and folding
        self.helo: list[str] = []  # the EHLO name of each message's session
        self.refuse: dict[str, str] = {}
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.raw.append(envelope.content)
            self.helo.append(session.host_name)
        return "250 Message accepted for delivery"

    def keys(self) -> list[str]:
        with self.lock:
            return [" ".join(str(m["X-Nhiemvu-Key"]).split()) for m in self.messages]

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = port or free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@contextmanager
def smtp_process(folder: Any) -> Iterator[tuple[Any, int]]:
    """aiosmtpd in its own process (no GIL shared with the sender under test), storing
    what it receives in a Maildir; yields a function reading the messages back."""
    import mailbox
    import subprocess
    import sys
    import time

    port = free_port()
    path = folder / "received"
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                                f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox",
                                str(path)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)

    def read() -> list[EmailMessage]:
        box = mailbox.Maildir(str(path), create=False)
        return [email.message_from_bytes(box.get_bytes(key), policy=default)  # type: ignore[misc]
                for key in box.iterkeys()]

    try:
        yield read, port
    finally:
        process.terminate()
        process.wait(timeout=30)
