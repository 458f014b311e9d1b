"""Benchmark: a province with 100 communes of 20 bodies each through a whole simulated
year, the sender delivering every e-mail to a local SMTP server (aiosmtpd's Sink in its
own process), then the province's roll-up page over HTTP (wrk) and its XLSX.

    .venv/bin/python bench/province.py                      # PostgreSQL at 127.0.0.1
    .venv/bin/python bench/province.py --db sqlite:///province.db --communes 20
    .venv/bin/python bench/province.py --check              # exit 1 when a goal is missed

Setup (not timed): the registry (SAMPLE DATA, synthetic names) and a province plan of 30
tasks given to functions across the communes (Phòng Văn hóa - Xã hội, Công an, Hội LHPN,
Mặt trận các xã) and to province departments. Timed, as the product runs it: every day
at 08:00 the scheduler tick (instantiation, reminders, overdue, escalations, digests) and
`nhiemvu send`; on the first working days each commune implements the province plan with
a plan of 20 tasks (its bodies and villages); through the year the bodies report before
their deadlines (70% of lead tasks, 30% of coordinating ones), the commune secretariat
verifies the next day, composes its report from them and sends it up in the two days
before the province deadline; the province verifies what arrives.

Goals (issue 14): the whole year in under 60 s on this machine; the roll-up page and the
XLSX each under 300 ms. The page's baseline is the same numbers from one hand-written
GROUP BY query rendered by one Jinja2 template of the same rows, served by the same
uvicorn settings; the ratio shows what the product's page costs above that.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import uvicorn
from jinja2 import Template
from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bench.scratch import scratch_database
from notifier.config import MailSettings
from notifier.sender import send_due
from notifier.transport import Smtp
from tests.smtpserver import free_port
from web.app import create_app
from web.config import WebSettings
from workflow.access.users import add_user
from workflow.cascade.implement import draft_implementation, publish_implementation
from workflow.cascade.rollup import compose, submit_composition
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.definitions.loader import load_definitions
from workflow.definitions.specs import (
    Agency,
    Committee,
    DefinitionSet,
    Directive,
    FixedDue,
    PeriodDue,
    Registry,
    TaskSpec,
    YearlyDue,
)
from workflow.definitions.store import save_definitions
from workflow.engine.actions import apply_transition, plan_transition
from workflow.engine.actors import Actor
from workflow.engine.reports import record_report
from workflow.schedule.sweep import run_due
from workflow.storage.db import make_engine, read_session, write_session
from workflow.storage.models import AgencyRow, DirectiveRow, TaskRow

YEAR = 2026
CALENDAR = Path(__file__).resolve().parent.parent / "definitions" / "calendar.yaml"
BODIES = [("ubnd", "Ủy ban nhân dân"), ("vhxh", "Phòng Văn hóa - Xã hội"),
          ("cong-an", "Công an"), ("mttq", "Ủy ban MTTQ Việt Nam"),
          ("hlhpn", "Hội Liên hiệp Phụ nữ"), ("doan", "Đoàn Thanh niên"),
          ("nong-dan", "Hội Nông dân"), ("cuu-chien-binh", "Hội Cựu chiến binh")]
VILLAGES = 12  # thôn, tổ dân phố: 8 bodies + 12 villages = 20 per commune
FUNCTIONS = ["vhxh", "cong-an", "hlhpn", "mttq"]
DEPARTMENTS = ["so-noi-vu", "so-y-te", "so-vhttdl", "so-gddt", "cong-an", "hlhpn", "mttq",
               "so-tu-phap", "so-tai-chinh", "so-ldtbxh", "ubnd"]
MAIL_FROM = "Ban VSTBPN tỉnh <nhiemvu@tinh-mau.example.vn>"


def registry(communes: int) -> Registry:
    agencies: dict[str, Agency] = {}
    committees = {"bt": Committee("bt", "Ban Vì sự tiến bộ của phụ nữ tỉnh Thử (dữ liệu mẫu)",
                                  "province", "Tỉnh Thử", None, "bt.so-noi-vu", "bt.ubnd")}
    for dept in DEPARTMENTS:
        code = f"bt.{dept}"
        agencies[code] = Agency(code, f"{dept} tỉnh Thử", "tinh", (f"{dept}@tinh.example.vn",),
                                committee="bt")
    for n in range(communes):
        c = f"x{n:03d}"
        committees[c] = Committee(c, f"Ban Vì sự tiến bộ của phụ nữ xã Thử {n}", "commune",
                                  f"Xã Thử {n}", "bt", f"{c}.vhxh", f"{c}.ubnd")
        for code, name in BODIES:
            agencies[f"{c}.{code}"] = Agency(
                f"{c}.{code}", f"{name} xã Thử {n}", "xa", (f"{code}@{c}.example.vn",),
                committee=c, function=code if code in FUNCTIONS else None)
        for v in range(VILLAGES):
            agencies[f"{c}.thon-{v:02d}"] = Agency(
                f"{c}.thon-{v:02d}", f"Thôn {v + 1} xã Thử {n}", "xa",
                (f"thon{v:02d}@{c}.example.vn",), committee=c)
    return Registry(agencies, {}, committees)


def province_plan() -> Directive:
    tasks = []
    for k in range(30):
        lead = (f"chuc-nang.{FUNCTIONS[k % 4]}",) if k % 5 else (f"bt.{DEPARTMENTS[k % 11]}",)
        coordinating = ("chuc-nang.vhxh",) if k % 4 == 1 else ()
        if k < 8:  # the 6-month and annual reports
            recurs = (PeriodDue("h1", YearlyDue(5, 6)), PeriodDue("year", YearlyDue(5, 12)))
            tasks.append(TaskSpec(str(k + 1), f"Báo cáo định kỳ {k + 1}", "Báo cáo.", lead,
                                  coordinating, None, recurs))
        else:
            due = date(YEAR, 3 + (k % 9), 10 + (k % 15))
            tasks.append(TaskSpec(str(k + 1), f"Nhiệm vụ {k + 1}", "Thực hiện.", lead,
                                  coordinating, FixedDue(due)))
    return Directive("bt-2026", "ke-hoach", "15/KH-BVSTBPN", date(YEAR, 1, 5), "day",
                     "Ban Vì sự tiến bộ của phụ nữ tỉnh Thử", "Kế hoạch năm 2026", YEAR, YEAR,
                     (), tuple(tasks), secretariat="bt.so-noi-vu", chair="bt.ubnd",
                     committee="bt")


def populate(url: str, communes: int) -> None:
    engine = make_engine(url)
    calendars = load_definitions([CALENDAR]).calendars
    with write_session(engine) as session:
        save_definitions(session, DefinitionSet(registry(communes), calendars,
                                                {"bt-2026": province_plan()}),
                         datetime(YEAR, 1, 2, 8, tzinfo=LOCAL_TZ))
        add_user(session, "thuky.bt", "mat-khau-thu-nghiem", "Thư ký Ban tỉnh",
                 datetime(YEAR, 1, 2, tzinfo=LOCAL_TZ), "bt")
    engine.dispose()


def chosen(task_id: int, percent: int) -> bool:
    return zlib.crc32(str(task_id).encode()) % 100 < percent


class Year:
    """The product through the year; counts what it did."""

    def __init__(self, url: str, communes: int, mail: MailSettings) -> None:
        self.engine = make_engine(url)
        self.communes = communes
        self.mail = mail
        self.transport = Smtp(mail)
        self.sent = self.reports = self.verified = self.rollups = 0
        self.spent: dict[str, float] = {}

    def timed(self, name: str, work: object, *args: object) -> object:
        started = time.perf_counter()
        result = work(*args)  # type: ignore[operator]
        self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started
        return result

    def run(self) -> None:
        day = datetime(YEAR, 1, 2, 8, 0, tzinfo=LOCAL_TZ)
        while day.year == YEAR:
            self.timed("tick", run_due, self.engine, day)
            if day.date() == date(YEAR, 1, 6):
                self.timed("implement", self.implement, day)
            if day.weekday() < 5 and day.date() > date(YEAR, 1, 6):
                self.timed("verify", self.verify, day)
                self.timed("roll-up", self.roll_up, day)
                self.timed("report", self.report, day)
            sent = self.timed("send", send_due, self.engine, self.transport, self.mail, day)
            self.sent += sent.sent  # type: ignore[attr-defined]
            day += timedelta(days=1)

    def implement(self, now: datetime) -> None:
        for n in range(self.communes):
            c = f"x{n:03d}"
            with write_session(self.engine) as session:
                draft = draft_implementation(session, "bt-2026", c, number=f"{n + 1}/KH-UBND",
                                             issued="06/01/2026")
                villages = tuple(f"{c}.thon-{v:02d}" for v in range(VILLAGES))
                tasks = tuple(replace(t, coordinating=tuple(
                    dict.fromkeys(t.coordinating + villages[i % 4 * 3:i % 4 * 3 + 3])))
                    for i, t in enumerate(draft.tasks[:20]))
                publish_implementation(session, replace(draft, tasks=tasks), now, YEAR)

    def report(self, now: datetime) -> None:
        """Bodies report in the four days before a deadline (a share of them)."""
        soon = (now + timedelta(days=4)).date()
        with write_session(self.engine) as session:
            due = list(session.execute(
                select(TaskRow.id, TaskRow.agency_code, TaskRow.role)
                .join(DirectiveRow, DirectiveRow.code == TaskRow.directive_code)
                .where(TaskRow.state == "assigned", TaskRow.due_on > now.date(),
                       TaskRow.due_on <= soon, DirectiveRow.committee_code != "bt")))
            for ident, agency, role in due:
                if chosen(ident, 70 if role == "lead" else 30):
                    record_report(session, ident, Actor(agency, "agency", "link", agency), now,
                                  "Đã thực hiện theo kế hoạch.",
                                  [{"label": "Số buổi tuyên truyền", "value": "3"}], [])
                    self.reports += 1

    def verify(self, now: datetime) -> None:
        """Each secretariat verifies what was reported to it (the province too)."""
        actor = Actor("thuky", "secretariat", "web")
        with write_session(self.engine) as session:
            reported = list(session.scalars(select(TaskRow.id).where(
                TaskRow.state == "reported", TaskRow.reported_at < now)))
            for ident in reported:
                apply_transition(session, plan_transition(session, ident, "verify", actor, now))
                self.verified += 1

    def roll_up(self, now: datetime) -> None:
        """In the two days before the province deadline, once its own reports are verified,
        each commune sends its composed report up."""
        soon = (now + timedelta(days=2)).date()
        with read_session(self.engine) as session:
            owed = list(session.scalars(
                select(TaskRow.id).join(AgencyRow, AgencyRow.code == TaskRow.agency_code)
                .where(TaskRow.directive_code == "bt-2026", TaskRow.state == "assigned",
                       TaskRow.due_on > now.date(), TaskRow.due_on <= soon,
                       AgencyRow.committee_code != "bt")))
        for ident in owed:
            with read_session(self.engine) as session:
                composition = compose(session, ident)
            if composition.used:
                submit_composition(self.engine, ident, "thuky.xa", now, composition.text,
                                   composition.figures)
                self.rollups += 1


def sink(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                                f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the SMTP sink did not start")


BASELINE = Template("""<!doctype html><html lang="vi"><body><table>
{% for name, tasks, on_time, late, open, overdue, figure in rows %}<tr><td>{{ name }}</td>
<td>{{ tasks }}</td><td>{{ on_time }}</td><td>{{ late }}</td><td>{{ open }}</td>
<td>{{ overdue }}</td><td>Số buổi tuyên truyền: {{ figure }}</td></tr>{% endfor %}
</table></body></html>""", autoescape=True)


def baseline_app(url: str) -> Starlette:
    """The roll-up's numbers from one GROUP BY, one template: the floor of the page."""
    engine = make_engine(url)
    query = text("""
        SELECT c.name, count(*),
               sum(CASE WHEN t.state IN ('reported','verified') AND t.reported_at <= t.due_at
                        THEN 1 ELSE 0 END),
               sum(CASE WHEN t.state IN ('reported','verified') AND t.reported_at > t.due_at
                        THEN 1 ELSE 0 END),
               sum(CASE WHEN t.state IN ('assigned','returned') AND t.due_at > :now
                        THEN 1 ELSE 0 END),
               sum(CASE WHEN t.state IN ('assigned','returned') AND t.due_at <= :now
                        THEN 1 ELSE 0 END),
               3 * count(r.id)
        FROM task t JOIN agency a ON a.code = t.agency_code
             JOIN committee c ON c.code = a.committee_code
             LEFT JOIN report r ON r.task_id = t.id
        WHERE t.directive_code = 'bt-2026' AND t.year = 2026 AND c.parent_code = 'bt'
        GROUP BY c.name ORDER BY c.name""")

    async def page(_request: object) -> HTMLResponse:
        with engine.connect() as connection:
            rows = connection.execute(query, {"now": datetime(YEAR, 12, 31, tzinfo=LOCAL_TZ)})
            return HTMLResponse(BASELINE.render(rows=list(rows)))

    return Starlette(routes=[Route("/", page)])


