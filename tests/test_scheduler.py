"""The scheduler over simulated years, on SQLite and PostgreSQL: the exact reminders,
overdue markings and escalations; catch-up after downtime; deadlines already past at
load time; the CLI's `tick` reproducing the simulation; two schedulers at once; kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from tests.conftest import DEFINITIONS
from tests.simulation import (
    END,
    START,
    count,
    load_shipped,
    outbox_keys,
    scheduler_audit,
    simulate,
    task_id,
)
from workflow.clock import LOCAL_TZ
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.schedule.sweep import run_due
from workflow.storage.db import read_session
from workflow.storage.models import OutboxRow, SweepMarkRow, TaskRow

NHIEMVU = str(Path(sys.executable).parent / "nhiemvu")
SECRETARIAT = Actor("Thư ký", "secretariat", "web")
STEP_KIND = {"before-7": "reminder", "last-day": "reminder", "overdue": "overdue_notice",
             "escalation-1": "escalation", "escalation-2": "escalation"}
NOTICE_KINDS = ("reminder", "overdue_notice", "escalation")


def d(text: str) -> date:
    day, month, year = (int(x) for x in text.split("/"))
    return date(year, month, day)


def row(*days: str | None) -> dict[str, date | None]:
    return dict(zip(STEP_KIND, (d(x) if x else None for x in days), strict=True))


# Every deadline day of the shipped directives in 2022-2023, with its step days worked
# out by hand (Saturdays, Sundays and holidays skipped; a reminder landing on the deadline
# dropped).
STEP_DAYS = {
    d("05/06/2022"): row("30/05/2022", None, "06/06/2022", "08/06/2022", "14/06/2022"),
    d("05/07/2022"): row("28/06/2022", "04/07/2022", "05/07/2022", "08/07/2022", "14/07/2022"),
    d("15/11/2022"): row("08/11/2022", "14/11/2022", "15/11/2022", "18/11/2022", "24/11/2022"),
    d("05/12/2022"): row("28/11/2022", None, "05/12/2022", "08/12/2022", "14/12/2022"),
    d("20/12/2022"): row("13/12/2022", "19/12/2022", "20/12/2022", "23/12/2022", "29/12/2022"),
    d("05/06/2023"): row("29/05/2023", None, "05/06/2023", "08/06/2023", "14/06/2023"),
    d("05/07/2023"): row("28/06/2023", "04/07/2023", "05/07/2023", "10/07/2023", "14/07/2023"),
    d("05/12/2023"): row("28/11/2023", "04/12/2023", "05/12/2023", "08/12/2023", "14/12/2023"),
    d("20/12/2023"): row("13/12/2023", "19/12/2023", "20/12/2023", "25/12/2023", "29/12/2023"),
}


def at(text: str, hour: int = 8) -> datetime:
    return datetime.combine(d(text), datetime.min.time(), tzinfo=LOCAL_TZ).replace(hour=hour)


NOI_VU_H1 = "hq-2022/v.bao-cao/hq.noi-vu/2022-h1"
TU_PHAP_H1 = "hq-2022/v.bao-cao/hq.tu-phap/2022-h1"
CONG_AN_H1 = "hq-2022/v.bao-cao/hq.cong-an/2022-h1"
DO_SON_GE = "hp-2022/ii.1.3/hp.vstbpn-do-son/2022-gender-equality"
# When the acting tasks owe nothing: [from, to) intervals (the actions happen at 07:00).
NOT_OWED = {
    NOI_VU_H1: [(at("01/06/2022", 7), END)],
    TU_PHAP_H1: [(at("10/06/2022", 7), END)],
    CONG_AN_H1: [(at("01/06/2022", 7), at("07/06/2022", 7)), (at("09/06/2022", 7), END)],
    DO_SON_GE: [(at("20/12/2022", 7), END)],
}


def agency(code: str) -> Actor:
    return Actor(code, "agency", "link", agency_code=code)


def actions(engine: Engine) -> Callable[[datetime], None]:
    """Agencies and the secretariat acting at 07:00, before the day's 08:00 tick."""
    script = {
        at("01/06/2022"): [(NOI_VU_H1, "report"), (CONG_AN_H1, "report")],
        at("07/06/2022"): [(CONG_AN_H1, "return")],
        at("09/06/2022"): [(CONG_AN_H1, "report")],
        at("10/06/2022"): [(TU_PHAP_H1, "report")],
        at("20/12/2022"): [(DO_SON_GE, "cancel")],
    }

    def act(now: datetime) -> None:
        for key, trigger in script.get(now, []):
            actor = agency(key.split("/")[2]) if trigger == "report" else SECRETARIAT
            fire(engine, key, trigger, actor, now - timedelta(hours=1),
                 text="Báo cáo" if trigger == "report" else None,
                 reason="Lý do" if trigger in {"return", "cancel"} else None)

    return act


