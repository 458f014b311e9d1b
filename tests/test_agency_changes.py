"""Agencies that change (issue 14, step 3): a merge effective mid-year moves exactly the
open tasks, once, with the old link saying where each went and new mail going to the
successor; finished tasks stay; nothing is duplicated."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.conftest import DEFINITIONS
from tests.simulation import task_id
from tests.test_cli import run, workdir  # noqa: F401  (fixture)
from tests.webserver import live_app
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.definitions.loader import load_definitions
from workflow.definitions.store import save_definitions
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.engine.agency_changes import dissolve_agency, merge_agencies, rename_agency
from workflow.engine.instantiate import instantiate
from workflow.engine.reports import submit_report
from workflow.errors import NhiemvuError
from workflow.schedule.sweep import run_due
from workflow.storage.db import read_session, write_session
from workflow.storage.models import (
    AgencyChangeRow,
    AgencyRow,
    AuditRow,
    OutboxRow,
    TaskRow,
    TaskTransferRow,
)

SECRETARIAT = Actor("Thư ký Ban", "secretariat", "cli")
START = datetime(2022, 4, 20, 9, 0, tzinfo=LOCAL_TZ)
MERGED = datetime(2022, 7, 1, 9, 0, tzinfo=LOCAL_TZ)
GD_DT, NOI_VU = "hq.gd-dt", "hq.noi-vu"  # education merged into home affairs


def tasks_of(engine: Engine, agency: str) -> dict[tuple[str, str], tuple[int, str]]:
    with read_session(engine) as session:
        return {(s, p): (i, st) for i, s, p, st in session.execute(
            select(TaskRow.id, TaskRow.spec_code, TaskRow.period, TaskRow.state)
            .where(TaskRow.agency_code == agency))}


def test_a_merge_moves_exactly_the_open_tasks_once(loaded: Engine, tmp_path: Path) -> None:
    instantiate(loaded, "hq-2022", 2022, START)
    education = Actor(GD_DT, "agency", "link", GD_DT)
    done = task_id(loaded, f"hq-2022/v.bao-cao/{GD_DT}/2022-h1")
    submit_report(loaded, done, education, START, "Đã làm.", [], [])
    fire(loaded, done, "verify", SECRETARIAT, START)
    before = tasks_of(loaded, GD_DT)
    partner = tasks_of(loaded, NOI_VU)
    assert before and partner
    open_before = {k: v for k, v in before.items() if v[1] in {"assigned", "returned"}}
    expect_moved = {k for k in open_before if k not in partner}
    expect_cancelled = {k for k in open_before if k in partner}
    with read_session(loaded) as session:
        task = session.get(TaskRow, next(iter(before[k][0] for k in expect_moved)))
        assert task is not None
        moved_id, due_at = task.id or 0, task.due_at
    result = merge_agencies(loaded, [GD_DT], NOI_VU, date(2022, 7, 1), SECRETARIAT, MERGED,
                            "Quyết định số 01/QĐ-UBND")
    assert (result.moved, result.cancelled, result.stayed) == (
        len(expect_moved), len(expect_cancelled), len(before) - len(open_before))
    after = tasks_of(loaded, GD_DT)
    assert {k for k, v in after.items()} == set(before) - expect_moved  # moved ones left
    assert after[("v.bao-cao", "2022-h1")][1] == "verified"  # finished work stays
    assert all(after[k][1] == "cancelled" for k in expect_cancelled)
    now_partner = tasks_of(loaded, NOI_VU)
    assert set(now_partner) == set(partner) | expect_moved  # no task twice, none lost
    with read_session(loaded) as session:
        transfers = session.scalar(select(func.count()).select_from(TaskTransferRow))
        audits = session.scalar(select(func.count()).select_from(AuditRow).where(
            AuditRow.trigger == "transfer"))
        change = session.scalars(select(AgencyChangeRow)).one()
        ended = session.get(AgencyRow, GD_DT)
        notices = session.scalars(select(OutboxRow.key).where(
            OutboxRow.key.like(f"tasks_assigned:hq-2022:2022:{NOI_VU}:chuyen-giao-%"))).all()
        assert ended is not None and ended.valid_until == date(2022, 6, 30)
    assert transfers == audits == len(expect_moved)
    assert (change.kind, change.successors, change.reason) == ("merge", [NOI_VU],
                                                               "Quyết định số 01/QĐ-UBND")
    assert len(notices) == 1
    # Done once: the same merge again is refused, and re-instantiating adds nothing back.
    with pytest.raises(NhiemvuError, match="đã thôi hoạt động"):
        merge_agencies(loaded, [GD_DT], NOI_VU, date(2022, 7, 2), SECRETARIAT, MERGED)
    assert instantiate(loaded, "hq-2022", 2022, MERGED).created == 0
    # Reloading the registry files does not bring the agency back.
    with write_session(loaded) as session:
        save_definitions(session, load_definitions([DEFINITIONS]), MERGED)
    with read_session(loaded) as session:
        assert session.get(AgencyRow, GD_DT).valid_until == date(2022, 6, 30)  # type: ignore[union-attr]
    # New mail about a moved task goes to the successor.
    run_due(loaded, datetime(2022, 12, 10, 9, 0, tzinfo=LOCAL_TZ))
    with read_session(loaded) as session:
        recipients = set(session.scalars(select(OutboxRow.agency_code).where(
            OutboxRow.task_id == moved_id, OutboxRow.created_at > MERGED)))
    assert recipients <= {NOI_VU}
    # The old link says where the task went; it changes nothing.
    with live_app(loaded, FixedClock(MERGED + timedelta(days=1)), tmp_path / "files") as app:
        old = app.links().task(moved_id, GD_DT, due_at)
        with httpx.Client(follow_redirects=False) as client:
            page = client.get(old)
            assert page.status_code == 410
            assert "Nhiệm vụ đã được chuyển giao" in page.text
            assert "Từ ngày 01/07/2022, do sáp nhập" in page.text
            assert "Phòng Nội vụ huyện Hà Quảng" in page.text
            refused = client.post(old, data={"csrf": "x", "text": "Báo cáo muộn"})
            assert refused.status_code == 410


def test_dissolve_without_successor_and_rename(loaded: Engine) -> None:
    instantiate(loaded, "hq-2022", 2022, START)
    owed = [k for k, v in tasks_of(loaded, "hq.tu-phap").items() if v[1] == "assigned"]
    result = dissolve_agency(loaded, "hq.tu-phap", date(2025, 7, 1), SECRETARIAT, MERGED)
    assert result.moved == 0 and result.cancelled == len(owed) > 0
    with read_session(loaded) as session:
        reasons = set(session.scalars(select(TaskRow.last_reason).where(
            TaskRow.agency_code == "hq.tu-phap")))
    assert reasons == {"Cơ quan hq.tu-phap giải thể từ ngày 01/07/2025, không có cơ quan nhận"}
    rename_agency(loaded, "hq.noi-vu", "Phòng Nội vụ huyện Hà Quảng (mới)", date(2023, 1, 1),
                  SECRETARIAT, MERGED)
    with read_session(loaded) as session:
        change = session.scalars(select(AgencyChangeRow).where(
            AgencyChangeRow.kind == "rename")).one()
        assert change.old_name == "Phòng Nội vụ huyện Hà Quảng"
        assert session.get(AgencyRow, "hq.noi-vu").name.endswith("(mới)")  # type: ignore[union-attr]
    with pytest.raises(NhiemvuError, match=r"không tìm thấy cơ quan hq\.khong-co"):
        dissolve_agency(loaded, "hq.khong-co", date(2025, 7, 1), SECRETARIAT, MERGED)


def test_agency_commands(workdir: Path) -> None:  # noqa: F811
    merged = run(["agency", "merge", GD_DT, "--into", NOI_VU, "--on", "01/07/2022",
                  "--reason", "Quyết định 01"], workdir).stdout
    assert merged.startswith(f"Đã ghi nhận sáp nhập {GD_DT} vào {NOI_VU} từ ngày 01/07/2022: ")
    assert "nhiệm vụ chuyển giao" in merged
    bad = run(["agency", "dissolve", NOI_VU, "--on", "31/02/2022"], workdir, ok=False)
    assert bad.returncode == 2 and "31/02/2022" in bad.stderr
    history = run(["history", f"hq-2022/v.bao-cao/{NOI_VU}/2022-h1"], workdir).stdout
    assert "Giao nhiệm vụ" in history
