"""Benchmark: the agency's report page under `wrk`, next to a minimal baseline app.

`nhiemvu serve` (one worker) and the baseline (bench/baseline_app.py: one row read by
primary key and one Jinja2 template of the same size for GET; the form read, one row
read, one UPDATE, an audit, an outbox and a report row and one commit for POST) each run
in a process of their own, with the same uvicorn settings, on the same database. `wrk`
(one thread, a C load generator far faster than either server) drives each with 1 and
16 connections: GET of report pages (round robin over the tasks) and report POSTs (each
consumes a task of its own, so every POST is a real transition). Each side runs
`--rounds` times (3), alternated with the other, `--seconds` (3) a run, and the best rate
of each side is compared: a shared machine only ever slows a run down, and one run a side
measured minutes apart swung the same baseline by up to 30%. It prints requests/s of both,
the ratio, the errors, and the peak RSS of both servers; `--check` exits 1 when a goal of
issue 19 is missed (GET >= 0.5x, POST >= 0.3x of the baseline).

    .venv/bin/python bench/web.py --db sqlite:///web-bench.db
    .venv/bin/python bench/web.py --db postgresql://postgres@127.0.0.1:5432/test --check
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.goals import verdict
from bench.scratch import peak_kib, scratch_database
from bench.synthetic import YEAR, bench_definitions, task_spec
from tests.smtpserver import free_port
from web.security import CSRF_COOKIE, form_token
from workflow.access.linkkeys import load_ring
from workflow.access.links import LinkMaker
from workflow.definitions.store import save_definitions
from workflow.engine.instantiate import instantiate
from workflow.storage.db import make_engine, read_session, write_session
from workflow.storage.models import TaskRow

NHIEMVU = str(Path(sys.executable).parent / "nhiemvu")
SPECS = 5
GOALS = {"GET": 0.5, "POST": 0.3}
SECRET = "bench-browser-secret-0123456789a"
REPORT = {"text": "Đã tổ chức tuyên truyền về bình đẳng giới tại 12 thôn, 640 lượt người "
                  "tham dự; lồng ghép trong sinh hoạt chi hội phụ nữ.",
          "figures": "Số buổi tuyên truyền: 12\nSố lượt người tham dự: 640"}
# One thread, its own Lua state: requests go round the list of paths (and bodies) given
# in a file, one per line, "METHOD PATH [BODY]".
SCRIPT = """
local requests = {}
local n = 0
init = function(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%S+) (%S+) ?(.*)$")
    local headers = {["Cookie"] = args[2]}
    if method == "POST" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    table.insert(requests, wrk.format(method, path, headers, body ~= "" and body or nil))
  end
end
request = function()
  n = n % #requests + 1
  return requests[n]