def serve(app: Starlette) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # NODELAY
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def wrk(url: str, cookie: str | None) -> tuple[float, float]:
    """(requests per second, mean latency in ms) with one connection for 3 s."""
    command = ["wrk", "-t1", "-c1", "-d3s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    assert latency is not None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[latency.group(2)]
    return rate, float(latency.group(1)) * scale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: run deploy/install-test-tools.sh", file=sys.stderr)
        return 2
    port = free_port()
    smtp = sink(port)
    try:
        with scratch_database(args.db, "province") as url:
            populate(url, args.communes)
            mail = replace(MailSettings(smtp_host="127.0.0.1", smtp_port=port,
                                        mail_from=MAIL_FROM), concurrency=4)
            year = Year(url, args.communes, mail)
            started = time.perf_counter()
            year.run()
            elapsed = time.perf_counter() - started
            with read_session(year.engine) as session:
                tasks = session.scalar(text("SELECT count(*) FROM task")) or 0
            print(f"province: {args.communes} communes x 20 bodies, {tasks:,} tasks; "
                  f"database {url.split('://')[0]}")
            print(f"year (365 daily ticks + send): {elapsed:.1f} s; e-mails sent "
                  f"{year.sent:,}; reports {year.reports:,}; verified {year.verified:,}; "
                  f"commune reports composed and sent up {year.rollups:,}")
            print("  of which: " + ", ".join(f"{name} {seconds:.1f} s"
                                             for name, seconds in year.spent.items()))
            return measure_pages(url, elapsed, args.check)
    finally:
        smtp.terminate()
        smtp.wait(timeout=10)


def measure_pages(url: str, year_seconds: float, check: bool) -> int:
    engine = make_engine(url)
    clock = FixedClock(datetime(YEAR, 12, 31, 9, 0, tzinfo=LOCAL_TZ))
    settings = WebSettings(base_url="http://127.0.0.1", attachments_dir=Path("/tmp/bench-att"),
                           key_cache_seconds=60.0)
    server, thread, base = serve(create_app(engine, clock, settings))
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        page = client.get("/dang-nhap").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        signed = client.post("/dang-nhap", data={"csrf": csrf, "username": "thuky.bt",
                                                 "password": "mat-khau-thu-nghiem"})
        assert signed.status_code == 303, signed.text
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        started = time.perf_counter()
        workbook = client.get("/quan-ly/xuat/bt-2026/2026/tinh-trang.xlsx")
        xlsx_ms = (time.perf_counter() - started) * 1000
        assert workbook.status_code == 200
        rollup = client.get("/quan-ly/theo-xa/bt-2026/2026")
        assert rollup.status_code == 200 and "Cộng" in rollup.text
    page_rate, page_ms = wrk(f"{base}/quan-ly/theo-xa/bt-2026/2026", cookie)
    detail_rate, detail_ms = wrk(f"{base}/quan-ly/theo-xa/bt-2026/2026/x000", cookie)
    server.should_exit = True
    thread.join(timeout=10)
    b_server, b_thread, b_base = serve(baseline_app(url))
    base_rate, base_ms = wrk(f"{b_base}/", None)
    b_server.should_exit = True
    b_thread.join(timeout=10)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"roll-up page (wrk, 1 connection): product {page_ms:.1f} ms ({page_rate:.0f}/s); "
          f"baseline GROUP BY + template {base_ms:.1f} ms ({base_rate:.0f}/s); ratio "
          f"{page_rate / base_rate:.2f}x of the baseline's rate")
    print(f"commune drill-down page: {detail_ms:.1f} ms ({detail_rate:.0f}/s)")
    print(f"province XLSX (all communes): {xlsx_ms:.0f} ms")
    print(f"peak RSS: {peak:.0f} MiB")
    goals = {"year under 60 s": year_seconds < 60, "roll-up page under 300 ms": page_ms < 300,
             "drill-down under 300 ms": detail_ms < 300, "XLSX under 300 ms": xlsx_ms < 300}
    missed = [name for name, ok in goals.items() if not ok]
    print("goals: " + ("all met" if not missed else "missed: " + ", ".join(missed)))
    engine.dispose()
    return 1 if check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
