"""Load on the web app: `nhiemvu serve` in its own process, this process sending requests
on loopback for a bounded time with 1 and 50 concurrent clients.

Scenarios: the agency's report page (GET: token check, one task with its history),
report POSTs (each a real `report` transition with its audit, outbox and report rows),
and as baselines the health check (the HTTP stack with no database) and the same report
transition called directly, without HTTP.

    .venv/bin/python bench/web.py --db sqlite:///web-bench.db
    .venv/bin/python bench/web.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.scratch import scratch_database
from bench.synthetic import YEAR, bench_definitions, task_spec
from tests.smtpserver import free_port
from web.security import CSRF_COOKIE, form_token
from workflow.access.linkkeys import load_ring
from workflow.access.links import LinkMaker
from workflow.definitions.store import save_definitions
from workflow.engine.actors import Actor
from workflow.engine.instantiate import instantiate
from workflow.engine.reports import submit_report
from workflow.storage.db import make_engine, read_session, write_session
from workflow.storage.models import TaskRow

NHIEMVU = str(Path(sys.executable).parent / "nhiemvu")
SPECS = 5
REPORT = {"text": "Đã tổ chức tuyên truyền về bình đẳng giới tại 12 thôn, 640 lượt người "
                  "tham dự; lồng ghép trong sinh hoạt chi hội phụ nữ.",
          "figures": "Số buổi tuyên truyền: 12\nSố lượt người tham dự: 640"}


class Pool:
    """Tasks in state assigned, each reported once (a POST consumes one)."""

    def __init__(self, ids: list[int]) -> None:
        self._ids: Iterator[int] = iter(ids)

    def take(self) -> int:
        return next(self._ids)


def populate(url: str, agencies: int) -> list[tuple[int, str, datetime | None]]:
    engine = make_engine(url)
    specs = tuple(task_spec(f"t{n}", f"Nhiệm vụ thử {n}", date(YEAR, 6, 5))
                  for n in range(SPECS))
    now = datetime(YEAR, 1, 3, tzinfo=UTC)
    with write_session(engine) as session:
        save_definitions(session, bench_definitions(specs, agencies), now)
    instantiate(engine, "bench", YEAR, now)
    with read_session(engine) as session:
        rows = list(session.execute(select(TaskRow.id, TaskRow.agency_code, TaskRow.due_at)
                                    .order_by(TaskRow.id)))
    engine.dispose()
    return [(int(i), str(a), d) for i, a, d in rows]


def start_server(url: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NHIEMVU_ATTACHMENTS_DIR": str(folder),
           "NHIEMVU_BASE_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen([NHIEMVU, "--db", url, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/suc-khoe").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def load(base: str, clients: int, seconds: float, send: Send, expect: int
               ) -> tuple[int, float, list[float]]:
    """`clients` workers, each with its own connection, sending until time is up."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await send(client)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != expect

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return errors, time.perf_counter() - started, latencies


def line(name: str, clients: int, errors: int, elapsed: float, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return (f"{name:<36} {clients:>7} {len(ordered):>8,} {len(ordered) / elapsed:>8.1f} "
            f"{p50:>8.1f} {p99:>8.1f} {errors:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite:///web-bench.db")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="1,50")
    parser.add_argument("--agencies", type=int, default=4000)
    args = parser.parse_args()
    concurrency = [int(c) for c in args.clients.split(",")]
    with scratch_database(args.db, "web") as url, tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        tasks = populate(url, args.agencies)
        engine = make_engine(url)
        ring = load_ring(engine, datetime.now(UTC))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        maker = LinkMaker(ring, base, datetime.now(UTC))
        links = {ident: maker.task(ident, agency, due).removeprefix(base)
                 for ident, agency, due in tasks}
        agency_of = {ident: agency for ident, agency, _ in tasks}
        secret = "bench-browser-secret"
        print(f"database: {make_url(url).render_as_string(hide_password=True)}  tasks: "
              f"{len(tasks):,}  (setup {time.perf_counter() - started:.0f} s)  "
              f"{args.seconds:g} s per run")
        print(f"{'scenario':<36} {'clients':>7} {'requests':>8} {'req/s':>8} "
              f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        pool = Pool([ident for ident, _, _ in tasks])
        # Baseline without HTTP: the same transition, called directly in this process.
        direct: list[float] = []
        stop = time.perf_counter() + min(args.seconds, 5)
        while time.perf_counter() < stop:
            ident = pool.take()
            begin = time.perf_counter()
            submit_report(engine, ident, Actor(agency_of[ident], "agency", "link",
                                               agency_of[ident]),
                          datetime.now(UTC), REPORT["text"], [], [])
            direct.append(time.perf_counter() - begin)
        print(line("baseline: report transition, no HTTP", 1, 0, sum(direct), direct))
        server = start_server(url, port, Path(folder))
        try:
            async def health(client: httpx.AsyncClient) -> httpx.Response:
                return await client.get("/suc-khoe")

            readable = list(links.values())

            async def page(client: httpx.AsyncClient) -> httpx.Response:
                return await client.get(random.choice(readable))

            async def post(client: httpx.AsyncClient) -> httpx.Response:
                ident = pool.take()
                client.cookies.set(CSRF_COOKIE, secret)
                return await client.post(links[ident], data={
                    **REPORT, "csrf": form_token(ring, secret, f"task:{ident}")})

            for name, send, expect in (("baseline: GET /suc-khoe (no database)", health, 200),
                                       ("GET report page", page, 200),
                                       ("POST report (transition+audit+outbox)", post, 303)):
                for clients in concurrency:
                    errors, elapsed, latencies = asyncio.run(
                        load(base, clients, args.seconds, send, expect))
                    print(line(name, clients, errors, elapsed, latencies), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
            engine.dispose()


if __name__ == "__main__":
    main()