def expected_notices(engine: Engine, until: datetime, with_actions: bool) -> set[str]:
    """The notices a correct scheduler sends, from the hand-checked step days."""
    keys: set[str] = set()
    with read_session(engine) as session:
        tasks = list(session.scalars(select(TaskRow).where(TaskRow.due_on.is_not(None))))
    assert tasks
    for task in tasks:
        assert task.due_on in STEP_DAYS, task.due_on
        key = f"{task.directive_code}/{task.spec_code}/{task.agency_code}/{task.period}"
        gaps = NOT_OWED.get(key, []) if with_actions else []
        for code, day in STEP_DAYS[task.due_on].items():
            if day is None:
                continue
            instant = at(day.strftime("%d/%m/%Y"))
            if instant > until or task.created_at > instant:
                continue
            if any(start <= instant < end for start, end in gaps):
                continue
            if code == "escalation-2":
                keys.add(f"escalation:{task.directive_code}:{task.due_on.isoformat()}:{code}")
            else:
                keys.add(f"{STEP_KIND[code]}:{task.id}:{code}")
    return keys


def assert_no_duplicates(engine: Engine) -> None:
    repeated = [k for k, n in Counter(scheduler_audit(engine)).items() if n > 1]
    assert repeated == []


def test_simulated_years_produce_exactly_the_expected_steps(engine: Engine) -> None:
    load_shipped(engine)
    lines = simulate(engine, on_day=actions(engine))
    assert outbox_keys(engine, NOTICE_KINDS) == expected_notices(engine, END, with_actions=True)
    assert_no_duplicates(engine)
    # Overdue is recorded for every owed task at its deadline, and only for those.
    with read_session(engine) as session:
        tasks = list(session.scalars(select(TaskRow).where(TaskRow.due_on.is_not(None))))
    marked = {t.id for t in tasks if t.overdue_since is not None}
    never_late = {task_id(engine, NOI_VU_H1), task_id(engine, DO_SON_GE)}
    assert marked == {t.id for t in tasks} - never_late
    assert all(t.overdue_since == t.due_at for t in tasks if t.overdue_since)
    levels = {t.id: t.escalation_level for t in tasks}
    assert levels[task_id(engine, TU_PHAP_H1)] == 1 and levels[task_id(engine, CONG_AN_H1)] == 1
    assert levels[task_id(engine, NOI_VU_H1)] == 0
    assert Counter(levels.values()) == Counter({2: len(tasks) - 4, 1: 2, 0: 2})
    # The chair hears once per directive and deadline, with the count.
    with read_session(engine) as session:
        chair = session.scalars(select(OutboxRow).where(
            OutboxRow.key == "escalation:hq-2022:2022-06-05:escalation-2")).one()
    assert (chair.agency_code, chair.recipient_role, chair.payload["tasks"]) == (
        "hq.ubnd", "chair", 34)
    # One digest per recipient per week, from the week the first tasks fell overdue.
    digests = outbox_keys(engine, ("weekly_digest",))
    week24 = {k for k in digests if k.startswith("weekly_digest:2022-W24:")}
    assert len(week24) == 35  # 34 agencies still owing the 05/06 report + the secretariat
    assert "weekly_digest:2022-W24:secretariat:hq.ldtbxh" in week24
    openings = outbox_keys(engine, ("action_month_opening",))
    assert Counter(k.split(":")[1] + ":" + k.split(":")[2] for k in openings) == Counter(
        {"2022:june": 30, "2022:gender-equality": 32, "2023:june": 34,
         "2023:gender-equality": 34})
    assert "01/04/2022 00:00  tasks created      hq-2022 2022 (188)" in lines
    assert "01/01/2023 00:00  tasks created      th-2023 2023 (986)" in lines


def test_catch_up_after_downtime_does_each_thing_once_in_order(engine: Engine) -> None:
    load_shipped(engine)
    run_due(engine, START)
    report = run_due(engine, at("20/06/2022", 9))
    whats = [(d.what, d.detail) for d in report.done]
    assert whats.index(("tasks created", "hq-2022 2022")) < whats.index(
        ("overdue_notice", "overdue, hạn 05/06/2022"))
    assert ("superseded", "before-7, hạn 05/06/2022") in whats
    assert ("superseded", "last-day, hạn 05/06/2022") not in whats  # falls on Saturday 04/06
    sent = [w for w in whats if w[0] in {"overdue_notice", "escalation"}]
    assert sent == [("overdue_notice", "overdue, hạn 05/06/2022"),
                    ("escalation", "escalation-1, hạn 05/06/2022"),
                    ("escalation", "escalation-2, hạn 05/06/2022")]
    assert [d.due for d in report.done] == sorted(d.due for d in report.done)
    weeks = {k.split(":")[1] for k in outbox_keys(engine, ("weekly_digest",))}
    assert weeks == {"2022-W25"}  # missed weeks W14-W24 are not sent late
    assert outbox_keys(engine, ("reminder",)) == set()
    assert len(outbox_keys(engine, ("overdue_notice",))) == 37
    again = run_due(engine, at("20/06/2022", 10))
    assert again.done == [] and again.marked_overdue == 0


