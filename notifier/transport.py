"""Where messages go: an SMTP server (aiosmtplib) or, by default, a folder of .eml files.

A transport sends a batch and says, per message, whether it was delivered, should be
retried (connection trouble, 4xx) or failed for good (5xx for every recipient).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Protocol

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender

from notifier.config import MailSettings
from notifier.wire import wire_bytes
from workflow.errors import NhiemvuError


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent" | "retry" | "failed"
    detail: str | None = None


# Told of messages' outcomes (index in the batch, outcome) as soon as they are known, so
# that the sender records them before the next message on that connection goes: a sender
# killed mid-batch resends at most the message each connection had in hand.
OnOutcome = Callable[[list[tuple[int, Outcome]]], None]


class Transport(Protocol):
    def send(self, messages: list[Message], on_outcome: OnOutcome | None = None
             ) -> list[Outcome]: ...


class EmlFolder:
    """The default with no SMTP server: one .eml file per message, written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, messages: list[Message], on_outcome: OnOutcome | None = None
             ) -> list[Outcome]:
        self.folder.mkdir(parents=True, exist_ok=True)
        outcomes = []
        for index, message in enumerate(messages):
            name = re.sub(r"[^A-Za-z0-9.@_-]", "", str(message["Message-ID"])) + ".eml"
            temporary = self.folder / f".{name}.tmp"
            temporary.write_bytes(message.as_bytes())
            os.replace(temporary, self.folder / name)
            outcomes.append(Outcome("sent", str(self.folder / name)))
            if on_outcome is not None:
                on_outcome([(index, outcomes[-1])])
        return outcomes


class RateLimiter:
    """At most `rate` messages per second to one server, shared by all connections."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_slot = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            delay = self.next_slot - now
            self.next_slot = max(now, self.next_slot) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


class GroupRecorder:
    """Hands outcomes to `on_outcome` in one thread of its own, those that arrived while the
    previous call ran together in the next call (a group commit): connections never
    contend for the database's write lock, and each waits only for its own outcome."""

    def __init__(self, on_outcome: OnOutcome) -> None:
        self.on_outcome = on_outcome
        self.pending: list[tuple[int, Outcome, asyncio.Future[None]]] = []
        self.draining: asyncio.Task[None] | None = None
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record")

    async def record(self, index: int, outcome: Outcome) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((index, outcome, done))
        if self.draining is None or self.draining.done():
            self.draining = asyncio.ensure_future(self._drain())
        await done

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self.pending:
            group, self.pending = self.pending, []
            try:
                await loop.run_in_executor(self.thread, self.on_outcome,
                                           [(index, outcome) for index, outcome, _ in group])
            except Exception as exc:  # not recorded: the lease brings these back
                for *_, done in group:
                    done.set_exception(exc)
            else:
                for *_, done in group:
                    done.set_result(None)

    def close(self) -> None:
        self.thread.shutdown(wait=True)


class Smtp:
    """A pool of `concurrency` reused connections; STARTTLS/TLS and login as configured."""

    def __init__(self, settings: MailSettings) -> None:
        problems = settings.smtp_problems()
        if problems:  # refused before any message is taken from the outbox
            raise NhiemvuError("; ".join(problems))
        self.settings = settings

    def send(self, messages: list[Message], on_outcome: OnOutcome | None = None
             ) -> list[Outcome]:
        return asyncio.run(self._send_all(messages, on_outcome))

    async def _send_all(self, messages: list[Message], on_outcome: OnOutcome | None
                        ) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(messages)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(len(messages)):
            queue.put_nowait(index)
        limiter = RateLimiter(self.settings.rate_per_second)
        workers = min(self.settings.concurrency, len(messages)) or 1
        recorder = GroupRecorder(on_outcome) if on_outcome is not None else None
        try:
            await asyncio.gather(*(self._worker(queue, messages, outcomes, limiter, recorder)
                                   for _ in range(workers)))
        finally:
            if recorder is not None:
                recorder.close()
        return [o or Outcome("retry", "not attempted") for o in outcomes]

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout,
                               local_hostname=s.helo_name,
                               use_tls=s.smtp_tls == "tls",
                               start_tls=s.smtp_tls == "starttls", cert_bundle=s.smtp_ca_file)

    async def _worker(self, queue: asyncio.Queue[int], messages: list[Message],
                      outcomes: list[Outcome | None], limiter: RateLimiter,
                      recorder: GroupRecorder | None) -> None:
        client: aiosmtplib.SMTP | None = None
        try:
            while not queue.empty():
                index = queue.get_nowait()
                if client is None or not client.is_connected:
                    try:
                        client = await self._connect()
                    except (aiosmtplib.SMTPException, OSError) as exc:
                        outcomes[index] = Outcome("retry", f"connect: {_describe(exc)}")
                        continue
                await limiter.wait()
                outcomes[index] = await self._deliver(client, messages[index])
                if recorder is not None:  # recorded before this connection goes on
                    await recorder.record(index, outcomes[index])
        finally:
            if client is not None and client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()

    async def _connect(self) -> aiosmtplib.SMTP:
        client = self._client()
        await client.connect()
        if self.settings.smtp_user:
            await client.login(self.settings.smtp_user, self.settings.smtp_password or "")
        return client

    async def _deliver(self, client: aiosmtplib.SMTP, message: Message) -> Outcome:
        try:
            sender = extract_sender(message)
            if sender is None:
                return Outcome("failed", "the message has no sender")
            refused, _response = await client.sendmail(
                sender, extract_recipients(message), wire_bytes(message))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            status = "failed" if all(500 <= c < 600 for c in codes) else "retry"
            return Outcome(status, "; ".join(f"{r.recipient}: {r.code} {r.message}"
                                             for r in exc.recipients))
        except aiosmtplib.SMTPResponseException as exc:
            status = "failed" if 500 <= exc.code < 600 else "retry"
            return Outcome(status, f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Outcome("retry", _describe(exc))
        if refused:  # delivered to the others; retrying would duplicate their copy
            return Outcome("sent", "refused: " + "; ".join(
                f"{address}: {response.code} {response.message}"
                for address, response in refused.items()))
        return Outcome("sent")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def transport_for(settings: MailSettings) -> Transport:
    return Smtp(settings) if settings.smtp_host else EmlFolder(settings.mail_dir)
