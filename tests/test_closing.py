"""Closing a directive's year, and digests that fall silent by themselves: a 2023 plan must
not write to agencies every week of 2024 and 2025."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from notifier.config import MailSettings
from notifier.sender import send_due
from notifier.transport import EmlFolder
from tests.simulation import days, load_shipped, task_id
from tests.test_cli import run, workdir  # noqa: F401  (fixture)
from tests.test_notifier import eml_messages
from workflow.clock import LOCAL_TZ
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.engine.closing import close_year
from workflow.engine.instantiate import instantiate
from workflow.engine.reports import submit_report
from workflow.errors import NhiemvuError
from workflow.schedule.sweep import run_due
from workflow.storage.db import read_session, write_session
from workflow.storage.models import AuditRow, ClosedYearRow, OutboxRow, TaskRow
from workflow.views.labels import week_label

SECRETARIAT = Actor("Thư ký Ban", "secretariat", "cli")
POLICE = "hq-2022/v.bao-cao/hq.cong-an/2022-h1"
WOMEN = "hq-2022/v.bao-cao/hq.hlhpn/2022-h1"
DEC_20 = datetime(2022, 12, 20, 9, 0, tzinfo=LOCAL_TZ)


def states(engine: Engine, directive: str, year: int) -> dict[str, int]:
    with read_session(engine) as session:
        return dict(session.execute(select(TaskRow.state, func.count()).where(
            TaskRow.directive_code == directive, TaskRow.year == year)
            .group_by(TaskRow.state)).all())


def digests_for(engine: Engine, agency: str, since: datetime) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.kind == "weekly_digest", OutboxRow.agency_code == agency,
            OutboxRow.created_at >= since)) or 0


def test_closed_year_ends_owed_tasks_and_sends_nothing_more(loaded: Engine) -> None:
    instantiate(loaded, "hq-2022", 2022, DEC_20 - timedelta(days=300))
    submit_report(loaded, task_id(loaded, POLICE), Actor("hq.cong-an", "agency", "link",
                                                         "hq.cong-an"), DEC_20, "Đã làm.", [], [])
    run_due(loaded, DEC_20)
    before = states(loaded, "hq-2022", 2022)
    owed = before.get("assigned", 0) + before.get("returned", 0)
    result = close_year(loaded, "hq-2022", 2022, SECRETARIAT, DEC_20 + timedelta(hours=1),
                        "Kết thúc năm 2022")
    assert result.not_done == owed > 0 and result.awaiting == before.get("reported", 0) == 1
    after = states(loaded, "hq-2022", 2022)
    assert after.get("not_done") == owed and "assigned" not in after
    assert after.get("reported") == 1  # a report received still waits to be verified
    with read_session(loaded) as session:
        closed = session.scalars(select(AuditRow).where(AuditRow.trigger == "close")).all()
        assert len(closed) == owed and {a.to_state for a in closed} == {"not_done"}
        assert {a.reason for a in closed} == {"Kết thúc năm 2022"}
        assert {a.actor for a in closed} == {"Thư ký Ban"}
        row = session.get(ClosedYearRow, ("hq-2022", 2022))
        assert row is not None and row.reason == "Kết thúc năm 2022"
        women = session.get(TaskRow, task_id(loaded, WOMEN))
        assert women is not None and women.state == "not_done" and women.version >= 2
        assert not session.scalar(select(func.count()).select_from(OutboxRow).join(
            TaskRow, TaskRow.id == OutboxRow.task_id).where(
            TaskRow.state == "not_done", OutboxRow.state == "queued"))
    with pytest.raises(NhiemvuError, match="đã kết thúc trước đó"):
        close_year(loaded, "hq-2022", 2022, SECRETARIAT, DEC_20, "lần hai")
    with pytest.raises(NhiemvuError, match="không trả lại"):
        fire(loaded, task_id(loaded, POLICE), "return", SECRETARIAT, DEC_20, reason="Thiếu")
    fire(loaded, task_id(loaded, POLICE), "verify", SECRETARIAT, DEC_20 + timedelta(hours=2))
    assert instantiate(loaded, "hq-2022", 2022, DEC_20).closed
    # Ticking on into 2023: nothing about the closed year goes out again.
    since = DEC_20 + timedelta(hours=3)
    for now in days(since, datetime(2023, 3, 31, 9, 0, tzinfo=LOCAL_TZ), timedelta(days=7)):
        run_due(loaded, now)
    with read_session(loaded) as session:
        assert not session.scalar(select(func.count()).select_from(OutboxRow).join(
            TaskRow, TaskRow.id == OutboxRow.task_id).where(
            TaskRow.directive_code == "hq-2022", TaskRow.year == 2022,
            OutboxRow.created_at >= since))
    assert digests_for(loaded, "hq.hlhpn", since) == 0


def test_refusals_are_one_vietnamese_line(loaded: Engine) -> None:
    with pytest.raises(NhiemvuError, match="không có nhiệm vụ năm 2030"):
        close_year(loaded, "hq-2022", 2030, SECRETARIAT, DEC_20, "x")
    with pytest.raises(NhiemvuError, match="cần lý do"):
        close_year(loaded, "hq-2022", 2022, SECRETARIAT, DEC_20, "   ")
    with pytest.raises(NhiemvuError, match="Chỉ Thường trực"):
        close_year(loaded, "hq-2022", 2022, Actor("x", "agency", "link", "hq.hlhpn"), DEC_20,
                   "x")
    with write_session(loaded) as session:
        assert session.get(ClosedYearRow, ("hq-2022", 2022)) is None


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_digests_stop_by_themselves_after_the_calendar_horizon(engine: Engine,
                                                               tmp_path: Path) -> None:
    """Never closed, a 2022 plan's digests stop 90 days (the calendar's
    digest.stop_after_days) after the last deadline they list."""
    load_shipped(engine)
    start = datetime(2022, 12, 26, 9, 0, tzinfo=LOCAL_TZ)
    for now in days(datetime(2022, 6, 6, 9, 0, tzinfo=LOCAL_TZ), start, timedelta(days=7)):
        run_due(engine, now)
    assert digests_for(engine, "hq.hlhpn", start - timedelta(days=7)) > 0  # still owed
    with read_session(engine) as session:
        last_due = session.scalar(select(func.max(TaskRow.due_on)).where(
            TaskRow.agency_code == "hq.hlhpn", TaskRow.year == 2022,
            TaskRow.state.in_(("assigned", "returned"))))
    assert last_due is not None
    silent_from = datetime.combine(last_due + timedelta(days=91), datetime.min.time(),
                                   tzinfo=LOCAL_TZ)
    for now in days(start, datetime(2024, 6, 3, 9, 0, tzinfo=LOCAL_TZ), timedelta(days=7)):
        run_due(engine, now)
    assert digests_for(engine, "hq.hlhpn", silent_from) == 0
    assert digests_for(engine, "hq.hlhpn", start) > 0  # it did go on for a while


def test_digest_subject_names_the_week_in_dates(engine: Engine, tmp_path: Path) -> None:
    assert week_label("2023-W23") == "tuần từ 05/06 đến 11/06/2023"
    assert week_label("2026-W01") == "tuần từ 29/12/2025 đến 04/01/2026"
    load_shipped(engine)
    now = datetime(2022, 6, 6, 9, 0, tzinfo=LOCAL_TZ)
    run_due(engine, now)
    send_due(engine, EmlFolder(tmp_path), MailSettings(), now)
    digest = next(m for m in eml_messages(tmp_path)
                  if str(m["X-Nhiemvu-Key"]) == "weekly_digest:2022-W23:secretariat:hq.ldtbxh")
    assert str(digest["Subject"]) == ("[Tổng hợp tuần] 37 nhiệm vụ quá hạn, tuần từ 06/06 "
                                      "đến 12/06/2022")
    text = digest.get_body(("plain",)).get_content()
    assert "[hq-2022]" not in text and "(Kế hoạch số " in text
    assert "Theo:\n- Kế hoạch số" in text


def test_close_command(workdir: Path) -> None:  # noqa: F811
    dry = run(["close", "hq-2022", "--year", "2022", "--dry-run"], workdir).stdout
    assert "188 nhiệm vụ chưa báo cáo sẽ ghi nhận không hoàn thành" in dry
    assert "chưa thay đổi gì" in dry
    done = run(["close", "hq-2022", "--year", "2022", "--reason", "Hết năm"], workdir).stdout
    assert done.startswith("Đã kết thúc năm 2022 của hq-2022: 188 nhiệm vụ không hoàn thành")
    shown = run(["show", f"#{1}"], workdir).stdout
    assert "Không hoàn thành" in shown and "Hết năm" in shown
    again = run(["close", "hq-2022", "--year", "2022"], workdir, ok=False)
    assert again.returncode == 1 and "đã kết thúc trước đó" in again.stderr
    refused = run(["instantiate", "hq-2022", "--year", "2022"], workdir, ok=False)
    assert "đã kết thúc: không tạo thêm nhiệm vụ" in refused.stderr
