"""Acceptance tests: the installed `nhiemvu` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEFINITIONS, postgres_url_or_skip

NHIEMVU = str(Path(sys.executable).parent / "nhiemvu")


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        ok: bool = True) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NHIEMVU_")}
    environment.update({"NHIEMVU_ACTOR": "Thư ký Ban", "NHIEMVU_NOW": "20/06/2022 09:00"})
    environment.update(env or {})
    result = subprocess.run([NHIEMVU, *args], cwd=cwd, env=environment, capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with an initialised default database and the shipped definitions."""
    run(["init"], tmp_path)
    run(["load", str(DEFINITIONS)], tmp_path)
    run(["instantiate", "hq-2022", "--year", "2022"], tmp_path)
    return tmp_path


def test_main_job_on_default_sqlite(tmp_path: Path) -> None:
    assert "schema upgraded from empty" in run(["init"], tmp_path).stdout
    assert (tmp_path / "nhiemvu.db").exists()
    assert "already at revision" in run(["init"], tmp_path).stdout
    loaded = run(["load", str(DEFINITIONS)], tmp_path).stdout
    assert "105 agencies, 7 groups, 1 calendars, 3 directives (67 task specs)" in loaded
    created = run(["instantiate", "hq-2022", "--year", "2022"], tmp_path).stdout
    assert "188 tasks created, 0 already existed" in created
    again = run(["instantiate", "hq-2022", "--year", "2022", "--json"], tmp_path).stdout
    assert json.loads(again)["created"] == 0
    listing = run(["tasks", "--directive", "hq-2022", "--agency", "hq.noi-vu"], tmp_path).stdout
    assert "Phòng Nội vụ huyện Hà Quảng (hq.noi-vu): 4 nhiệm vụ" in listing
    assert "hạn 05/06/2022" in listing and "QUÁ HẠN" in listing  # clock pinned at 20/06/2022


def test_tasks_json_filters(workdir: Path) -> None:
    data = json.loads(run(["tasks", "--agency", "hq.xa-thi-tran", "--json"], workdir).stdout)
    assert len(data) == 21 * 6
    assert {t["agency"] for t in data} >= {"hq.xa-truong-ha", "hq.tt-thong-nong"}
    overdue = json.loads(run(["tasks", "--overdue-at", "05/06/2022", "--json"], workdir).stdout)
    assert overdue and all(t["due_on"] == "2022-06-05" and t["overdue"] for t in overdue)
    before = json.loads(run(["tasks", "--overdue-at", "04/06/2022 23:59", "--json"],
                            workdir).stdout)
    assert before == []
    states = json.loads(run(["tasks", "--state", "reported", "--json"], workdir).stdout)
    assert states == []


def test_report_return_report_verify_and_history(workdir: Path, tmp_path: Path) -> None:
    key = "hq-2022/v.bao-cao/hq.noi-vu/2022-h1"
    report_file = tmp_path / "baocao.txt"
    report_file.write_text("Báo cáo 6 tháng: đã tổ chức 3 lớp tập huấn.", encoding="utf-8")
    assert "Đã báo cáo" in run(["report", key, "--file", str(report_file)], workdir).stdout
    run(["return", key, "--reason", "Thiếu số liệu cán bộ nữ"], workdir)
    run(["report", key, "--text", "Đã bổ sung số liệu."], workdir)
    assert "Đã xác nhận" in run(["verify", key], workdir).stdout
    shown = json.loads(run(["show", key, "--json"], workdir).stdout)
    assert shown["state"] == "verified" and shown["version"] == 5
    assert shown["report_text"] == "Đã bổ sung số liệu."
    assert shown["reported_late"] is True  # 20/06 is after the 05/06 deadline
    entries = json.loads(run(["history", key, "--json"], workdir).stdout)
    assert [e["trigger"] for e in entries] == ["assign", "report", "return", "report", "verify"]
    assert entries[2]["reason"] == "Thiếu số liệu cán bộ nữ"
    assert {e["actor"] for e in entries[1:]} == {"Thư ký Ban"}
    text = run(["history", key], workdir).stdout
    assert "20/06/2022 09:00" in text and "lý do: Thiếu số liệu cán bộ nữ" in text
    assert "Trả lại để bổ sung: Đã báo cáo → Trả lại để bổ sung, Thư ký Ban (thường trực, " \
           "dòng lệnh)" in text
    assert not re.search(r"\b(assign|report|return|verify|cli|secretariat)\b", text)
    shown_text = run(["show", key], workdir).stdout
    assert "Trạng thái:  Đã xác nhận (phiên bản 5)" in shown_text
    assert "verified" not in shown_text


def test_directives_show_dates_as_precise_as_the_document(workdir: Path) -> None:
    listing = run(["directives"], workdir).stdout
    lines = {line.split()[0]: line for line in listing.splitlines()}
    assert "tháng 04/2022" in lines["hq-2022"] and "01/04/2022" not in listing
    assert "năm 2023" in lines["th-2023"] and "01/01/2023" not in listing
    assert "ngày 14/04/2022" in lines["hp-2022"]
    data = {d["code"]: d for d in json.loads(run(["directives", "--json"], workdir).stdout)}
    assert data["hq-2022"]["date_precision"] == "month"


