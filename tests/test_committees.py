"""Committees as first-class: a registry file is a committee's, its directives and users
belong to it, and a user sees and acts only on her own committee's work (issue 14, steps
1 and 2). Route refusals are enumerated the way tests/test_web.py enumerates routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from tests.conftest import DEFINITIONS, NOW
from tests.simulation import task_id
from tests.test_web import PASSWORD, PDF, csrf_of, login, report, snapshot
from tests.webserver import LiveApp, live_app
from workflow.access.users import add_user
from workflow.clock import LOCAL_TZ, FixedClock
from workflow.definitions.loader import load_definitions
from workflow.definitions.store import save_definitions
from workflow.engine.actors import Actor
from workflow.engine.agency_changes import dissolve_agency
from workflow.engine.instantiate import instantiate
from workflow.errors import DefinitionError, NhiemvuError
from workflow.storage.db import read_session, write_session
from workflow.storage.models import (
    AttachmentRow,
    CommitteeRow,
    DirectiveRow,
    TaskRow,
    UserRow,
)

HQ_POLICE = "hq-2022/v.bao-cao/hq.cong-an/2022-h1"
TH_TASK = "th-2023/1.1/th.hoi-nong-dan/2023"


def test_shipped_registries_are_committees(loaded: Engine) -> None:
    with read_session(loaded) as session:
        committees = {c.code: (c.level, c.secretariat, c.chair)
                      for c in session.scalars(select(CommitteeRow))}
        directives = dict(session.execute(select(DirectiveRow.code,
                                                 DirectiveRow.committee_code)).all())
        police = session.execute(select(CommitteeRow.code).where(
            CommitteeRow.secretariat == "hq.ldtbxh")).scalar_one()
    assert committees == {"hq": ("district", "hq.ldtbxh", "hq.ubnd"),
                          "th": ("district", "th.ldtbxh", "th.ubnd"),
                          "hp": ("province", "hp.ldtbxh", "hp.ubnd")}
    assert directives == {"hq-2022": "hq", "th-2023": "th", "hp-2022": "hp"}
    assert police == "hq"


def registry(tmp_path: Path, committee: str) -> Path:
    """A commune's registry file with the given committee block."""
    block = "".join(f"  {line}\n" for line in committee.strip().splitlines())
    path = tmp_path / "xa.yaml"
    path.write_text("kind: agencies\nlocality: Xã Mẫu, tỉnh Mẫu\ncommittee:\n" + block + (
        "agencies:\n"
        "  - {code: xm.vhxh, name: Phòng Văn hóa - Xã hội xã Mẫu, level: xa,\n"
        "     emails: [vhxh@xa-mau.example]}\n"
        "  - {code: xm.ubnd, name: Ủy ban nhân dân xã Mẫu, level: xa,\n"
        "     emails: [ubnd@xa-mau.example]}\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize(("committee", "expected"), [
    ("code: xm\nname: Ban VSTBPN xã Mẫu\nlevel: huyen-moi\n", "is not a committee level"),
    ("code: xm\nname: Ban VSTBPN xã Mẫu\nlevel: commune\nparent: khong-co\n",
     "unknown committee 'khong-co'"),
    ("code: xm\nname: Ban VSTBPN xã Mẫu\nlevel: commune\nparent: hq\n",
     "cannot sit under the district committee 'hq'"),
    ("code: xm\nname: Ban VSTBPN xã Mẫu\nlevel: commune\nsecretariat: hq.ldtbxh\n",
     "'hq.ldtbxh' is not a member of committee 'xm'"),
    ("code: xm\nname: Ban VSTBPN xã Mẫu\nlevel: commune\nchair: xm.khong\n",
     "unknown agency code 'xm.khong'"),
])
def test_committee_problems_name_the_field(tmp_path: Path, committee: str,
                                           expected: str) -> None:
    shipped = load_definitions([DEFINITIONS / "agencies"])
    with pytest.raises(DefinitionError) as info:
        load_definitions([registry(tmp_path, committee)], shipped.registry)
    assert any(expected in str(p) for p in info.value.problems), info.value.problems
    assert all(str(p).startswith(str(tmp_path / "xa.yaml")) for p in info.value.problems)


def test_a_commune_under_a_province(tmp_path: Path) -> None:
    shipped = load_definitions([DEFINITIONS / "agencies"])
    loaded = load_definitions([registry(tmp_path, "code: xm\nname: Ban VSTBPN xã Mẫu\n"
                                                  "level: commune\nparent: hp\n"
                                                  "secretariat: xm.vhxh\nchair: xm.ubnd\n")],
                              shipped.registry)
    assert loaded.registry.committees["xm"].parent == "hp"
    assert {a.committee for a in loaded.registry.agencies.values()} == {"xm"}


