"""Every benchmark runs at a small size, so that none of them silently stops working when
the code it measures changes (bench/digest.py once did). Figures at this size mean
nothing and are not checked; the goals are checked by `--check` at full size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools import require_tool

ROOT = Path(__file__).resolve().parent.parent
SMALL = {
    "instantiate": ["--rows", "2000", "--communes", "8"],
    "sweep": ["--rows", "5000"],
    "digest": ["--recipients", "60"],
    "exports": ["--rows", "500"],
    "import_drafts": ["--repeat", "1", "--sections", "3", "--bullets", "3", "--communes", "20"],
    "import_corpus": ["--check"],  # the corpus is small: its goal is checked here too
    "intake": ["--tasks", "20", "--agencies", "20"],
    "web": ["--seconds", "1", "--clients", "1", "--agencies", "20"],
    "province": ["--communes", "2"],
    "dashboard": ["--agencies", "30", "--specs", "4", "--seconds", "1"],
    "nation": ["--communes", "3", "--bodies", "5", "--send-seconds", "3"],
}
NEEDS_WRK = {"intake", "province", "web", "dashboard"}
NO_DATABASE = {"import_drafts", "import_corpus"}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_benchmark_runs_at_a_small_size(name: str, tmp_path: Path) -> None:
    if name in NEEDS_WRK:
        require_tool("wrk")
    database = [] if name in NO_DATABASE else ["--db", f"sqlite:///{tmp_path / 'bench.db'}"]
    result = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py"), *SMALL[name],
                             *database],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.stdout.strip()


def test_a_missed_goal_fails_only_under_check(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.goals import verdict

    assert verdict(["growth 3.10x"], check=False) == 0
    assert capsys.readouterr().out == ""
    assert verdict([], check=True) == 0
    assert verdict(["import 2.30x", "rss 400 MiB"], check=True, separator="; ") == 1
    assert capsys.readouterr().out == "goals missed: import 2.30x; rss 400 MiB\n"
