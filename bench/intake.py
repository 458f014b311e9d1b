"""Directive intake at scale: a draft of 300 tasks over a committee of 100 agencies.

The review page is measured over HTTP with wrk (one connection) against a baseline app
that reads the same draft row by primary key and renders every task's fields in one
Jinja2 template; publishing (validate like `nhiemvu load`, store, create the year's
tasks with their audit and outbox rows, one commit) against hand-written SQL inserting
the same task, audit and outbox rows in one commit.

    python bench/intake.py [--db URL] [--tasks 300] [--agencies 100] [--check]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from jinja2 import Template
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bench.province import serve, wrk
from bench.scratch import scratch_database
from web.app import create_app
from web.config import WebSettings
from workflow.access.users import add_user
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.dates import deadline_instant
from workflow.definitions.loader import load_definitions
from workflow.definitions.store import load_directive, load_registry, save_definitions
from workflow.engine.instantiate import plan_instances
from workflow.intake.drafts import check_document, create_draft, publish
from workflow.storage.db import make_engine, read_session, write_session
from workflow.storage.models import DirectiveDraftRow

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)
GOALS = {"review": 500.0, "publish": 5.0}


def registry_yaml(agencies: int) -> str:
    lines = ["kind: agencies", "locality: Xã Mẫu, tỉnh Mẫu", "committee:", "  code: bm",
             "  name: Ban Vì sự tiến bộ của phụ nữ xã Mẫu", "  level: commune",
             "  secretariat: bm.a000", "agencies:"]
    for index in range(agencies):
        lines += [f"  - code: bm.a{index:03d}", f"    name: Cơ quan số {index:03d} xã Mẫu",
                  "    level: xa", f"    emails: [a{index:03d}@xa-mau.example]"]
    lines += ["groups:"]
    for group in range(agencies // 10):
        members = ", ".join(f"bm.a{group * 10 + i:03d}" for i in range(10))
        lines += [f"  - code: bm.nhom-{group}", f"    name: Nhóm {group} xã Mẫu",
                  f"    members: [{members}]"]
    return "\n".join(lines) + "\n"


def draft_document(tasks: int, agencies: int) -> dict[str, Any]:
    items = []
    for index in range(tasks):
        task: dict[str, Any] = {
            "code": str(index + 1), "source": f"II.{index + 1}",
            "title": f"Nhiệm vụ số {index + 1}: tuyên truyền về bình đẳng giới",
            "text": f"Nhiệm vụ số {index + 1}: tổ chức tuyên truyền, phổ biến pháp luật về "
                    "bình đẳng giới và phòng, chống bạo lực gia đình trên địa bàn; báo cáo "
                    "kết quả theo định kỳ.\nChi tiết: lồng ghép vào sinh hoạt của thôn.",
            "lead": [f"bm.nhom-{index % (agencies // 10)}"],
            "coordinating": [f"bm.a{(index * 7 + k) % agencies:03d}" for k in range(5)]}
        if index % 2:
            task["recurs"] = [{"period": "h1", "due": "05/06"}, "year"]
        else:
            task["due"] = f"{1 + index % 28:02d}/{4 + index % 8:02d}/2026"
        items.append(task)
    return {"kind": "directive", "code": "bm-2026", "document": "ke-hoach",
            "number": "12/KH-BVSTBPN", "date": "01/03/2026",
            "issuer": "Ban Vì sự tiến bộ của phụ nữ xã Mẫu", "title": "Kế hoạch năm 2026",
            "year": 2026, "committee": "bm", "secretariat": "bm.a000",
            "calendar": "default", "tasks": items}


def populate(url: str, tasks: int, agencies: int) -> int:
    engine = make_engine(url)
    with write_session(engine) as session:
        save_definitions(session, load_definitions([ROOT / "definitions" / "calendar.yaml"],
                                                   texts=[("bm.yaml",
                                                           registry_yaml(agencies))]), NOW)
        add_user(session, "thuky.bm", "mat-khau-thu-nghiem", "Thư ký", NOW, committee="bm")
        row = create_draft(session, draft_document(tasks, agencies), [], "ke-hoach.docx",
                           "\n".join(f"{n}\tDòng {n} của văn bản" for n in range(1, 1500)),
                           "bm", "thuky.bm", NOW)
        assert row.id is not None
        draft_id = row.id
    engine.dispose()
    return draft_id


BASELINE = Template("""<!doctype html><html><body><form>
{% for t in tasks %}<fieldset><input name="t{{ loop.index0 }}.code" value="{{ t.code }}">
<input name="t{{ loop.index0 }}.title" value="{{ t.title }}">
<textarea name="t{{ loop.index0 }}.text">{{ t.text }}</textarea>
{% for c in t.lead + t.get("coordinating", []) %}<label><input type="checkbox" value="{{ c }}"
 checked> {{ names.get(c, c) }}</label>{% endfor %}</fieldset>{% endfor %}
{% for n, line in lines %}<li id="dong-{{ n }}">{{ line }}</li>{% endfor %}
</form></body></html>""", autoescape=True)


def baseline_app(url: str, draft_id: int) -> Starlette:
    """The draft row by primary key and its fields in one template: the page's floor."""
    engine = make_engine(url)
    with read_session(engine) as session:
        registry = load_registry(session)
    names = {c: a.name for c, a in registry.agencies.items()} | \
        {c: g.name for c, g in registry.groups.items()}

    async def page(_request: object) -> HTMLResponse:
        with read_session(engine) as session:
            row = session.get(DirectiveDraftRow, draft_id)
            assert row is not None
            lines = [line.split("\t", 1) for line in (row.source_text or "").split("\n")]
            return HTMLResponse(BASELINE.render(tasks=row.document["tasks"], names=names,
                                                lines=lines))

    return Starlette(routes=[Route("/", page)])