def test_a_directive_names_its_committee_or_takes_its_secretariats(tmp_path: Path) -> None:
    text = (DEFINITIONS / "directives" / "ha-quang-2022.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "sai.yaml"
    wrong.write_text(text.replace("code: hq-2022", "code: hq-x\ncommittee: th", 1),
                     encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definitions([DEFINITIONS / "agencies", DEFINITIONS / "calendar.yaml", wrong])
    assert any("'hq.ldtbxh' belongs to committee 'hq', not 'th'" in str(p)
               for p in info.value.problems)


# -- who sees what ------------------------------------------------------------------------

@pytest.fixture
def two(loaded: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    """Hà Quảng's and Thanh Hà's committees in one deployment, a user each, a Thanh Hà
    leader and a deployment-wide administrator; a Hà Quảng report with an attachment."""
    instantiate(loaded, "hq-2022", 2022, NOW)
    instantiate(loaded, "th-2023", 2023, NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky.hq", PASSWORD, "Thư ký Hà Quảng", NOW, "hq")
        add_user(session, "thuky.th", PASSWORD, "Thư ký Thanh Hà", NOW, "th")
        add_user(session, "lanhdao.th", PASSWORD, "Lãnh đạo Thanh Hà", NOW, "th", "leader")
        add_user(session, "quantri", PASSWORD, "Quản trị", NOW)
    with live_app(loaded, FixedClock(NOW), tmp_path / "attachments") as app:
        ident = task_id(loaded, HQ_POLICE)
        with read_session(loaded) as session:
            row = session.get(TaskRow, ident)
            assert row is not None
            url = app.links().task(ident, row.agency_code, row.due_at)
        with httpx.Client(base_url=app.url, follow_redirects=False) as agency:
            assert report(agency, url, files=[("bao-cao.pdf", PDF)]).status_code == 303
        yield app


@contextmanager
def signed_in(app: LiveApp, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as client:
        assert login(client, PASSWORD, username).status_code == 303
        yield client


def hq_paths(app: LiveApp) -> list[str]:
    police = task_id(app.engine, HQ_POLICE)
    with read_session(app.engine) as session:
        attachment = session.scalars(select(AttachmentRow.id)).one()
    downloads = [f"/quan-ly/xuat/hq-2022/2022/{kind}" for kind in (
        "tinh-trang.xlsx", "bao-cao.docx", "du-lieu.csv", "du-lieu.json", "tien-do.svg",
        "co-quan.svg")]
    return ["/quan-ly/ma-tran/hq-2022/2022", f"/quan-ly/nhiem-vu/{police}",
            f"/quan-ly/tep/{attachment}", *downloads]


def test_a_committee_user_is_refused_every_other_committees_page(two: LiveApp) -> None:
    police = task_id(two.engine, HQ_POLICE)
    before = snapshot(two.engine, police)
    with signed_in(two, "thuky.th") as other:
        for path in hq_paths(two):
            response = other.get(path)
            assert response.status_code == 403, path
            assert "thuộc Ban khác" in response.text and "Công an" not in response.text, path
        home = other.get("/quan-ly").text
        assert "Thanh Hà" in home or "/quan-ly/ma-tran/th-2023/2023" in home
        assert "/quan-ly/ma-tran/hq-2022/2022" not in home
        overdue = other.get("/quan-ly/qua-han", params={"chi_dao": "hq-2022"}).text
        assert "Hà Quảng" not in overdue
        filters = other.get("/quan-ly/qua-han").text
        assert 'value="hq.' not in filters and 'value="hq-2022"' not in filters
        page = other.get("/quan-ly").text
        for action in ("xac-nhan", "tra-lai"):
            response = other.post(f"/quan-ly/nhiem-vu/{police}/{action}",
                                  data={"csrf": csrf_of(page), "version": before[1],
                                        "reason": "Thiếu"})
            assert response.status_code == 403, action
    assert snapshot(two.engine, police) == before  # nothing changed
    with signed_in(two, "thuky.hq") as own:
        for path in hq_paths(two):
            assert own.get(path).status_code == 200, path
        assert "/quan-ly/ma-tran/th-2023/2023" not in own.get("/quan-ly").text
    with signed_in(two, "quantri") as everywhere:
        home = everywhere.get("/quan-ly").text
        assert "/quan-ly/ma-tran/th-2023/2023" in home and "/quan-ly/ma-tran/hq-2022/2022" in home


def test_a_leader_reads_but_does_not_act(two: LiveApp) -> None:
    ident = task_id(two.engine, TH_TASK)
    with signed_in(two, "lanhdao.th") as leader:
        assert leader.get("/quan-ly/ma-tran/th-2023/2023").status_code == 200
        page = leader.get(f"/quan-ly/nhiem-vu/{ident}")
        assert page.status_code == 200 and "Xử lý báo cáo" not in page.text
        before = snapshot(two.engine, ident)
        refused = leader.post(f"/quan-ly/nhiem-vu/{ident}/xac-nhan",
                              data={"csrf": csrf_of(page.text), "version": before[1]})
        assert refused.status_code == 403
        assert snapshot(two.engine, ident) == before


def test_users_belong_to_a_known_committee(loaded: Engine) -> None:
    with write_session(loaded) as session:
        with pytest.raises(NhiemvuError, match="không tìm thấy Ban khong-co"):
            add_user(session, "x.y", PASSWORD, None, NOW, "khong-co")
        with pytest.raises(NhiemvuError, match="vai trò 'sep'"):
            add_user(session, "x.z", PASSWORD, None, NOW, "hq", "sep")
        user = add_user(session, "x.w", PASSWORD, None, NOW, "hq", "leader")
        assert (user.committee_code, user.role) == ("hq", "leader")
    with read_session(loaded) as session:
        assert re.fullmatch(r"x\.\w", session.scalars(select(UserRow.username)).one())


# -- tasks given to a function across communes ----------------------------------------------

PROVINCE = Path(__file__).parent / "data" / "province"


def load_province(engine: Engine) -> None:
    with write_session(engine) as session:
        save_definitions(session, load_definitions([DEFINITIONS / "calendar.yaml", PROVINCE]),
                         NOW)


def test_a_function_expands_to_each_communes_agency(loaded: Engine) -> None:
    """'Công an các xã' (chuc-nang.cong-an) is each commune's police, not the province's;
    an agency that has ended gets no task."""
    load_province(loaded)
    with read_session(loaded) as session:
        assert session.get(DirectiveRow, "tm-2026").committee_code == "tm"  # type: ignore[union-attr]
    dissolve_agency(loaded, "xm3.cong-an", date(2026, 1, 1), Actor("x", "secretariat", "cli"),
                    NOW)

    instantiate(loaded, "tm-2026", 2026, datetime(2026, 1, 20, 9, 0, tzinfo=LOCAL_TZ))
    with read_session(loaded) as session:
        rows = set(session.execute(select(TaskRow.spec_code, TaskRow.agency_code, TaskRow.role,
                                          TaskRow.period).where(
            TaskRow.directive_code == "tm-2026")))
    assert {(a, r) for s, a, r, _ in rows if s == "1"} == {
        ("xm1.cong-an", "lead"), ("xm2.cong-an", "lead"),
        ("xm1.vhxh", "coordinating"), ("xm2.vhxh", "coordinating"),
        ("xm3.vhxh", "coordinating")}
    assert {(a, p) for s, a, _, p in rows if s == "2"} == {
        (a, p) for a in ("xm1.vhxh", "xm2.vhxh", "xm3.vhxh", "tm.cong-an")
        for p in ("2026-h1", "2026-year")}


def test_a_function_nobody_holds_is_a_problem(tmp_path: Path) -> None:
    text = (PROVINCE / "tm-2026.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "sai.yaml"
    wrong.write_text(text.replace("chuc-nang.cong-an", "chuc-nang.kiem-lam"),
                     encoding="utf-8")
    files = [DEFINITIONS / "calendar.yaml", *sorted(PROVINCE.glob("*mau*.yaml")), wrong]
    with pytest.raises(DefinitionError) as info:
        load_definitions(files)
    assert any("no agency has the function 'kiem-lam' in the communes of committee 'tm'"
               in str(p) and ".lead[0]" in str(p) for p in info.value.problems), \
        info.value.problems


def test_committees_command(tmp_path: Path) -> None:
    from tests.test_cli import run

    run(["init"], tmp_path)
    run(["load", str(DEFINITIONS), str(PROVINCE)], tmp_path)
    lines = run(["committees"], tmp_path).stdout.splitlines()
    province = next(i for i, line in enumerate(lines) if line.startswith("tm "))
    assert lines[province + 1].startswith("  xm1 ") and "(cấp xã, 3 cơ quan, thường trực " \
        "xm1.vhxh)" in lines[province + 1]
    assert lines[-1] == "7 Ban"