def test_illegal_trigger_is_one_clear_line(workdir: Path) -> None:
    result = run(["verify", "#1"], workdir, ok=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: task hq-2022/")
    assert "cannot 'verify' in state 'assigned'; allowed: report, cancel" in lines[0]
    assert "Traceback" not in result.stderr


def test_conflicting_version_and_unknown_task(workdir: Path) -> None:
    stale = run(["cancel", "#2", "--reason", "trùng", "--version", "7"], workdir, ok=False)
    assert stale.returncode == 1 and "changed concurrently" in stale.stderr
    missing = run(["show", "#999999"], workdir, ok=False)
    assert missing.stderr.strip() == "error: không tìm thấy nhiệm vụ #999999"


def test_bad_definition_stores_nothing(tmp_path: Path) -> None:
    run(["init"], tmp_path)
    broken = tmp_path / "defs"
    broken.mkdir()
    for path in DEFINITIONS.rglob("*.yaml"):
        (broken / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    target = broken / "ha-quang-2022.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace(
        "lead: [hq.noi-vu]", "lead: [hq.noi-vu, hq.phong-khong-co]", 1), encoding="utf-8")
    result = run(["load", str(broken)], tmp_path, ok=False)
    assert result.returncode == 1
    assert "ha-quang-2022.yaml:" in result.stderr
    assert "không có cơ quan «hq.phong-khong-co» trong danh mục" in result.stderr
    assert "không có gì được lưu" in result.stderr and "Traceback" not in result.stderr
    check = run(["load", "--check", str(broken)], tmp_path, ok=False)
    assert check.returncode == 1
    assert run(["directives", "--json"], tmp_path).stdout.strip() == "[]"
    assert "valid, nothing stored" in run(["load", "--check", str(DEFINITIONS)], tmp_path).stdout


def test_uninitialised_database_and_bad_input(tmp_path: Path) -> None:
    assert "valid, nothing stored" in run(["load", "--check", str(DEFINITIONS)], tmp_path).stdout
    assert not (tmp_path / "nhiemvu.db").exists()
    result = run(["tasks"], tmp_path, ok=False)
    assert result.returncode == 1 and "run `nhiemvu init` first" in result.stderr
    run(["init"], tmp_path)
    bad_date = run(["tasks", "--overdue-at", "31/02/2022"], tmp_path, ok=False)
    assert bad_date.returncode == 2 and "not an instant" in bad_date.stderr
    both = run(["report", "#1"], tmp_path, ok=False)
    assert both.returncode == 2 and "exactly one of --text or --file" in both.stderr


@pytest.mark.postgres
def test_database_url_from_option_and_environment(tmp_path: Path) -> None:
    url = postgres_url_or_skip()
    from sqlalchemy import text

    from workflow.storage.db import make_engine

    name = f"nhiemvu_cli_{os.getpid()}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    target = url.rsplit("/", 1)[0] + f"/{name}"
    try:
        run(["--db", target, "init"], tmp_path)
        run(["load", str(DEFINITIONS)], tmp_path, env={"NHIEMVU_DATABASE_URL": target})
        created = run(["--db", target, "instantiate", "hp-2022", "--json"], tmp_path).stdout
        assert json.loads(created)["created"] == 361
        assert not (tmp_path / "nhiemvu.db").exists()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_agencies_listing(workdir: Path) -> None:
    members = json.loads(run(["agencies", "--group", "hq.doan-the", "--json"], workdir).stdout)
    assert [m["code"] for m in members] == ["hq.hlhpn", "hq.huyen-doan", "hq.hoi-nong-dan",
                                            "hq.hoi-ccb", "hq.ldld"]
    assert members[0]["name"] == "Hội Liên hiệp Phụ nữ huyện Hà Quảng"
    unknown = run(["agencies", "--group", "hq.nope"], workdir, ok=False)
    assert unknown.returncode == 1 and "không tìm thấy nhóm hq.nope" in unknown.stderr


def test_long_instantiation_shows_a_progress_bar(tmp_path: Path) -> None:
    agencies = ["kind: agencies", "agencies:"]
    for i in range(600):
        agencies += [f"  - code: big.xa-{i:04d}", f"    name: UBND xã số {i}", "    level: xa",
                     f"    emails: [xa{i}@big.example]"]
    agencies += ["groups:", "  - code: big.all", "    name: Tất cả các xã", "    members:"]
    agencies += [f"      - big.xa-{i:04d}" for i in range(600)]
    directive = ["kind: directive", "code: big-2024", "document: ke-hoach", "number: 1/KH-UBND",
                 "date: 02/01/2024", "issuer: UBND tỉnh", "title: Kế hoạch lớn", "year: 2024",
                 "tasks:"]
    for k in range(10):
        directive += [f'  - code: "{k}"', f"    title: Nhiệm vụ {k}", "    lead: [big.all]",
                      "    recurs: [h1]" if k == 0 else '    due: "20/10"']
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "agencies.yaml").write_text("\n".join(agencies) + "\n", encoding="utf-8")
    (folder / "directive.yaml").write_text("\n".join(directive) + "\n", encoding="utf-8")
    (folder / "calendar.yaml").write_text((DEFINITIONS / "calendar.yaml").read_text("utf-8"),
                                          encoding="utf-8")
    run(["init"], tmp_path)
    run(["load", str(folder)], tmp_path)
    result = run(["instantiate", "big-2024"], tmp_path)
    assert "6000 tasks created" in result.stdout
    assert "instantiating" in result.stderr
    quiet = run(["instantiate", "big-2024", "--json"], tmp_path)
    assert json.loads(quiet.stdout)["existing"] == 6000 and "instantiating" not in quiet.stderr
