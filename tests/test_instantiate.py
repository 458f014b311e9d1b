"""Instantiation against both databases: expected counts for the shipped directives,
idempotency, group expansion, due dates, audit and notification rows."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select

from tests.conftest import NOW
from workflow.engine.instantiate import instantiate
from workflow.errors import InstantiationError, NotFoundError
from workflow.storage.db import read_session
from workflow.storage.models import AuditRow, OutboxRow, TaskRow

HQ_COMMUNES = 21
HQ_EXPECTED = {
    "hq.ldtbxh": 5, "hq.hlhpn": 6, "hq.noi-vu": 4, "hq.gd-dt": 5, "hq.tu-phap": 3,
    "hq.y-te": 3, "hq.ttyt": 3, "hq.tc-kh": 3, "hq.cong-an": 3, "hq.vh-tt": 4,
    "hq.ttvh-tt": 5, "hq.dan-toc": 3, "hq.ubmttq": 3, "hq.huyen-doan": 3,
    "hq.hoi-nong-dan": 3, "hq.hoi-ccb": 3, "hq.ldld": 3,
}


def counts(engine: Engine, directive: str) -> Counter[str]:
    with read_session(engine) as session:
        rows = session.execute(select(TaskRow.agency_code, func.count())
                               .where(TaskRow.directive_code == directive)
                               .group_by(TaskRow.agency_code))
        return Counter({agency: n for agency, n in rows})


def test_ha_quang_counts_per_agency(loaded: Engine) -> None:
    result = instantiate(loaded, "hq-2022", 2022, NOW)
    assert result.created == result.planned == 188
    per_agency = counts(loaded, "hq-2022")
    communes = {a: n for a, n in per_agency.items() if a.startswith(("hq.xa-", "hq.tt-"))}
    assert len(communes) == HQ_COMMUNES and set(communes.values()) == {6}
    assert {a: n for a, n in per_agency.items() if a not in communes} == HQ_EXPECTED
    assert "hq.ubnd" not in per_agency  # the issuer gets no tasks


def test_thanh_ha_and_hai_phong_counts(loaded: Engine) -> None:
    assert instantiate(loaded, "th-2023", 2023, NOW).created == 34 * 29
    assert set(counts(loaded, "th-2023").values()) == {29}
    assert instantiate(loaded, "hp-2022", 2022, NOW).created == 361
    hp = counts(loaded, "hp-2022")
    assert hp["hp.ldtbxh"] == 13 and hp["hp.vstbpn-bach-long-vi"] == 12
    assert len(hp) == 30


def test_idempotent(loaded: Engine) -> None:
    first = instantiate(loaded, "hq-2022", 2022, NOW)
    second = instantiate(loaded, "hq-2022", 2022, NOW)
    assert (second.created, second.existing) == (0, first.created)
    with read_session(loaded) as session:
        assert session.scalar(select(func.count()).select_from(TaskRow)) == 188
        assert session.scalar(select(func.count()).select_from(AuditRow)) == 188
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 38


def test_concurrent_instantiation_creates_each_task_once(loaded: Engine) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(instantiate(loaded, "th-2023", 2023, NOW).created)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(results) == 986
    assert sum(counts(loaded, "th-2023").values()) == 986


def test_due_dates_and_roles(loaded: Engine) -> None:
    instantiate(loaded, "hq-2022", 2022, NOW)
    with read_session(loaded) as session:
        def one(spec: str, agency: str, period: str) -> TaskRow:
            return session.scalars(select(TaskRow).where(
                TaskRow.spec_code == spec, TaskRow.agency_code == agency,
                TaskRow.period == period)).one()

        h1 = one("v.bao-cao", "hq.noi-vu", "2022-h1")
        assert h1.due_on == date(2022, 6, 5)
        assert h1.due_at == datetime(2022, 6, 4, 17, 0, tzinfo=UTC)
        assert one("v.bao-cao", "hq.noi-vu", "2022-year").due_on == date(2022, 12, 5)
        assert one("iv.1.1", "hq.ldtbxh", "2022").due_on == date(2022, 11, 15)
        assert one("iv.10.2", "hq.ttvh-tt", "2022-gender-equality").due_on == date(2022, 12, 20)
        undated = one("iv.1.2", "hq.ldtbxh", "2022")
        assert undated.due_on is None and undated.due_at is None
        partner = one("iv.1.4", "hq.xa-truong-ha", "2022")
        assert partner.role == "coordinating" and partner.state == "assigned"
        assert one("iv.1.4", "hq.ldtbxh", "2022").role == "lead"


def test_every_instance_has_its_assign_audit_row(loaded: Engine) -> None:
    instantiate(loaded, "hp-2022", 2022, NOW)
    with read_session(loaded) as session:
        missing = session.scalar(select(func.count()).select_from(TaskRow).where(
            ~select(AuditRow.id).where(AuditRow.task_id == TaskRow.id,
                                       AuditRow.trigger == "assign").exists()))
        assert missing == 0
        notices = session.scalars(select(OutboxRow).where(OutboxRow.kind == "tasks_assigned"))
        assert {n.agency_code for n in notices} == set(counts(loaded, "hp-2022"))


def test_year_outside_the_directive(loaded: Engine) -> None:
    with pytest.raises(InstantiationError, match="covers 2022, not 2023"):
        instantiate(loaded, "hq-2022", 2023, NOW)
    with pytest.raises(NotFoundError, match="không tìm thấy văn bản nope"):
        instantiate(loaded, "nope", 2022, NOW)
    assert counts(loaded, "hq-2022") == Counter()


def test_removing_a_spec_with_instances_is_refused(loaded: Engine, shipped) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from workflow.definitions.specs import DefinitionSet
    from workflow.definitions.store import load_directive, save_definitions
    from workflow.errors import NhiemvuError
    from workflow.storage.db import write_session

    instantiate(loaded, "hp-2022", 2022, NOW)
    directive = shipped.directives["hp-2022"]
    trimmed = replace(directive, tasks=directive.tasks[1:])
    changed = DefinitionSet(shipped.registry, shipped.calendars, {"hp-2022": trimmed})
    refused = r"task 'ii\.1\.1' of directive hp-2022 was removed"
    with pytest.raises(NhiemvuError, match=refused), write_session(loaded) as session:
        save_definitions(session, changed, NOW)
    with read_session(loaded) as session:
        assert load_directive(session, "hp-2022")[0].tasks[0].code == "ii.1.1"
