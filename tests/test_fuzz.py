"""A seeded fuzz of the two doors the outside world knocks on (issue 18): 10,000 tampered,
truncated, re-encoded, foreign, huge-field and expired tokens against the agency link
pages, and 2,000 malformed dashboard addresses and forms, over real HTTP on both
databases. Not one answer may be a 5xx, nothing may change in the database, and no file
may appear on disk."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.test_web import NOW, PASSWORD, PDF, csrf_of, login
from tests.webserver import LiveApp, live_app
from workflow.access.linkkeys import load_ring
from workflow.access.links import SALT
from workflow.access.signing import serializer
from workflow.access.users import add_user
from workflow.clock import FixedClock
from workflow.engine.instantiate import instantiate
from workflow.storage.db import read_session, write_session
from workflow.storage.models import (
    AttachmentRow,
    AuditRow,
    ExtensionRequestRow,
    OutboxRow,
    ReportRow,
    TaskRow,
    WebSessionRow,
)

SEED = 18
TOKENS = 10_000
DASHBOARD = 2_000
JUNK = string.printable + "éưạ\u202e\u0000\uffff☃+/=%"


@pytest.fixture
def app(loaded: Engine, tmp_path: Path) -> Iterator[LiveApp]:
    instantiate(loaded, "hq-2022", 2022, NOW)
    with write_session(loaded) as session:
        add_user(session, "thuky", PASSWORD, "Nguyễn Thị Thư", NOW, committee="hq")
    with live_app(loaded, FixedClock(NOW), tmp_path / "attachments") as live:
        yield live


def state(engine: Engine) -> tuple[Any, ...]:
    """Everything a request could change (a login's session row aside)."""
    with read_session(engine) as session:
        tasks = tuple(session.execute(select(TaskRow.id, TaskRow.state, TaskRow.version,
                                             TaskRow.agency_code, TaskRow.due_on)
                                      .order_by(TaskRow.id)).all())
        counts = tuple(session.scalar(select(func.count()).select_from(model))
                       for model in (AuditRow, OutboxRow, ReportRow, AttachmentRow,
                                     ExtensionRequestRow))
    return tasks, counts


def mutations(rng: random.Random) -> list[Callable[[str], str]]:
    def flip(token: str) -> str:
        i = rng.randrange(len(token))
        return token[:i] + rng.choice(JUNK) + token[i + 1:]

    def insert(token: str) -> str:
        i = rng.randrange(len(token) + 1)
        return token[:i] + rng.choice("+/=é \u202e%-_.") + token[i:]

    def truncate(token: str) -> str:
        return token[:rng.randrange(len(token))]

    def pad(token: str) -> str:
        return token + "=" * rng.randint(1, 3)

    def case(token: str) -> str:
        return token.swapcase()

    def splice(token: str) -> str:  # the payload of one token, the signature of another
        return token.rsplit(".", 1)[0] + "." + rng.choice(["AAAA", "x" * 27, token[::-1]])

    def grow(token: str) -> str:
        return token * rng.randint(2, 40)

    def spare_bits(token: str) -> str:  # the same signature bits, another last character
        alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
        last = alphabet.index(token[-1]) if token[-1] in alphabet else 0
        return token[:-1] + alphabet[(last & ~3) | rng.randrange(4)]

    return [flip, insert, truncate, pad, case, splice, grow, spare_bits]


def forged_claims(rng: random.Random, ids: list[int], codes: list[str]) -> Any:
    """Claims signed with the real key: what a leaked key or a past bug could produce."""
    huge = [10**20, -10**20, 2**63, 2**31, -1, 0, 1e308, 1.5,
            True, None, "1", [], {}, "x" * 10_000]
    claims: dict[str, Any] = {"k": rng.choice(["t", "a", "t", "z", "", None, 1]),
                              "i": rng.choice([*ids, *huge]),
                              "a": rng.choice([*codes, "", "x" * 300, "hq.cong-an\x00",
                                               "../etc", 5, None]),
                              "e": rng.choice([int((NOW + timedelta(days=30)).timestamp()),
                                               int((NOW - timedelta(days=1)).timestamp()),
                                               *huge])}
    for key in rng.sample(list(claims), rng.randint(0, 2)):
        del claims[key]
    return rng.choice([claims, claims, claims, list(claims.values()), "t", 7, None])


@pytest.mark.parametrize("seed", [SEED])
def test_fuzzed_links_and_dashboard_never_answer_5xx_or_change_anything(
        app: LiveApp, seed: int) -> None:
    rng = random.Random(seed)
    with read_session(app.engine) as session:
        tasks = list(session.execute(select(TaskRow.id, TaskRow.agency_code, TaskRow.due_at)
                                     .order_by(TaskRow.id)).all())
    ids = [t.id for t in tasks]
    codes = sorted({t.agency_code for t in tasks})
    links = app.links()
    valid = [links.task(t.id, t.agency_code, t.due_at).rsplit("/", 1)[1] for t in tasks[:40]]
    expired = [app.links(NOW - timedelta(days=800)).task(t.id, t.agency_code, t.due_at)
               .rsplit("/", 1)[1] for t in tasks[:10]]
    agency = [links.agency(code).rsplit("/", 1)[1] for code in codes[:10]]
    sign = serializer(load_ring(app.engine, NOW).secrets, SALT).dumps
    change = mutations(rng)
    before = state(app.engine)
    statuses: dict[int, int] = {}

    def seen(response: httpx.Response, what: str) -> None:
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (what, response.status_code, response.text[:300])

    with httpx.Client(base_url=app.url, follow_redirects=False, timeout=30) as http:
        page = http.get(f"/bao-cao/{tasks[0].id}/{valid[0]}")
        csrf = csrf_of(page.text)
        for number in range(TOKENS):
            kind = number % 10
            if kind < 5:
                token = rng.choice(change)(rng.choice(valid + agency))
            elif kind < 7:
                token = str(sign(forged_claims(rng, ids, codes)))
            elif kind == 7:
                token = rng.choice(expired)
            elif kind == 8:  # a real token on another task's or agency's address
                token = rng.choice(valid)
            else:
                token = "".join(rng.choice(JUNK) for _ in range(rng.randint(0, 120)))
            ident = rng.choice([*ids[:50], 0, 2**63, -1, 10**20, "x", "%00", "١"])
            path = quote(token, safe="") or "x"
            target = rng.choice([f"/bao-cao/{ident}/{path}", f"/bao-cao/{ident}/{path}",
                                 f"/co-quan/{rng.choice(codes)}/{path}",
                                 f"/bao-cao/{ident}/{path}/gia-han"])
            # A genuine token with its own page's form would be a real report: GET only.
            if token not in valid and (target.endswith("/gia-han") or rng.random() < 0.3):
                response = http.post(target, data={
                    "csrf": rng.choice([csrf, "", "x" * 50]), "text": "Báo cáo giả",
                    "proposed": "30/06/2022", "reason": "thử"},
                    files=[("files", ("a.pdf", PDF))] if rng.random() < 0.2 else None)
            else:
                response = http.get(target)
            seen(response, target)

        assert login(http).status_code == 303
        dashboard = http.get("/quan-ly")
        good = csrf_of(dashboard.text)
        junk_ids = ["9223372036854775808", "1" * 30, "-5", "0", "1e3", "١٢", "%00", "%2e%2e",
                    "%FF", "abc", "1;DROP TABLE task", "%C0%AF", str(2**31), "  7"]
        templates = ["/quan-ly/nhiem-vu/{x}", "/quan-ly/tep/{x}", "/quan-ly/thu/{x}",
                     "/quan-ly/thu/{x}/html", "/quan-ly/ma-tran/{x}/{x}",
                     "/quan-ly/ma-tran/hq-2022/{x}", "/quan-ly/xuat/hq-2022/{x}/xlsx",
                     "/quan-ly/xuat/{x}/2022/{x}", "/quan-ly/theo-xa/{x}/{x}",
                     "/quan-ly/van-ban/{x}", "/quan-ly/van-ban/{x}/phien-ban/{x}",
                     "/quan-ly/du-thao/{x}", "/quan-ly/co-quan/{x}/sua", "/quan-ly/nhom/{x}",
                     "/quan-ly/tong-hop/{x}", "/quan-ly/trien-khai/{x}",
                     "/quan-ly/qua-han?co_quan={x}&chi_dao={x}", "/quan-ly/thu?trang_thai={x}",
                     "/quan-ly/co-quan?q={x}", "/dang-nhap?next={x}", "/quan-ly?nam={x}"]
        posts = ["/quan-ly/nhiem-vu/{x}/xac-nhan", "/quan-ly/nhiem-vu/{x}/tra-lai",
                 "/quan-ly/nhiem-vu/{x}/thao-tac", "/quan-ly/nhiem-vu/{x}/nhap-bao-cao",
                 "/quan-ly/gia-han/{x}", "/quan-ly/thu/{x}/gui-lai", "/quan-ly/hang-loat/xem-truoc",
                 "/quan-ly/hang-loat", "/quan-ly/ket-thuc/{x}/{x}", "/quan-ly/du-thao/{x}/xoa"]
        for number in range(DASHBOARD):
            value = rng.choice(junk_ids) if rng.random() < 0.7 else quote(
                "".join(rng.choice(JUNK) for _ in range(rng.randint(1, 40))), safe="")
            if re.fullmatch(r"[0-9]{1,9}", value):  # a real id would be a real operation
                value = "9" * 12
            if number % 4 == 3:
                target = rng.choice(posts).format(x=value)
                response = http.post(target, data={
                    "csrf": rng.choice([good, "", good[::-1]]) if number % 8 == 7 else "x",
                    "version": rng.choice(junk_ids), "task": rng.choice(junk_ids),
                    "reason": "Lý do\x00" if rng.random() < 0.5 else "Lý do",
                    "operation": rng.choice(["cancel", "remind", "x"]),
                    "year": rng.choice(junk_ids), "directive": rng.choice(junk_ids)})
            else:
                target = rng.choice(templates).format(x=value)
                response = http.get(target)
            seen(response, target)
    assert sum(statuses.values()) == TOKENS + DASHBOARD
    print(f"answers by status: {dict(sorted(statuses.items()))}")  # shown with -s
    assert state(app.engine) == before
    files = [p for p in app.settings.attachments_dir.rglob("*") if p.is_file()] \
        if app.settings.attachments_dir.exists() else []
    assert files == []
    with read_session(app.engine) as session:  # the one login of the test, nothing else
        assert session.scalar(select(func.count()).select_from(WebSessionRow)) == 1