def test_deadlines_already_past_at_load_send_nothing_stale(engine: Engine) -> None:
    load_shipped(engine, at("21/12/2022"))
    report = run_due(engine, at("22/12/2022"))
    assert {d.what for d in report.done} >= {"tasks created", "weekly digest"}
    assert outbox_keys(engine, NOTICE_KINDS) == set()
    assert report.marked_overdue == 37 + 1 + 37 + 1 + 30 + 30  # the facts are still recorded
    assert count(engine, OutboxRow, OutboxRow.kind == "weekly_digest") > 0
    later = run_due(engine, at("23/12/2022"))  # a step after the load still happens
    assert [(d.what, d.detail, d.count) for d in later.done] == [
        ("escalation", "escalation-1, hạn 20/12/2022", 31)]


def test_tick_cli_reproduces_the_simulation(engine: Engine, tmp_path: Path) -> None:
    load_shipped(engine)
    url = engine.url.render_as_string(hide_password=False)
    result = subprocess.run(
        [NHIEMVU, "--db", url, "tick", "--at", "01/01/2022 08:00", "--until",
         "31/12/2023 08:00", "--every", "1d"], capture_output=True, text=True, timeout=900,
        cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert outbox_keys(engine, NOTICE_KINDS) == expected_notices(engine, END, with_actions=False)
    assert_no_duplicates(engine)
    assert "06/06/2022 08:00  overdue_notice     overdue, hạn 05/06/2022 (37)" in result.stdout
    assert "14/06/2022 08:00  escalation         escalation-2, hạn 05/06/2022 (37)" in \
        result.stdout


MONTH_START, MONTH_END = at("25/05/2022"), at("25/06/2022")


def test_two_schedulers_at_once_send_each_step_once(engine: Engine, tmp_path: Path) -> None:
    load_shipped(engine)
    run_due(engine, at("15/04/2022"))  # the year's tasks exist before the month starts
    url = engine.url.render_as_string(hide_password=False)
    command = [NHIEMVU, "--db", url, "tick", "--at", "25/05/2022 08:00", "--until",
               "25/06/2022 08:00", "--every", "6h"]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, cwd=tmp_path, stdin=subprocess.DEVNULL)
                 for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert outbox_keys(engine, NOTICE_KINDS) == expected_notices(engine, MONTH_END, False)
    assert_no_duplicates(engine)
    both = outputs[0][0].splitlines() + outputs[1][0].splitlines()
    steps = [line for line in both if "hạn 05/06/2022" in line]
    assert len(steps) == len(set(steps)) == 4  # each unit reported by one process only


def test_kill_9_mid_sweep_loses_and_duplicates_nothing(engine: Engine, tmp_path: Path) -> None:
    load_shipped(engine)
    url = engine.url.render_as_string(hide_password=False)
    until = at("31/12/2022")
    command = [NHIEMVU, "--db", url, "tick", "--at", "01/01/2022 08:00", "--until",
               "31/12/2022 08:00"]
    victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=tmp_path, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while count(engine, SweepMarkRow, SweepMarkRow.kind == "step") < 3:
        assert victim.poll() is None, "finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    interrupted = outbox_keys(engine, NOTICE_KINDS)
    assert interrupted < expected_notices(engine, until, with_actions=False)
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                           stdin=subprocess.DEVNULL)
    assert rerun.returncode == 0, rerun.stderr
    assert outbox_keys(engine, NOTICE_KINDS) == expected_notices(engine, until, False)
    assert_no_duplicates(engine)


def test_scheduler_run_sweeps_until_sigterm(engine: Engine, tmp_path: Path) -> None:
    load_shipped(engine)
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "NHIEMVU_NOW": "06/06/2022 09:00"}
    process = subprocess.Popen([NHIEMVU, "--db", url, "scheduler", "run", "--interval", "0.01"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, cwd=tmp_path, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while count(engine, OutboxRow, OutboxRow.kind == "overdue_notice") < 37:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.5)  # several more sweeps at the same instant: nothing new
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "scheduler stopped" in err
    assert out.count("overdue_notice     overdue, hạn 05/06/2022 (37)") == 1
    assert count(engine, OutboxRow, OutboxRow.kind == "overdue_notice") == 37
    assert_no_duplicates(engine)


def test_calendar_command_lists_the_year(engine: Engine, tmp_path: Path) -> None:
    load_shipped(engine)
    url = engine.url.render_as_string(hide_password=False)
    result = subprocess.run([NHIEMVU, "--db", url, "calendar", "--year", "2022"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "01/02/2022 Thứ Ba    nghỉ lễ" in result.stdout
    assert "30/05/2022 Thứ Hai   nhắc hạn (before-7)    hq-2022: 37 nhiệm vụ hạn trước ngày " \
           "05/06/2022" in result.stdout
    assert "14/06/2022 Thứ Ba    báo lãnh đạo (escalation-2) hq-2022" in result.stdout
    assert str(DEFINITIONS)  # the shipped calendar drives it
    moved = subprocess.run([NHIEMVU, "--db", url, "calendar", "--year", "2025"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "26/04/2025 Thứ Bảy   làm việc bù            Làm bù cho ngày nghỉ thứ Sáu " \
           "02/05/2025" in moved.stdout
    assert "02/05/2025 Thứ Sáu   nghỉ lễ                Nghỉ hoán đổi dịp 30/4-1/5" in moved.stdout
