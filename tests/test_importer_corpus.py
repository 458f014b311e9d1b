"""`nhiemvu import` on the corpus of directives it was not written against (issue 17):
twenty documents in the real formats (plans, letters, guidance, a decision with its annex,
a notice; text, markdown, Word, PDF; headers as tables, web copies, crawls, letters with
no header at all), each beside the checks a reviewer made, and the families of text that
used to fail, one test each where the corpus alone would hide the rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from importer.build import Hints, build_draft
from importer.corpus import CORPUS, expectations, score_corpus
from importer.registry import read_directory
from importer.source import ImportProblem
from importer.writer import write_draft

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "definitions"
NHIEMVU = [str(Path(sys.executable).parent / "nhiemvu")]


@pytest.fixture(scope="module")
def directory():  # type: ignore[no-untyped-def]
    return read_directory([DEFINITIONS])


def draft_of(name: str, directory, **hints):  # type: ignore[no-untyped-def]
    return build_draft(CORPUS / name, directory, hints=Hints(**hints) if hints else None)


def test_the_corpus_is_twenty_documents_of_every_format_and_family() -> None:
    found = expectations()
    assert len(found) >= 20
    assert {path.suffix for path, _ in found} >= {".txt", ".md", ".docx", ".pdf"}
    families = {family for _, expected in found for family in expected["families"]}
    assert families == set(range(1, 16))
    for path, expected in found:
        assert path.exists(), path
        assert expected["source"]  # where it comes from, or that it was written for us


def test_the_importer_agrees_with_the_reviewed_corpus() -> None:
    scores = score_corpus()
    right = sum(s.right for s in scores)
    total = sum(s.total for s in scores)
    for score in scores:
        print(f"{score.name}: {score.right}/{score.total}")
        for failure in score.failures():
            print(f"    - {failure}")
    print(f"overall {right}/{total} = {right / total:.1%}")
    assert right / total >= 0.95
    assert all(dict((what, ok) for what, ok, _ in s.checks).get("loads") for s in scores)
    assert all(s.ratio >= 0.85 for s in scores), [(s.name, s.ratio) for s in scores]


def test_a_letter_without_header_is_read_from_its_body(directory) -> None:  # family 1
    draft = draft_of("01-xa-tan-phu-2023-cong-van.md", directory)
    assert draft.header.year.value == "2023" and draft.header.year.review
    assert draft.header.issuer.value == "Ban Vì sự tiến bộ của phụ nữ xã Tân Phú"
    assert draft.header.number.review and draft.header.date.value == "2023"
    assert len(draft.tasks) == 5  # never refused: it has tasks


def test_what_the_person_knows_fills_what_the_text_lacks(directory) -> None:  # family 1
    draft = draft_of("20-phuong-tan-dinh-2025-cong-van.txt", directory, year=2025,
                     issuer="Ủy ban nhân dân phường Tân Định", kind="cong-van",
                     date="05/11/2025")
    header = draft.header
    assert (header.year.value, header.issuer.value, header.kind.value, header.date.value) == \
        ("2025", "Ủy ban nhân dân phường Tân Định", "cong-van", "05/11/2025")
    assert header.date.review is None and header.year.review is None


@pytest.mark.parametrize(("hints", "message"), [
    ({"year": 1800}, "--year 1800"), ({"kind": "thu-moi"}, "--kind 'thu-moi'"),
    ({"date": "31/02/2025"}, "không có ngày này"), ({"date": "2025-11-05"}, "dd/mm/yyyy"),
    ({"issuer": " "}, "--issuer")])
def test_hints_out_of_bounds_are_refused(hints, message: str, directory) -> None:
    with pytest.raises(ImportProblem, match=message):
        draft_of("20-phuong-tan-dinh-2025-cong-van.txt", directory, **hints)


def test_header_blocks_that_run_together(directory) -> None:  # family 2, 12
    assert draft_of("02-xa-an-binh-2025-ke-hoach.md", directory).header.issuer.value == \
        "Ủy ban nhân dân xã An Bình"  # bold issuer, bold motto below
    ministry = draft_of("03-bo-noi-vu-2025-cong-van.md", directory).header
    assert (ministry.issuer.value, ministry.number.value, ministry.date.value) == \
        ("Bộ Nội vụ", "5120/BNV-VP", "03/11/2025")  # a table row, number and date on a line
    crawl = draft_of("07-huyen-yen-lac-2023-cong-van.md", directory).header
    assert crawl.issuer.value == "Ủy ban nhân dân huyện Yên Lạc"  # cells split over lines
    assert crawl.signer.value == "KT. Chủ tịch, Phó Chủ tịch Nguyễn Văn Tuấn"  # not the footer


def test_recipients_end_at_their_line(directory) -> None:  # family 3, 5
    draft = draft_of("01-xa-tan-phu-2023-cong-van.md", directory)
    names = {a.code: a for a in draft.new_agencies}
    recipients = [names[code] for code in draft.recipients]
    assert [a.name for a in recipients] == [
        "Ủy ban Mặt trận Tổ quốc xã Tân Phú", "Các tổ chức chính trị - xã hội xã",
        "Các thôn trên địa bàn xã"]
    assert [(a.group, a.level) for a in recipients] == [(False, "xa"), (True, "xa"),
                                                        (True, "xa")]
    assert "nhóm" in recipients[2].review


def test_collectives_are_drafted_as_groups_at_their_level(directory, tmp_path: Path) -> None:
    draft = draft_of("04-huyen-chau-thanh-2023-huong-dan.txt", directory)  # family 5, 9
    written = write_draft(draft, directory, tmp_path / "draft.yaml")
    assert written.problems == ()
    agencies = YAML(typ="safe").load(written.agencies.read_text(encoding="utf-8"))
    groups = {g["name"]: g for g in agencies["groups"]}
    assert set(groups) == {"Thành viên Ban Vì sự tiến bộ của phụ nữ huyện",
                           "Ban Vì sự tiến bộ của phụ nữ các xã, thị trấn"}
    levels = {a["code"]: a["level"] for a in agencies["agencies"]}
    assert levels[groups["Ban Vì sự tiến bộ của phụ nữ các xã, thị trấn"]["members"][0]] == "xa"
    # the assignees named only at the end do every task but the inspection
    inspection = next(t for t in draft.tasks if t.title.startswith("Tổ chức kiểm tra"))
    assert inspection.lead == [draft.secretariat.value]
    assert all(set(t.lead) == set(draft.recipients) for t in draft.tasks if t is not inspection)


def test_codes_inside_numbers_are_never_expanded(directory) -> None:  # family 4
    assert draft_of("05-xa-hoa-son-2025-cong-van.docx", directory).header.number.value == \
        "123/UBND-VHXH"
    draft = draft_of("04-huyen-chau-thanh-2023-huong-dan.txt", directory)
    assert draft.header.number.value == "45/HD-BVSTBPN"
    first = draft_of("01-xa-tan-phu-2023-cong-van.md", directory)
    assert [r.found.number for r in first.references] == ["45/HD-BVSTBPN"]


def test_signatures_in_bold_and_after_blank_lines(directory) -> None:  # family 6, 14
    assert draft_of("02-xa-an-binh-2025-ke-hoach.md", directory).header.signer.value == \
        "KT. Chủ tịch, Phó Chủ tịch Trần Thị Mai"
    assert draft_of("10-xa-vinh-thanh-2026-quyet-dinh.docx", directory).header.signer.value \
        == "TM. Ủy ban nhân dân, Chủ tịch Phan Thanh Tùng"
    assert draft_of("08-ban-dan-van-2023-cong-van.md", directory).header.signer.value == \
        "KT. Trưởng ban, Phó Trưởng ban Lê Thị Hoa"


def test_every_date_of_a_report_sentence_is_read(directory) -> None:  # family 7, 13
    draft = draft_of("01-xa-tan-phu-2023-cong-van.md", directory)
    assert draft.tasks[-1].recurs == [{"period": "h1", "due": "05/06/2023"},
                                      {"period": "year", "due": "05/12/2023"}]
    recurring = draft_of("09-tinh-quang-tri-2025-ke-hoach.pdf", directory)
    assert recurring.header.year.value == "2026"  # a plan of December for the next year
    assert recurring.tasks[-1].recurs == [{"period": "h1", "due": "15/06"},
                                          {"period": "year", "due": "15/12"}]
    quoted = recurring.tasks[1]  # "(đã yêu cầu báo cáo trước ngày 30/11/2025)"
    assert quoted.due is None and quoted.recurs == []
    assert any("trích dẫn" in note for note in quoted.reviews)


def test_numbered_points_that_ask_for_work_are_tasks(directory) -> None:  # family 8
    draft = draft_of("01-xa-tan-phu-2023-cong-van.md", directory)
    assert [t.title for t in draft.tasks][1:3] == [
        "Đẩy mạnh thông tin, truyền thông về bình đẳng giới",
        "Quan tâm bố trí nguồn kinh phí hợp lý cho hoạt động bình đẳng giới và vì sự tiến bộ "
        "của phụ nữ"]


def test_a_markdown_heading_for_noi_nhan_ends_the_body(directory) -> None:  # family 10
    draft = draft_of("06-mttq-phu-loc-2025-cong-van.md", directory)
    assert len(draft.tasks) == 3
    assert draft.header.signer.value == "TM. Ban Thường trực, Chủ tịch Đỗ Văn Nam"


def test_upper_directives_in_other_words(directory) -> None:  # family 11
    assert [r.found.number for r in draft_of("06-mttq-phu-loc-2025-cong-van.md",
                                             directory).references] == ["318/MTTQ-BTT"]
    assert [r.found.number for r in draft_of("13-xa-thanh-loi-2025-ke-hoach.md",
                                             directory).references] == ["95/KH-UBND"]


def test_a_page_title_gives_number_and_date_not_the_page_chrome(directory) -> None:  # 12
    header = draft_of("08-ban-dan-van-2023-cong-van.md", directory).header
    assert (header.number.value, header.date.value, header.issuer.value) == \
        ("85-CV/BDVTU", "15/06/2023", "Ban Dân vận Tỉnh ủy")


def test_an_annex_table_after_the_signature_gives_the_tasks(directory) -> None:  # 14
    draft = draft_of("10-xa-vinh-thanh-2026-quyet-dinh.docx", directory)
    names = {a.code: a.name for a in draft.new_agencies}
    assert [(t.code, [names[c] for c in t.lead]) for t in draft.tasks] == [
        ("pl.1", ["Phòng Văn hóa - Xã hội xã Vĩnh Thạnh"]),
        ("pl.2", ["Phòng Văn hóa - Xã hội xã Vĩnh Thạnh"]),
        ("pl.3", ["Công an xã Vĩnh Thạnh"]),
        ("pl.4", ["Phòng Văn hóa - Xã hội xã Vĩnh Thạnh"])]


def test_titles_are_complete_phrases(directory) -> None:  # family 15
    for path, _ in expectations():
        for task in build_draft(path, directory).tasks:
            assert not task.title.endswith("…"), task.title
            assert f" {task.title.rstrip('.')} ".lower() in f" {task.text} ".lower() or \
                task.title[:1].isupper(), task.title
            assert len(task.title) <= 160


def test_a_draft_that_does_not_load_is_written_with_its_problems(directory, tmp_path: Path
                                                                 ) -> None:  # family 10
    draft = draft_of("05-xa-hoa-son-2025-cong-van.docx", directory)
    draft.tasks[0].lead = ["khong.co"]  # as a bug of the importer would leave it
    written = write_draft(draft, directory, tmp_path / "draft.yaml")
    assert written.problems and "khong.co" in written.problems[0]
    text = written.directive.read_text(encoding="utf-8")
    assert text.startswith("# REVIEW: chưa nạp được:") and "khong.co" in text


def test_cli_takes_the_hints_and_refuses_bad_ones_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHIEMVU_")}
    source = CORPUS / "20-phuong-tan-dinh-2025-cong-van.txt"
    out = tmp_path / "draft.yaml"
    result = subprocess.run([*NHIEMVU, "import", str(source), "-o", str(out), "--year", "2025",
                             "--issuer", "Ủy ban nhân dân phường Tân Định", "--kind",
                             "cong-van", "--date", "05/11/2025"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    draft = YAML(typ="safe").load(out.read_text(encoding="utf-8"))
    assert (draft["year"], draft["issuer"], draft["date"]) == \
        (2025, "Ủy ban nhân dân phường Tân Định", "05/11/2025")
    assert "Công văn số /, ngày 05/11/2025" in result.stdout
    bad = tmp_path / "bad"
    bad.mkdir()
    refused = subprocess.run([*NHIEMVU, "import", str(source), "-o", str(bad / "d.yaml"),
                              "--year", "hai nghìn"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "cần 4 chữ số" in refused.stderr
    assert list(bad.iterdir()) == []


def test_fragments_of_documents_never_crash_and_always_load(directory, tmp_path: Path
                                                            ) -> None:
    """Any run of a document's lines, even shuffled (a bad copy, a partial paste), is
    either refused in one line or drafted into files the loader accepts."""
    import random

    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")) +
             sorted(CORPUS.glob("*.md"))]
    generator = random.Random(17)
    drafted = 0
    for number in range(120):
        lines = generator.choice(texts).splitlines()
        start = generator.randrange(len(lines))
        part = lines[start:generator.randrange(start, len(lines) + 1)]
        if generator.random() < 0.3:
            generator.shuffle(part)
        source = tmp_path / f"phan-{number}.txt"
        source.write_text("\n".join(part) or "x", encoding="utf-8")
        try:
            draft = build_draft(source, directory)
        except ImportProblem:
            continue
        written = write_draft(draft, directory, tmp_path / f"du-thao-{number}.yaml")
        assert written.problems == (), (number, written.problems)
        drafted += 1
    assert drafted > 40