end
"""


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


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"{command[0]} did not start")


def start_baseline(env: dict[str, str], port: int, page_bytes: int
                   ) -> subprocess.Popen[bytes]:
    """bench/baseline_app.py under the same uvicorn settings as `nhiemvu serve`."""
    return start([sys.executable, "-m", "uvicorn", "bench.baseline_app:create", "--factory",
                  "--port", str(port), "--log-level", "warning", "--no-access-log"],
                 {**env, "BASELINE_PAGE_BYTES": str(page_bytes),
                  "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}, port)


def stop(*servers: subprocess.Popen[bytes]) -> None:
    for server in servers:
        server.terminate()
        server.wait(timeout=30)


def wrk(base: str, requests: list[str], connections: int, seconds: float, folder: Path,
        name: str, cookie: str = f"{CSRF_COOKIE}={SECRET}") -> tuple[float, int, float]:
    """(requests/s, errors, mean latency ms) of one wrk run over these requests."""
    script, listing = folder / "round.lua", folder / f"{name}.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    listing.write_text("\n".join(requests) + "\n", encoding="utf-8")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s",
                          str(script), base, "--", str(listing), cookie],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    assert latency is not None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[latency.group(2)]
    return rate, int(errors.group(1)) if errors else 0, float(latency.group(1)) * scale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite:///web-bench.db")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternated runs of each side; the best of each is compared")
    parser.add_argument("--clients", default="1,16")
    parser.add_argument("--agencies", type=int, default=10_000)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (bash deploy/install-test-tools.sh)")
        return 2
    concurrency = [int(c) for c in args.clients.split(",")]
    missed: list[str] = []
    with scratch_database(args.db, "web") as url, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        started = time.perf_counter()
        tasks = populate(url, args.agencies)
        engine = make_engine(url)
        ring = load_ring(engine, datetime.now(UTC))
        engine.dispose()
        port, base_port = free_port(), free_port()
        base, baseline = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{base_port}"
        maker = LinkMaker(ring, base, datetime.now(UTC))
        links = [maker.task(i, a, d).removeprefix(base) for i, a, d in tasks]
        env = {**os.environ, "NHIEMVU_DATABASE_URL": url, "NHIEMVU_BASE_URL": base,
               "NHIEMVU_ATTACHMENTS_DIR": str(folder / "files")}
        product = start([NHIEMVU, "--db", url, "serve", "--port", str(port)], env, port)
        size = len(httpx.get(base + links[0]).content)
        other = start_baseline(env, base_port, size)
        try:
            print(f"database: {make_url(url).render_as_string(hide_password=True)}  tasks: "
                  f"{len(tasks):,}  report page {size:,} bytes  (setup "
                  f"{time.perf_counter() - started:.0f} s)  wrk -t1, {args.seconds:g} s a run, "
                  f"best of {args.rounds} alternated runs a side")
            print(f"{'scenario':<34} {'conns':>5} {'product/s':>10} {'baseline/s':>10} "
                  f"{'ratio':>6} {'errors':>7} {'p.lat ms':>8}")
            ids = [i for i, _, _ in tasks]
            posts = 0
            # POSTs of every run (each side, each round) go to tasks of their own.
            share = len(ids) // (2 * len(concurrency) * args.rounds)
            gets = {"product": [f"GET {link}" for link in links],
                    "baseline": [f"GET /t/{i}" for i in ids]}
            for method in ("GET", "POST"):
                for connections in concurrency:
                    best = {"product": (0.0, 0.0), "baseline": (0.0, 0.0)}
                    errors = 0
                    for _round in range(args.rounds):  # alternated: noise hits both sides
                        for side in ("product", "baseline"):
                            if method == "GET":
                                listing = gets[side]
                            else:
                                chosen = range(posts, posts + share)
                                posts += share
                                listing = [f"POST {links[i]} " + urlencode({
                                    **REPORT, "csrf": form_token(ring, SECRET,
                                                                 f"task:{ids[i]}")})
                                    for i in chosen] if side == "product" else \
                                    [f"POST /t/{ids[i]} {urlencode(REPORT)}" for i in chosen]
                            rate, failed, latency = wrk(
                                base if side == "product" else baseline, listing,
                                connections, args.seconds, folder, side)
                            errors += failed
                            if rate > best[side][0]:
                                best[side] = (rate, latency)
                    (rate, latency), (base_rate, _) = best["product"], best["baseline"]
                    ratio = rate / base_rate
                    label = "GET report page" if method == "GET" else \
                        "POST report (transition, audit…)"
                    print(f"{label:<34} {connections:>5} {rate:>10.0f} {base_rate:>10.0f} "
                          f"{ratio:>5.2f}x {errors:>7} {latency:>8.1f}", flush=True)
                    if ratio < GOALS[method]:
                        missed.append(f"{method} {connections} conn {ratio:.2f}x")
            print(f"peak RSS: product {peak_kib(product.pid) / 1024:.0f} MiB, baseline "
                  f"{peak_kib(other.pid) / 1024:.0f} MiB; goals: GET >= {GOALS['GET']}x, "
                  f"POST >= {GOALS['POST']}x of the baseline")
        finally:
            stop(product, other)
    return verdict(missed, args.check)


if __name__ == "__main__":
    sys.exit(main())
