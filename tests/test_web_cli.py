"""The web side of the CLI in real processes: users, keys, a task's link, and
`nhiemvu serve --with-scheduler` running the whole year's machinery in one process."""

from __future__ import annotations

import email
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from email.policy import default
from pathlib import Path

import httpx

from tests.smtpserver import free_port
from tests.test_cli import NHIEMVU, run, workdir  # noqa: F401  (fixture)


def test_users_keys_and_links(workdir: Path) -> None:  # noqa: F811
    unscoped = subprocess.run([NHIEMVU, "user", "add", "thuky", "--password-stdin"],
                              cwd=workdir, input="mat-khau-du-dai-1\n", capture_output=True,
                              text=True, env=_env())
    assert unscoped.returncode == 1 and unscoped.stderr.strip() == (
        "error: có 3 Ban trong hệ thống: chọn --committee (hp, hq, th) hoặc --all-committees")
    added = subprocess.run([NHIEMVU, "user", "add", "thuky", "--name", "Nguyễn Thị Thư",
                            "--committee", "hq", "--password-stdin"], cwd=workdir,
                           input="mat-khau-du-dai-1\n", capture_output=True, text=True,
                           env=_env())
    assert added.returncode == 0, added.stderr
    short = subprocess.run([NHIEMVU, "user", "add", "ngan", "--committee", "hq",
                            "--password-stdin"], cwd=workdir,
                           input="ngan\n", capture_output=True, text=True, env=_env())
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    again = subprocess.run([NHIEMVU, "user", "add", "thuky", "--committee", "hq",
                            "--password-stdin"],
                           cwd=workdir, input="mat-khau-du-dai-2\n", capture_output=True,
                           text=True, env=_env())
    assert again.returncode == 1 and "already exists" in again.stderr
    leader = subprocess.run([NHIEMVU, "user", "add", "chutich", "--committee", "th", "--role",
                             "leader", "--password-stdin"], cwd=workdir,
                            input="mat-khau-du-dai-3\n", capture_output=True, text=True,
                            env=_env())
    assert leader.stdout.strip() == "user chutich created (leader, committee th)"
    unknown = subprocess.run([NHIEMVU, "user", "add", "x1", "--committee", "khong-co",
                              "--password-stdin"], cwd=workdir, input="mat-khau-du-dai-4\n",
                             capture_output=True, text=True, env=_env())
    assert unknown.stderr.strip() == "error: không tìm thấy Ban khong-co"
    listing = run(["user", "list"], workdir).stdout
    assert re.search(r"thuky\s+active\s+secretariat\s+hq\s", listing), listing
    assert re.search(r"chutich\s+active\s+leader\s+th\s", listing), listing
    no_terminal = subprocess.run([NHIEMVU, "user", "add", "thuky2", "--name", "Lê Văn B",
                                  "--committee", "hq"],
                                 cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, env=_env())
    assert no_terminal.returncode == 1, no_terminal
    assert len(no_terminal.stderr.strip().splitlines()) == 1
    assert "--password-stdin" in no_terminal.stderr and "Warning" not in no_terminal.stderr
    assert "thuky2" not in run(["user", "list"], workdir).stdout
    assert "disabled" in run(["user", "disable", "thuky"], workdir).stdout

    assert run(["keys", "list"], workdir).stdout.split()[-1] == "signing"
    first = run(["link", "hq-2022/v.bao-cao/hq.noi-vu/2022-h1"], workdir).stdout.strip()
    assert re.fullmatch(r"http://localhost:8000/bao-cao/\d+/[\w.-]+", first)
    assert "only active key" in run(["keys", "revoke", "1"], workdir, ok=False).stderr
    assert "key 2 now signs" in run(["keys", "rotate"], workdir).stdout
    second = run(["link", "hq-2022/v.bao-cao/hq.noi-vu/2022-h1"], workdir).stdout.strip()
    assert second != first
    run(["keys", "revoke", "1"], workdir)
    listing = run(["keys", "list"], workdir).stdout
    assert "revoked" in listing and listing.strip().endswith("signing")


def _env(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NHIEMVU_")}
    environment.update({"NHIEMVU_NOW": "28/11/2022 09:00", **extra})
    return environment


def test_serve_with_scheduler_is_the_whole_year_in_one_process(workdir: Path) -> None:  # noqa: F811
    """One command: the sweep queues the reminders 7 days before 05/12, the sender writes them
    as .eml files, and the link in a notice opens the report page on the same server."""
    port = free_port()
    env = _env(NHIEMVU_BASE_URL=f"http://127.0.0.1:{port}")
    server = subprocess.Popen([NHIEMVU, "serve", "--port", str(port), "--with-scheduler",
                               "--send-every", "1"], cwd=workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        mail = workdir / "mail-out"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
                "reminder" in p.read_text(errors="replace")
                for p in (mail.glob("*.eml") if mail.exists() else [])):
            time.sleep(0.5)
        notices = [email.message_from_bytes(p.read_bytes(), policy=default)
                   for p in mail.glob("*.eml")]
        overdue = [m for m in notices if str(m["X-Nhiemvu-Key"]).startswith("reminder")]
        assert overdue, "no reminder was written"
        text = overdue[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        link = re.search(r"(http://127\.0\.0\.1:\d+/bao-cao/\S+)", text)
        assert link, text
        page = httpx.get(link.group(1), timeout=30)
        assert page.status_code == 200 and "Gửi báo cáo" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/suc-khoe").text == "ok"
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert "serving on" in output and "sent" in output


def test_serve_on_a_port_in_use_runs_nothing(workdir: Path) -> None:  # noqa: F811
    """The port is taken: one Vietnamese line, exit 1, and no sweep and no mail, although
    reminders were due."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([NHIEMVU, "serve", "--port", str(port), "--with-scheduler",
                                 "--send-every", "1"], cwd=workdir, env=_env(),
                                capture_output=True, text=True, timeout=60,
                                stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: không mở được cổng {port} trên 127.0.0.1: cổng đang được một chương trình "
        f"khác dùng; không có gì được chạy"]
    assert "serving on" not in result.stdout + result.stderr
    assert not (workdir / "mail-out").exists()
    with sqlite3.connect(workdir / "nhiemvu.db") as db:
        assert db.execute("SELECT count(*) FROM sweep_mark").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM outbox WHERE state != 'queued'").fetchone() \
            == (0,)
