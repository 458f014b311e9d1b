"""What in deploy/ can be checked here: the compose file and the systemd units parse and
run real `nhiemvu` commands, the Dockerfile copies what exists, env.example lists
exactly the variables the code reads, and nginx accepts the proxy configuration."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import trustme
from ruamel.yaml import YAML

from tests.conftest import ROOT
from tests.test_cli import NHIEMVU
from tests.tools import require_tool

DEPLOY = ROOT / "deploy"
CODE = [ROOT / "workflow", ROOT / "notifier", ROOT / "web", ROOT / "exports", ROOT / "cli.py"]


def valid_command(args: list[str]) -> None:
    """`nhiemvu ARGS --help` exits 0 only if every subcommand and option exists."""
    result = subprocess.run([NHIEMVU, *args, "--help"], capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"nhiemvu {' '.join(args)}: {result.stderr}"


def test_compose_describes_the_multi_process_layout() -> None:
    compose = YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "migrate", "web", "scheduler-1", "scheduler-2", "sender-1",
            "sender-2", "mailpit"} == set(services)
    ours = {name: s for name, s in services.items() if s.get("image") == "nhiemvu:latest"}
    assert set(ours) == {"migrate", "web", "scheduler-1", "scheduler-2", "sender-1",
                         "sender-2"}
    for name, service in ours.items():
        valid_command(service["command"])
        url = service["environment"]["NHIEMVU_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@postgres:5432/" in url, name
        assert service["volumes"] == ["nhiemvu-data:/data"]
    web = services["web"]["command"]
    assert int(web[web.index("--workers") + 1]) >= 2
    assert [ours[n]["command"][:2] for n in ("scheduler-1", "scheduler-2")] == \
        [["scheduler", "run"]] * 2
    assert [ours[n]["command"][0] for n in ("sender-1", "sender-2")] == ["send"] * 2
    assert services["migrate"]["command"] == ["init"]
    assert ours["web"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").glob("*.service")))
def test_systemd_units_parse_and_run_real_commands(unit: str) -> None:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / unit, encoding="utf-8")
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
    service = parser["Service"]
    assert service["User"] == "nhiemvu" and service["EnvironmentFile"] == \
        "/etc/nhiemvu/nhiemvu.env"
    for key in ("ExecStartPre", "ExecStart"):
        if key in service:
            binary, *args = shlex.split(service[key])
            assert binary == "/opt/nhiemvu/.venv/bin/nhiemvu"
            valid_command(args)
    assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_dockerfile_copies_what_exists_and_runs_nhiemvu() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    copies = [line.split()[1:-1] for line in lines if line.startswith("COPY")]
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), source
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    copied = {s for sources in copies for s in sources}
    assert packages - {"tests", "bench"} <= copied  # every runtime package is in the image
    user = [line for line in lines if line.startswith("USER")]
    assert user == ["USER nhiemvu"]
    entry = next(line for line in lines if line.startswith("ENTRYPOINT"))
    command = next(line for line in lines if line.startswith("CMD"))
    assert entry == 'ENTRYPOINT ["nhiemvu"]'
    valid_command(re.findall(r'"([^"]+)"', command))
    assert "/suc-khoe" in next(line for line in lines if line.startswith("HEALTHCHECK"))


def variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for root in CODE:
        for path in [root] if root.is_file() else root.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            names |= set(re.findall(r"NHIEMVU_[A-Z0-9_]+", text))
            if path.name == "config.py":  # from_env reads get("X") as NHIEMVU_X
                names |= {f"NHIEMVU_{n}" for n in re.findall(r'get\("([A-Z0-9_]+)"\)', text)}
    return names


def test_documented_variables_are_the_ones_the_code_reads() -> None:
    documented = set(re.findall(r"^#?\s*(NHIEMVU_[A-Z0-9_]+)=",
                                (DEPLOY / "env.example").read_text(encoding="utf-8"),
                                re.MULTILINE))
    read = variables_read_by_the_code()
    assert len(read) >= 20
    assert documented == read, (f"documented only: {sorted(documented - read)}; "
                                f"read only: {sorted(read - documented)}")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(n for n in read if f"`{n}`" not in readme)
    assert not missing, f"not in the README's configuration table: {missing}"


def test_nginx_accepts_the_proxy_configuration(tmp_path: Path) -> None:
    nginx = require_tool("nginx", "/usr/sbin/nginx")
    authority = trustme.CA()
    certificate = authority.issue_cert("nhiemvu.example.gov.vn")
    chain, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    certificate.private_key_pem.write_to_path(str(key))
    certificate.cert_chain_pems[0].write_to_path(str(chain))
    site = (DEPLOY / "nginx" / "nhiemvu.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/letsencrypt/live/nhiemvu.example.gov.vn/fullchain.pem",
                        str(chain)).replace(
        "/etc/letsencrypt/live/nhiemvu.example.gov.vn/privkey.pem", str(key)).replace(
        "/var/log/nginx/", f"{tmp_path}/")
    assert str(chain) in site and str(key) in site
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c",
                             str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_compose_sets_the_guides_postgresql_settings() -> None:
    """Issue 19: the settings the guide gives for a province or a country are the ones the
    containers run with (bench/nation.py prints a server's own beside its figures)."""
    compose = YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    command = compose["services"]["postgres"]["command"]
    assert command[0] == "postgres"
    given = dict(setting.split("=", 1) for setting in command[2::2])
    assert command[1::2] == ["-c"] * len(given)
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8")
    section = guide.split("## PostgreSQL for a province or a country", 1)[1].split("\n## ")[0]
    table = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", section, re.MULTILINE))
    assert table == given and given["autovacuum"] == "on"