def measure_review(url: str, draft_id: int, tasks: int) -> tuple[float, float, int]:
    engine = make_engine(url)
    settings = WebSettings(base_url="http://127.0.0.1", attachments_dir=Path("/tmp/bench-att"),
                           key_cache_seconds=60.0)
    server, thread, base = serve(create_app(engine, FixedClock(NOW), settings))
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        page = client.get("/dang-nhap").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        signed = client.post("/dang-nhap", data={"csrf": csrf, "username": "thuky.bm",
                                                 "password": "mat-khau-thu-nghiem"})
        assert signed.status_code == 303
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        review = client.get(f"/quan-ly/du-thao/{draft_id}")
        assert review.status_code == 200 and f"Nhiệm vụ {tasks}" in review.text
        size = len(review.content)
    _, product_ms = wrk(f"{base}/quan-ly/du-thao/{draft_id}", cookie)
    server.should_exit = True
    thread.join(timeout=10)
    b_server, b_thread, b_base = serve(baseline_app(url, draft_id))
    _, base_ms = wrk(f"{b_base}/", None)
    b_server.should_exit = True
    b_thread.join(timeout=10)
    engine.dispose()
    return product_ms, base_ms, size


def baseline_publish(url: str, draft_id: int) -> tuple[float, int]:
    """The rows publishing writes, by hand: the tasks in one executemany, their audit
    rows in one INSERT … SELECT, one assignment notice per agency, one commit; removed
    afterwards (not timed)."""
    engine = make_engine(url)
    with read_session(engine) as session:
        row = session.get(DirectiveDraftRow, draft_id)
        assert row is not None
        directive, problems = check_document(session, row.document)
        assert directive is not None, problems
        from workflow.definitions.store import load_calendars

        calendar = load_calendars(session)[directive.calendar]
        instances = plan_instances(directive, calendar, load_registry(session), 2026)
    with write_session(engine) as session:  # the directive row the tasks refer to
        save_definitions(session, load_definitions(
            (), load_registry(session), load_calendars(session),
            texts=[("bm-2026.yaml", _dump(row.document))]), NOW)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO task (directive_code, spec_code, agency_code, role, year, period,"
            " state, due_on, due_at, escalation_level, version, created_at, updated_at) "
            "VALUES ('bm-2026', :s, :a, :r, 2026, :p, 'assigned', :d, :da, 0, 1, :n, :n)"),
            [{"s": i.spec_code, "a": i.agency_code, "r": i.role, "p": i.period,
              "d": i.due_on, "da": deadline_instant(i.due_on) if i.due_on else None,
              "n": NOW} for i in instances])
        connection.execute(text(
            "INSERT INTO audit (task_id, at, actor, role, channel, trigger, to_state, "
            "task_version) SELECT id, :n, 'bench', 'system', 'cli', 'assign', 'assigned', 1 "
            "FROM task WHERE directive_code = 'bm-2026'"), {"n": NOW})
        connection.execute(text(
            "INSERT INTO outbox (key, kind, agency_code, recipient_role, payload, state, "
            "created_at, attempts, next_attempt_at) VALUES (:k, 'tasks_assigned', :a, "
            "'agency', '{}', 'queued', :n, 0, :n)"),
            [{"k": f"b:{agency}", "a": agency, "n": NOW}
             for agency in sorted({i.agency_code for i in instances})])
    elapsed = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit"))
        connection.execute(text("DELETE FROM outbox"))
        connection.execute(text("DELETE FROM task"))
        connection.execute(text("DELETE FROM directive_version"))
        connection.execute(text("DELETE FROM task_spec"))
        connection.execute(text("DELETE FROM directive"))
    engine.dispose()
    return elapsed, len(instances)


def _dump(document: dict[str, Any]) -> str:
    from workflow.definitions.yamlwriter import dump

    return dump(document)


def measure_publish(url: str, draft_id: int) -> tuple[float, int]:
    engine = make_engine(url)
    started = time.perf_counter()
    with write_session(engine) as session:
        row = session.get(DirectiveDraftRow, draft_id)
        assert row is not None
        _, result = publish(session, row, "thuky.bm", NOW)
    elapsed = time.perf_counter() - started
    with read_session(engine) as session:
        load_directive(session, "bm-2026")
    engine.dispose()
    return elapsed, result.created


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--agencies", type=int, default=100)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: run deploy/install-test-tools.sh", file=sys.stderr)
        return 2
    with scratch_database(args.db, "intake") as url:
        draft_id = populate(url, args.tasks, args.agencies)
        product_ms, base_ms, size = measure_review(url, draft_id, args.tasks)
        base_s, rows = baseline_publish(url, draft_id)
        product_s, created = measure_publish(url, draft_id)
    assert created == rows, (created, rows)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"intake: draft of {args.tasks} tasks, committee of {args.agencies} agencies; "
          f"database {url.split('://')[0]}")
    print(f"review page (wrk, 1 connection, {size / 1024:.0f} KiB): product {product_ms:.1f} ms;"
          f" baseline row by key + one template {base_ms:.1f} ms; ratio "
          f"{product_ms / base_ms:.2f}x the baseline's time")
    print(f"publish ({created:,} tasks + audit + notices, one commit): product "
          f"{product_s:.2f} s; baseline hand-written INSERTs {base_s:.2f} s; ratio "
          f"{product_s / base_s:.2f}x")
    print(f"peak RSS: {peak:.0f} MiB")
    goals = {f"review page under {GOALS['review']:.0f} ms": product_ms < GOALS["review"],
             f"publish under {GOALS['publish']:.0f} s": product_s < GOALS["publish"]}
    missed = [name for name, ok in goals.items() if not ok]
    print("goals: " + ("all met" if not missed else "missed: " + ", ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
