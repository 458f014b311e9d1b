"""A bulk cancel of 1,000 tasks is one transaction: the server (`nhiemvu serve`, its own
process) is killed in the middle of the request, and afterwards either every task is
cancelled with its audit row and notice, or none is. Both databases."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from bench.synthetic import YEAR, bench_definitions, task_spec
from tests.smtpserver import free_port
from tests.test_cli import NHIEMVU
from tests.test_intake import form_of
from tests.test_web import PASSWORD, csrf_of
from workflow.access.users import add_user
from workflow.clock import LOCAL_TZ
from workflow.definitions.store import save_definitions
from workflow.engine.instantiate import instantiate
from workflow.storage.db import read_session, write_session
from workflow.storage.models import AuditRow, OutboxRow, TaskRow

NOW = datetime(YEAR, 3, 1, 9, 0, tzinfo=LOCAL_TZ)
TASKS = 1000


def counts(engine: Engine) -> tuple[int, int, int]:
    with read_session(engine) as session:
        return (int(session.scalar(select(func.count()).select_from(TaskRow).where(
                    TaskRow.state == "cancelled")) or 0),
                int(session.scalar(select(func.count()).select_from(AuditRow).where(
                    AuditRow.trigger == "cancel")) or 0),
                int(session.scalar(select(func.count()).select_from(OutboxRow).where(
                    OutboxRow.kind == "task_cancelled")) or 0))


def serve(engine: Engine, tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHIEMVU_")}
    env.update({"NHIEMVU_DATABASE_URL": engine.url.render_as_string(hide_password=False),
                "NHIEMVU_NOW": NOW.strftime("%d/%m/%Y %H:%M"),
                "NHIEMVU_BASE_URL": f"http://127.0.0.1:{port}",
                "NHIEMVU_ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    log = (tmp_path / "serve.log").open("wb")
    return subprocess.Popen([NHIEMVU, "serve", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/suc-khoe", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not start")


def preview(http: httpx.Client, op: str) -> dict[str, list[str]]:
    page = http.get(f"/quan-ly/ma-tran/bench/{YEAR}").text
    form = form_of(page, "/quan-ly/hang-loat/xem-truoc")
    form.update({"op": [op], "reason": ["Thử ngắt máy chủ"]})
    shown = http.post("/quan-ly/hang-loat/xem-truoc", data=form)
    assert shown.status_code == 200
    assert re.search(rf'id="so-ap-dung">{TASKS}<', shown.text)
    return form_of(shown.text, "/quan-ly/hang-loat")


def test_a_bulk_cancel_killed_mid_request_is_all_or_nothing(engine: Engine,
                                                           tmp_path: Path) -> None:
    with write_session(engine) as session:
        save_definitions(session, bench_definitions(
            (task_spec("1", "Báo cáo năm", datetime(YEAR, 12, 5).date()),), TASKS), NOW)
        add_user(session, "thuky", PASSWORD, "Thư ký", NOW)
    instantiate(engine, "bench", YEAR, NOW)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(engine, tmp_path, port)
    try:
        wait_healthy(base)
        http = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
        page = http.get("/dang-nhap")
        assert http.post("/dang-nhap", data={"csrf": csrf_of(page.text), "username": "thuky",
                                             "password": PASSWORD}).status_code == 303
        # How long a bulk of the same size takes here (reminders write an audit row and
        # a notice per task too), to kill the cancel well inside its request.
        started = time.monotonic()
        assert http.post("/quan-ly/hang-loat", data=preview(http, "remind")).status_code \
            == 200
        took = time.monotonic() - started
        form = preview(http, "cancel")
        answer: list[object] = []

        def post() -> None:
            try:
                answer.append(http.post("/quan-ly/hang-loat", data=form).status_code)
            except httpx.TransportError as exc:
                answer.append(exc)

        thread = threading.Thread(target=post)
        thread.start()
        time.sleep(max(0.05, took * 0.4))
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        thread.join(timeout=60)
        http.close()
    finally:
        if server.poll() is None:
            server.kill()
    assert answer and isinstance(answer[0], httpx.TransportError), \
        f"the request finished before the kill ({answer}, a bulk took {took:.2f} s)"
    done = counts(engine)
    assert done in {(0, 0, 0), (TASKS, TASKS, TASKS)}, done
    assert done == (0, 0, 0)  # killed before its commit: nothing of it stayed
