"""The deployment's multi-process layout on loopback, as deploy/ describes it: one
PostgreSQL database, `nhiemvu serve` with three workers, two `scheduler run` and two
`send` processes, and an SMTP server in its own process. They share a simulated time
(NHIEMVU_CLOCK_FILE) that the test moves through a month while agencies report and the
secretariat decides through the web. Every e-mail must arrive exactly once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.smtpserver import free_port, smtp_process
from tests.test_cli import NHIEMVU
from workflow.access.linkkeys import load_ring
from workflow.access.links import LinkMaker
from workflow.access.users import add_user
from workflow.clock import LOCAL_TZ
from workflow.storage.db import read_session, write_session
from workflow.storage.models import OutboxRow, TaskRow

START = datetime(2022, 5, 25, 8, 0, tzinfo=LOCAL_TZ)
DAYS = 32
PASSWORD = "mat-khau-du-dai-123"


def set_clock(path: Path, at: datetime) -> None:
    temp = path.with_suffix(".tmp")
    temp.write_text(at.strftime("%d/%m/%Y %H:%M"), encoding="utf-8")
    os.replace(temp, path)


@contextmanager
def processes(commands: dict[str, list[str]], env: dict[str, str], folder: Path
              ) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    started = {}
    for name, args in commands.items():
        log = (folder / f"{name}.log").open("wb")
        started[name] = subprocess.Popen([NHIEMVU, *args], env=env, stdout=log,
                                         stderr=subprocess.STDOUT)
    try:
        yield started
    finally:
        for process in started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def queued(engine: Engine) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.state == "queued")) or 0


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_month_with_three_workers_two_schedulers_two_senders(
        loaded: Engine, pg_url: str, tmp_path: Path) -> None:
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", START)
    clock = tmp_path / "clock"
    set_clock(clock, START)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with smtp_process(tmp_path) as (received, smtp_port):
        env = {k: v for k, v in os.environ.items() if not k.startswith("NHIEMVU_")}
        env.update({"NHIEMVU_DATABASE_URL": pg_url, "NHIEMVU_CLOCK_FILE": str(clock),
                    "NHIEMVU_SMTP_HOST": "127.0.0.1", "NHIEMVU_SMTP_PORT": str(smtp_port),
                    "NHIEMVU_MAIL_FROM": "Ban VSTBPN <bvstbpn@ha-quang.example>",
                    "NHIEMVU_BASE_URL": base, "NHIEMVU_MAIL_BATCH": "50",
                    "NHIEMVU_ATTACHMENTS_DIR": str(tmp_path / "attachments")})
        commands = {
            "web": ["serve", "--port", str(port), "--workers", "3"],
            "scheduler-1": ["scheduler", "run", "--interval", "0.005"],
            "scheduler-2": ["scheduler", "run", "--interval", "0.005"],
            "sender-1": ["send", "--interval", "0.2"],
            "sender-2": ["send", "--interval", "0.2"],
        }
        with processes(commands, env, tmp_path) as running, \
                httpx.Client(base_url=base, timeout=60, follow_redirects=False) as http:
            def healthy() -> bool:
                try:
                    return http.get("/suc-khoe").status_code == 200
                except httpx.TransportError:
                    return False

            wait_until(healthy, 60, "the web workers")
            reported: list[int] = []
            for offset in range(DAYS):
                now = START + timedelta(days=offset)
                set_clock(clock, now)
                time.sleep(0.7)  # two sweep intervals of each scheduler
                if now.day == 2:  # agencies report the half-year through their links
                    reported = report_half_year(loaded, http, base)
                if now.day == 10:  # the secretariat verifies some and returns one
                    decide(http, reported)
                assert all(p.poll() is None for p in running.values()), \
                    {n: (tmp_path / f"{n}.log").read_text() for n in running}
            set_clock(clock, START + timedelta(days=DAYS, hours=1))
            wait_until(lambda: queued(loaded) == 0, 120, "the senders to drain the outbox")
            time.sleep(1.5)  # one more sweep and send round: nothing new may appear
            wait_until(lambda: queued(loaded) == 0, 60, "the last sends")
        for name, process in running.items():
            assert process.returncode == 0, (tmp_path / f"{name}.log").read_text()
        messages = received()
    with read_session(loaded) as session:
        rows = list(session.execute(select(OutboxRow.key, OutboxRow.kind, OutboxRow.state)))
    keys = Counter(" ".join(str(m["X-Nhiemvu-Key"]).split()) for m in messages)
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1][:5]
    assert {state for _, _, state in rows} == {"sent"}
    assert set(keys) == {key for key, _, _ in rows}
    kinds = Counter(kind for _, kind, _ in rows)
    for kind in ("tasks_assigned", "reminder", "overdue_notice", "escalation",
                 "task_reported", "task_verified", "task_returned", "weekly_digest"):
        assert kinds[kind] > 0, kinds
    assert kinds["task_reported"] == len(reported) and kinds["task_returned"] == 1


def report_half_year(engine: Engine, http: httpx.Client, base: str) -> list[int]:
    with read_session(engine) as session:
        tasks = list(session.scalars(select(TaskRow).where(
            TaskRow.directive_code == "hq-2022", TaskRow.spec_code == "v.bao-cao",
            TaskRow.period == "2022-h1").order_by(TaskRow.id).limit(8)))
    links = LinkMaker(load_ring(engine, datetime.now(LOCAL_TZ)), base, START)
    for task in tasks:
        url = links.task(task.id or 0, task.agency_code, task.due_at).removeprefix(base)
        http.cookies.clear()
        page = http.get(url)
        assert page.status_code == 200
        posted = http.post(url, data={"csrf": csrf_of(page.text),
                                      "text": f"Báo cáo 6 tháng của {task.agency_code}."})
        assert posted.status_code == 303, posted.text
    return [task.id or 0 for task in tasks]


def decide(http: httpx.Client, reported: list[int]) -> None:
    http.cookies.clear()
    login = http.get("/dang-nhap")
    assert http.post("/dang-nhap", data={"csrf": csrf_of(login.text), "username": "thuky",
                                         "password": PASSWORD}).status_code == 303
    for position, task_id in enumerate(reported[:5]):
        page = http.get(f"/quan-ly/nhiem-vu/{task_id}")
        version = re.search(r'name="version" value="(\d+)"', page.text)
        assert version, page.text
        form = {"csrf": csrf_of(page.text), "version": version.group(1)}
        if position == 0:
            response = http.post(f"/quan-ly/nhiem-vu/{task_id}/tra-lai",
                                 data={**form, "reason": "Thiếu số liệu theo xã"})
        else:
            response = http.post(f"/quan-ly/nhiem-vu/{task_id}/xac-nhan", data=form)
        assert response.status_code == 303, response.text
