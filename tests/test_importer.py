"""`nhiemvu import`: the shipped directives against their hand-written definitions, one
test per extraction rule with its variants, and the inputs that must be refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from importer.build import build_draft
from importer.compare import compare
from importer.header import read_header
from importer.layout import layout_of
from importer.registry import read_directory
from importer.source import ImportProblem, Line, read_lines
from importer.writer import write_draft
from tests.tools import to_pdf
from workflow.definitions.loader import load_definitions

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "definitions"
DIRECTIVES = ROOT / "tests" / "data" / "directives"
NHIEMVU = [str(Path(sys.executable).parent / "nhiemvu")]
SHIPPED = [("ha-quang-2022-ke-hoach.txt", "hq-2022"),
           ("hai-phong-2022-chuong-trinh.txt", "hp-2022"),
           ("thanh-ha-2023-cong-van.txt", "th-2023")]


@pytest.fixture(scope="module")
def directory():  # type: ignore[no-untyped-def]
    return read_directory([DEFINITIONS])


@pytest.fixture(scope="module")
def hand():  # type: ignore[no-untyped-def]
    return load_definitions([DEFINITIONS])


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NHIEMVU_")}


def registry_files() -> list[Path]:
    return [DEFINITIONS / "agencies", DEFINITIONS / "calendar.yaml"]


def import_to(path: Path, out: Path, directory, code: str | None = None):  # type: ignore[no-untyped-def]
    draft = build_draft(path, directory, code)
    written = write_draft(draft, directory, out)
    return draft, written


def agreement_of(draft_file: Path, extra: list[Path], code: str, hand, hand_code: str):  # type: ignore[no-untyped-def]
    loaded = load_definitions([*registry_files(), draft_file, *extra])
    return compare(loaded.directives[code], hand.directives[hand_code],
                   hand.calendars["default"])


def assert_agrees(agreement, label: str) -> None:  # type: ignore[no-untyped-def]
    mismatches = agreement.mismatches()
    draft, hand = agreement.assignments
    print(f"\n{label}: assignments {len(draft & hand)}/{len(hand)} of the definition found, "
          f"{len(draft - hand)} extra; agreement {agreement.assignment_score:.1%}")
    for kind, items in mismatches.items():
        for item in items:
            print(f"  {kind}: {item}")
    assert mismatches["fields"] == []
    assert mismatches["implements"] == []
    assert mismatches["deadlines"] == []
    assert mismatches["action_months"] == []
    assert agreement.assignment_score >= 0.9
    assert agreement.assignment_recall >= 0.9


@pytest.mark.parametrize(("name", "hand_code"), SHIPPED)
def test_shipped_directive_agrees_with_its_definition(name: str, hand_code: str, directory,
                                                      hand, tmp_path: Path) -> None:
    draft, written = import_to(DIRECTIVES / name, tmp_path / "draft.yaml", directory)
    assert written.agencies is None  # every agency of the shipped ones is in the registry
    agreement = agreement_of(written.directive, [], draft.code, hand, hand_code)
    assert_agrees(agreement, name)
    text = written.directive.read_text(encoding="utf-8")
    assert "# dòng " in text  # every value says where it came from


def test_drafts_load_and_instantiate_like_the_definitions(directory, tmp_path: Path) -> None:
    """Loaded beside the hand-written ones into one database, each draft makes as many
    tasks as its definition."""
    drafts = []
    for name, hand_code in SHIPPED:
        draft, _ = import_to(DIRECTIVES / name, tmp_path / f"{hand_code}-draft.yaml",
                                   directory)
        drafts.append((draft.code, hand_code, draft.header.year.value))
    env = {**clean_env(), "NHIEMVU_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "NHIEMVU_NOW": "2022-01-03T08:00:00+07:00"}

    def run(*args: str) -> str:
        result = subprocess.run(NHIEMVU + list(args), cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("init")
    check = run("load", "--check", str(DEFINITIONS), *[str(p) for p in
                                                      sorted(tmp_path.glob("*-draft.yaml"))])
    assert "6 directives" in check
    run("load", str(DEFINITIONS), *[str(p) for p in sorted(tmp_path.glob("*-draft.yaml"))])
    for code, hand_code, year in drafts:
        ours = run("instantiate", code, "--year", year, "--json")
        theirs = run("instantiate", hand_code, "--year", year, "--json")
        assert '"created": 0' not in ours
        assert ours.replace(code, "X") == theirs.replace(hand_code, "X")


def test_cli_import_writes_the_draft_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "drafts" / "hq.yaml"
    result = subprocess.run([*NHIEMVU, "import", str(DIRECTIVES / SHIPPED[0][0]), "-o",
                                       str(out), "--registry", str(DEFINITIONS)],
                            cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = result.stdout
    assert "văn bản         Kế hoạch số /KH-UBND, tháng 04/2022, năm 2022" in report
    assert "thực hiện       ke-hoach 864/KH-UBND 12/04/2022 Ủy ban nhân dân tỉnh Cao Bằng" \
        in report
    assert "v.bao-cao: h1 05/06, year 05/12" in report
    assert "II NỘI DUNG THỰC HIỆN: phần nội dung" in report
    assert "dòng 3: số: văn bản để trống số" in report
    assert "Cần xem lại (" in report and "Kiểm tra: nhiemvu load --check" in report
    assert not re.search(r"\b(?:line|task|found|review|agency)\b", report.replace(
        "nhiemvu load --check", "")), report
    assert out.exists()
    clash = subprocess.run([*NHIEMVU, "import", str(DIRECTIVES / SHIPPED[0][0]), "-o",
                            str(tmp_path / "again.yaml"), "--code", "hq-2022"], cwd=ROOT,
                           env=clean_env(), capture_output=True, text=True, timeout=120)
    assert "văn bản 'hq-2022' đã có trong definitions/directives/" \
        "ha-quang-2022.yaml" in clash.stdout
    bad = subprocess.run([*NHIEMVU, "import", str(DIRECTIVES / SHIPPED[0][0]), "-o",
                          str(tmp_path / "bad.yaml"), "--code", "Hà Quảng"], cwd=ROOT,
                         env=clean_env(), capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "không phải mã hợp lệ" in bad.stderr
    assert not (tmp_path / "bad.yaml").exists()
    again = subprocess.run([*NHIEMVU, "import", str(DIRECTIVES / SHIPPED[0][0]), "-o",
                            str(out)], cwd=ROOT, env=clean_env(), capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 1
    assert "đã có" in again.stderr and "--force" in again.stderr
    as_json = subprocess.run([*NHIEMVU, "import", str(DIRECTIVES / SHIPPED[2][0]), "-o",
                                        str(out), "--force", "--json"],
                             cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert as_json.returncode == 0, as_json.stderr
    import json

    summary = json.loads(as_json.stdout)
    assert summary["tasks"] == 27
    assert summary["directive"]["secretariat"] == "th.ldtbxh"
    assert [r["number"] for r in summary["implements"]] == ["836/SLĐTBXH-TE&BĐG", "37/KH-UBND"]
    checked = subprocess.run(NHIEMVU + summary["check"].split()[1:], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr
    assert "valid, nothing stored" in checked.stdout


# --- Word and PDF -------------------------------------------------------------------------

def hq_docx(path: Path) -> None:
    """The Hà Quảng plan as a Word file is laid out: a two-column header table, bold
    headings, the recipients and the signature side by side in a table at the end."""
    from docx import Document

    lines = (DIRECTIVES / SHIPPED[0][0]).read_text(encoding="utf-8").splitlines()
    body_start = lines.index("KẾ HOẠCH")
    body_end = next(i for i, line in enumerate(lines) if line.startswith("Nơi nhận"))
    document = Document()
    header = document.add_table(rows=1, cols=2)
    left, right = header.rows[0].cells
    left.paragraphs[0].add_run("ỦY BAN NHÂN DÂN").bold = True
    left.add_paragraph("HUYỆN HÀ QUẢNG").runs[0].bold = True
    left.add_paragraph("Số: /KH-UBND")
    right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").bold = True
    right.add_paragraph("Độc lập - Tự do - Hạnh phúc")
    right.add_paragraph("Hà Quảng, ngày    tháng 4 năm 2022")
    for line in lines[body_start:body_end]:
        if not line.strip():
            continue
        paragraph = document.add_paragraph()
        paragraph.add_run(line).bold = line.isupper() or line[:3] in ("I. ", "II.", "III",
                                                                      "IV.", "V. ")
    footer = document.add_table(rows=1, cols=2)
    left, right = footer.rows[0].cells
    left.paragraphs[0].add_run("Nơi nhận:").bold = True
    for line in lines[body_end + 1:]:
        if line.startswith("- "):
            left.add_paragraph(line)
    right.paragraphs[0].add_run("KT. CHỦ TỊCH").bold = True
    right.add_paragraph("PHÓ CHỦ TỊCH").runs[0].bold = True
    right.add_paragraph("")
    right.add_paragraph("Nguyễn Thị Phương")
    document.save(str(path))


def test_docx_import_agrees_like_the_text(directory, hand, tmp_path: Path) -> None:
    source = tmp_path / "ke-hoach.docx"
    hq_docx(source)
    draft, written = import_to(source, tmp_path / "draft.yaml", directory)
    assert draft.header.issuer.value == "Ủy ban nhân dân huyện Hà Quảng"
    assert draft.header.issuer.review is None  # read from the header table, not guessed
    assert draft.header.signer.value == "KT. Chủ tịch, Phó Chủ tịch Nguyễn Thị Phương"
    assert_agrees(agreement_of(written.directive, [], draft.code, hand, "hq-2022"), "docx")


def test_pdf_import_agrees_like_the_text(directory, hand, tmp_path: Path) -> None:
    """The Word file printed to PDF by LibreOffice, read back through its text layer."""
    source = tmp_path / "ke-hoach.docx"
    hq_docx(source)
    pdf = to_pdf(source, tmp_path)
    draft, written = import_to(pdf, tmp_path / "draft.yaml", directory)
    assert draft.header.number.value == "/KH-UBND"
    assert_agrees(agreement_of(written.directive, [], draft.code, hand, "hq-2022"), "pdf")


# --- refused inputs: a clear message and nothing written ----------------------------------

def refused(path: Path, tmp_path: Path) -> str:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    result = subprocess.run([*NHIEMVU, "import", str(path), "-o", str(out / "draft.yaml"),
                                       "--registry", str(DEFINITIONS)],
                            cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert list(out.iterdir()) == []  # not even a temporary file
    assert result.stderr.count("\n") == 1  # one line, no traceback
    return result.stderr


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trong.txt"
    path.write_text("  \n\n", encoding="utf-8")
    assert "tệp rỗng" in refused(path, tmp_path)


def test_binary_file_renamed_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ke-hoach.docx"
    path.write_bytes(bytes(range(256)) * 40)
    assert "không phải tài liệu Word" in refused(path, tmp_path)
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:  # a zip, but not a Word package
        archive.writestr("readme.txt", "xin chào")
    assert "không phải tài liệu Word" in refused(path, tmp_path)


def test_scanned_pdf_without_text_is_refused(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 300), "white")
    ImageDraw.Draw(image).text((20, 20), "KE HOACH so 12/KH-UBND", fill="black")
    path = tmp_path / "scan.pdf"
    image.save(path, "PDF")
    assert "không có lớp chữ" in refused(path, tmp_path)


def test_text_without_structure_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "thu.txt"
    path.write_text("Chào chị,\nHẹn gặp lại vào tuần sau để bàn về hội nghị.\n", "utf-8")
    assert "không tìm thấy nhiệm vụ" in refused(path, tmp_path)


def test_binary_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ke-hoach.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100))
    assert "dữ liệu nhị phân" in refused(path, tmp_path)


# --- one rule at a time ---------------------------------------------------------------------

def header_of(text: str):  # type: ignore[no-untyped-def]
    lines = [Line(n, raw) for n, raw in enumerate(textwrap.dedent(text).splitlines(), 1)]
    layout = layout_of(lines)
    return read_header(layout.header, layout.preamble, layout.signature)


@pytest.mark.parametrize(("line", "number", "blank"), [
    ("Số: /KH-UBND", "/KH-UBND", True),
    ("Số:            /UBND-LĐTBXH Thanh Hà, ngày  tháng  năm 2023", "/UBND-LĐTBXH", True),
    ("Số: 02 /CTr-BVSTBPN", "02/CTr-BVSTBPN", False),
    ("Số: 123/QĐ-UBND", "123/QĐ-UBND", False),
    ("Số 24a/KH-UBND", "24a/KH-UBND", False),
])
def test_number(line: str, number: str, blank: bool) -> None:
    found = header_of(f"{line}\nI. NỘI DUNG\n- Việc.\n").number
    assert found.value == number
    assert (found.review is not None) is blank
    assert found.line == 1


@pytest.mark.parametrize(("line", "date", "place"), [
    ("Hải Phòng, ngày 14 tháng 4 năm 2022", "14/04/2022", "Hải Phòng"),
    ("Hà Quảng, ngày tháng 4 năm 2022", "04/2022", "Hà Quảng"),
    ("Số: /UBND-LĐTBXH Thanh Hà, ngày         tháng       năm 2023", "2023", "Thanh Hà"),
    ("Thành phố Hồ Chí Minh, ngày 5 tháng 01 năm 2024", "05/01/2024", "Thành phố Hồ Chí Minh"),
])
def test_date_and_place(line: str, date: str, place: str) -> None:
    found = header_of(f"{line}\nI. NỘI DUNG\n- Việc.\n")
    assert found.date.value == date
    assert found.place.value == place


@pytest.mark.parametrize(("text", "kind"), [
    ("Số: /KH-UBND\nKẾ HOẠCH\nTriển khai năm 2024", "ke-hoach"),
    ("## CHƯƠNG TRÌNH\n### Công tác năm 2022", "chuong-trinh"),
    ("Số: 12/QĐ-UBND\nVề việc phê duyệt năm 2024", "quyet-dinh"),
    ("Số: /UBND-VP\nV/v triển khai nhiệm vụ năm 2024", "cong-van"),
])
def test_kind(text: str, kind: str) -> None:
    assert header_of(f"{text}\nI. NỘI DUNG\n- Việc.\n").kind.value == kind


def test_title_split_over_lines_after_vv() -> None:
    header = header_of("""\
        Số: /UBND-LĐTBXH Thanh Hà, ngày tháng năm 2023
        V/v triển khai thực hiện các nhiệm vụ

        trọng tâm công tác bình đẳng giới và vì
        sự tiến bộ của phụ nữ năm 2023

        Kính gửi: Phòng Nội vụ
        1. Việc một
        - Làm.
        """)
    assert header.title.value == ("V/v triển khai thực hiện các nhiệm vụ trọng tâm công tác "
                                  "bình đẳng giới và vì sự tiến bộ của phụ nữ năm 2023")
    assert header.title.line == 2
    assert header.year.value == "2023"


def test_issuer_from_the_header_block_and_from_the_preamble() -> None:
    header = header_of("""\
        ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
        HUYỆN THANH HÀ Độc lập - Tự do - Hạnh phúc
        Số: /UBND-LĐTBXH Thanh Hà, ngày tháng năm 2023
        I. NỘI DUNG
        - Việc.
        """)
    assert header.issuer.value == "Ủy ban nhân dân huyện Thanh Hà"
    header = header_of("""\
        Số: 02 /CTr-BVSTBPN
        Hải Phòng, ngày 14 tháng 4 năm 2022
        Thực hiện Công văn số 02/UBQG-VP ngày 10/3/2022 của Ủy ban Quốc gia, Ban Vì sự
        tiến bộ của phụ nữ thành phố Hải Phòng ban hành Chương trình như sau:
        I. NỘI DUNG
        - Việc.
        """)
    assert header.issuer.value == "Ban Vì sự tiến bộ của phụ nữ thành phố Hải Phòng"
    assert header.issuer.review == "cơ quan ban hành lấy từ phần mở đầu"


@pytest.mark.parametrize(("lines", "signer"), [
    (["**KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH**", "", "Nguyễn Thị Phương"],
     "KT. Chủ tịch, Phó Chủ tịch Nguyễn Thị Phương"),
    (["KT.CHỦ TỊCH", "PHÓ CHỦ TỊCH", "(Đã ký)", "Ngô Bá Định"],
     "KT. Chủ tịch, Phó Chủ tịch Ngô Bá Định"),
    (["**PHÓ CHỦ TỊCH ỦY BAN NHÂN DÂN**  ", "**Lê Khắc Nam**"],
     "Phó Chủ tịch Ủy ban nhân dân Lê Khắc Nam"),
    (["TM. BAN VÌ SỰ TIẾN BỘ CỦA PHỤ NỮ", "TRƯỞNG BAN", "Trần Văn A"],
     "TM. Ban vì sự tiến bộ của phụ nữ, Trưởng ban Trần Văn A"),
])
def test_signer(lines: list[str], signer: str) -> None:
    text = "Số: 1/KH-UBND\nI. NỘI DUNG\n- Việc.\nNơi nhận:\n- Lưu: VT.\n" + "\n".join(lines)
    assert header_of(text).signer.value == signer


@pytest.mark.parametrize(("sentence", "expected"), [
    ("Thực hiện Công văn số 836/SLĐTBXH-TE&BĐG ngày 16/3/2023 của Sở Lao động - Thương binh "
     "và Xã hội V/v triển khai nhiệm vụ năm 2023; Kế hoạch số 37/KH-UBND ngày 15/3/2023 của "
     "UBND huyện về việc thực hiện công tác bình đẳng giới năm 2023.",
     [("cong-van", "836/SLĐTBXH-TE&BĐG", "16/03/2023", "Sở Lao động - Thương binh và Xã hội",
       "V/v triển khai nhiệm vụ năm 2023"),
      ("ke-hoach", "37/KH-UBND", "15/03/2023", "UBND huyện",
       "Thực hiện công tác bình đẳng giới năm 2023")]),
    ("Căn cứ Kế hoạch số 864/KH-UBND ngày 12 tháng 4 năm 2022 của Ủy ban nhân dân tỉnh Cao "
     "Bằng về việc triển khai công tác năm 2022.",
     [("ke-hoach", "864/KH-UBND", "12/04/2022", "Ủy ban nhân dân tỉnh Cao Bằng",
       "Triển khai công tác năm 2022")]),
    ("Thực hiện Quyết định 2282/QĐ-TTg ngày 31/12/2020 của Thủ tướng Chính phủ",
     [("quyet-dinh", "2282/QĐ-TTg", "31/12/2020", "Thủ tướng Chính phủ", None)]),
    ("Thực hiện Luật số 73/2006/QH11 ngày 29/11/2006",
     [(None, "73/2006/QH11", "29/11/2006", None, None)]),
])
def test_upper_directives(sentence: str, expected: list[tuple]) -> None:  # type: ignore[type-arg]
    from importer.references import references_in

    found = [(r.kind, r.number, r.date, r.issuer, r.title) for r in references_in(sentence)]
    assert found == expected


def test_number_broken_at_the_line_end_is_joined() -> None:
    lines = [Line(1, "Thực hiện Kế hoạch số 37/KH-"), Line(2, "UBND ngày 15/3/2023 của UBND"),
             Line(3, "huyện về việc thực hiện.")]
    blocks = layout_of(lines).preamble
    assert "37/KH-UBND ngày 15/3/2023 của UBND huyện" in blocks[0].text


def test_layout_headings_bullets_and_hard_wraps() -> None:
    lines = [Line(n, raw) for n, raw in enumerate([
        "#### II. NHIỆM VỤ", "## **1. Công tác tuyên truyền về bình đẳng", "giới**",
        "- Tiếp tục đẩy mạnh các hoạt động tuyên", "", "truyền về bình đẳng giới.",
        "a) Nhiệm vụ riêng", "- Việc thứ nhất:", "+ Phần một;", "+ Phần hai.",
        "Đoạn tiếp theo của phần hai.", "12", "- Việc thứ hai.",
        "Trên đây là kế hoạch./."], 1)]
    root = layout_of(lines).root
    section = root.children[0]
    assert (section.kind, section.label, section.title) == ("roman", "II", "NHIỆM VỤ")
    sub = section.children[0]
    assert (sub.kind, sub.title) == ("arabic", "Công tác tuyên truyền về bình đẳng giới")
    assert sub.items[0].text == "Tiếp tục đẩy mạnh các hoạt động tuyên truyền về bình đẳng giới."
    assert sub.items[0].lines == "4-6"
    letter = sub.children[0]
    assert (letter.kind, letter.label) == ("letter", "a")
    kinds = [(b.kind, b.text) for b in letter.items]
    assert kinds == [("bullet", "Việc thứ nhất:"), ("plus", "Phần một;"),
                     ("plus", "Phần hai."), ("text", "Đoạn tiếp theo của phần hai."),
                     ("bullet", "Việc thứ hai.")]  # the page number "12" is gone


# --- agencies, on a small directive against the Hà Quảng registry ---------------------------

HQ_HEADER = """\
ỦY BAN NHÂN DÂN
HUYỆN HÀ QUẢNG
Số: 15/KH-UBND
Hà Quảng, ngày 02 tháng 3 năm 2024
KẾ HOẠCH
Thực hiện công tác bình đẳng giới năm 2024
"""


def import_text(text: str, tmp_path: Path, directory):  # type: ignore[no-untyped-def]
    path = tmp_path / "van-ban.txt"
    path.write_text(HQ_HEADER + textwrap.dedent(text), encoding="utf-8")
    draft = build_draft(path, directory)
    write_draft(draft, directory, tmp_path / "draft.yaml")
    return {task.code: task for task in draft.tasks}, draft


@pytest.mark.parametrize(("heading", "codes"), [
    ("Hội LHPN huyện", ["hq.hlhpn"]),
    ("Hội Liên hiệp Phụ nữ", ["hq.hlhpn"]),
    ("Phòng LĐ-TB&XH", ["hq.ldtbxh"]),
    ("Phòng Lao động – Thương binh và Xã hội huyện", ["hq.ldtbxh"]),  # en dash
    ("Phòng Lao động-Thương binh và Xã hội", ["hq.ldtbxh"]),
    ("Đề nghị UBMTTQ huyện và các đoàn thể huyện", ["hq.ubmttq", "hq.doan-the"]),
    ("Phòng Nội vụ huyện Hà Quảng", ["hq.noi-vu"]),
    ("UBND các xã, thị trấn", ["hq.xa-thi-tran"]),
    ("Uỷ ban nhân dân các xã, thị trấn", ["hq.xa-thi-tran"]),  # old tone-mark placement
    ("Phòng Y tế, Trung tâm Y tế huyện", ["hq.y-te", "hq.ttyt"]),
    ("Các cơ quan, đơn vị, tổ chức chính trị - xã hội huyện", ["hq.co-quan-huyen"]),
])
def test_agency_sections_assign_their_bullets(heading: str, codes: list[str], directory,
                                              tmp_path: Path) -> None:
    tasks, draft = import_text(f"""\
        I. TỔ CHỨC THỰC HIỆN
        1. {heading}
        - Triển khai kế hoạch.
        - Tổng hợp kết quả.
        2. Công an huyện
        Phòng, chống mua bán người.
        """, tmp_path, directory)
    assert tasks["i.1.1"].lead == codes
    assert tasks["i.1.2"].lead == codes
    assert tasks["i.2"].lead == ["hq.cong-an"]
    assert draft.new_agencies == []


def test_unknown_agency_heading_goes_to_the_draft_agency_file(directory, tmp_path: Path
                                                              ) -> None:
    tasks, draft = import_text("""\
        I. TỔ CHỨC THỰC HIỆN
        1. Phòng Nội vụ
        - Theo dõi cán bộ nữ.
        2. Ngân hàng Chính sách xã hội huyện
        - Cho phụ nữ nghèo vay vốn.
        """, tmp_path, directory)
    # completed with the place the directive is from, as the registry names its agencies
    assert [a.name for a in draft.new_agencies] == ["Ngân hàng Chính sách xã hội huyện Hà Quảng"]
    code = draft.new_agencies[0].code
    assert tasks["i.2.1"].lead == [code]
    written = (tmp_path / "draft.agencies.yaml").read_text(encoding="utf-8")
    assert f"code: {code}" in written and "REVIEW:" in written and ".example" in written


def test_subjects_recipients_partners_and_routing(directory, tmp_path: Path) -> None:
    tasks, draft = import_text("""\
        Kính gửi:
        - Các cơ quan, ban ngành, đoàn thể huyện;
        - UBND các xã, thị trấn.
        1. Nhiệm vụ
        - Tuyên truyền về bình đẳng giới.
        - Hội LHPN huyện chủ trì tổ chức hội thi.
        - Ban Vì sự tiến bộ phụ nữ huyện phối hợp với Phòng Tư pháp và các cơ quan
        liên quan rà soát văn bản.
        - Tổ chức tập huấn cho Phòng Nội vụ.
        2. Chế độ báo cáo
        Các cơ quan, đơn vị báo cáo sơ kết 6 tháng trước ngày 15/6 và báo cáo năm trước
        ngày 15 tháng 11 gửi về UBND huyện (qua Phòng Lao động - Thương binh và Xã hội)
        để tổng hợp; báo cáo đột xuất khi có yêu cầu.
        """, tmp_path, directory)
    assert tasks["1.1"].lead == ["hq.co-quan-huyen", "hq.xa-thi-tran"]  # Kính gửi
    assert tasks["1.2"].lead == ["hq.hlhpn"]  # the sentence opens with the agency
    assert tasks["1.4"].lead == ["hq.co-quan-huyen", "hq.xa-thi-tran"]  # a beneficiary only
    assert tasks["1.3"].coordinating == ["hq.tu-phap"]  # named partners, not "các cơ quan…"
    assert draft.secretariat.value == "hq.ldtbxh"  # routed through, the report recipient
    report = tasks["2.bao-cao"]
    assert "hq.ldtbxh" not in report.lead
    assert report.recurs == [{"period": "h1", "due": "15/06"}, {"period": "year", "due": "15/11"}]
    assert draft.ad_hoc == ["2.bao-cao"]


def test_the_committee_itself_means_its_secretariat(directory, tmp_path: Path) -> None:
    path = tmp_path / "ctr.md"
    path.write_text(textwrap.dedent("""\
        Số: 03 /CTr-BVSTBPN

        Hải Phòng, ngày 10 tháng 2 năm 2024

        ## CHƯƠNG TRÌNH

        ### Công tác năm 2024

        Ban Vì sự tiến bộ của phụ nữ thành phố Hải Phòng ban hành Chương trình như sau:

        #### I. NHIỆM VỤ

        - Thường trực Ban VSTBPN thành phố, các ngành thành viên Ban Vì sự tiến bộ của
        phụ nữ thành phố và Ban VSTBCPN các quận, huyện tổ chức kiểm tra.

        - Ban Vì sự tiến bộ phụ nữ thành phố tham mưu về công tác cán bộ nữ<sup>1</sup>.

        <sup>1</sup> Theo Kế hoạch số 53/KH-UBND ngày 09/3/2022.

        **Nơi nhận:**
        - Thành viên BVSTBCPN thành phố;
        - Lưu: VT.
        """), encoding="utf-8")
    draft = build_draft(path, directory)
    tasks = {t.code: t for t in draft.tasks}
    assert tasks["i.1"].lead == ["hp.ldtbxh", "hp.thanh-vien", "hp.quan-huyen"]
    assert tasks["i.2"].lead == ["hp.ldtbxh"]
    assert "<sup>" not in tasks["i.2"].text
    assert draft.footnotes == [("1", "Theo Kế hoạch số 53/KH-UBND ngày 09/3/2022.", 18)]
    assert len(draft.tasks) == 2  # the footnote is a reference, not a task


@pytest.mark.parametrize(("text", "expected"), [
    ("báo cáo 6 tháng trước ngày 05/6", [("h1", "05/06")]),
    ("báo cáo sơ kết 6 tháng trước ngày 05 tháng 6", [("h1", "05/06")]),
    ("báo cáo sơ kết 6 tháng trước ngày 05/6/2023", [("h1", "05/06/2023")]),
    ("báo cáo 6 tháng trước ngày 15-4", [("h1", "15/04")]),
    ("báo cáo tổng kết năm trước ngày 25.5.2017", [("year", "25/05/2017")]),
    ("báo cáo năm trước ngày 05 tháng 12 năm 2023", [("year", "05/12/2023")]),
    ("gửi báo cáo tổng kết năm về Phòng", [("year", None)]),
    ("báo cáo kết quả chậm nhất ngày 10/10", [(None, "10/10")]),
    ("Báo cáo sơ kết 6 tháng trước ngày 15-6, báo cáo tổng kết năm trước ngày 25/11",
     [("h1", "15/06"), ("year", "25/11")]),
    ("thực hiện chế độ thông tin, báo cáo theo quy định", [("h1", None), ("year", None)]),
    ("báo cáo đột xuất theo yêu cầu", []),
    ("tổng kết đánh giá 15 năm thi hành Luật", []),
])
def test_report_deadlines(text: str, expected: list[tuple[str | None, str | None]],
                          hand) -> None:
    from importer.timing import deadlines

    found, _ = deadlines(text, hand.calendars["default"])
    assert [(d.period, d.due) for d in found] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Tháng hành động phòng, chống bạo lực gia đình (tháng 6/2023)", ["june"]),
    ("từ ngày 15/11 đến ngày 15/12/2023", ["gender-equality"]),
    ("(từ 15/11/2022-15/12/2022)", ["gender-equality"]),
    ("Tháng hành động từ ngày 15/11/15/12/2022", ["gender-equality"]),
    ("hưởng ứng Tháng hành động từ 1-30/6", ["june"]),
    ("từ ngày 15/11-15/12/2022", ["gender-equality"]),
    ("nhân Tháng hành động về bình đẳng giới và phòng chống bạo lực trên cơ sở giới",
     ["gender-equality"]),
    ("Tháng hành động quốc gia về phòng, chống bạo lực gia đình, Tháng hành động vì bình "
     "đẳng giới", ["june", "gender-equality"]),
    ("Luật Phòng, chống bạo lực gia đình; báo cáo trước ngày 05 tháng 6", []),
    ("Tổ chức hội thi vào tháng 6/2023", []),  # a month, but no campaign named
    ("từ ngày 10/11 đến ngày 10/12/2023", [None]),  # a range the calendar does not have
])
def test_action_months(text: str, expected: list[str | None], hand) -> None:
    from importer.timing import action_months

    assert [m.code for m in action_months(text, hand.calendars["default"])] == expected


def test_a_plan_for_an_action_month_is_due_when_it_starts(directory, tmp_path: Path) -> None:
    tasks, _ = import_text("""\
        I. TỔ CHỨC THỰC HIỆN
        1. Phòng Lao động - Thương binh và Xã hội
        - Tham mưu xây dựng kế hoạch Tháng hành động vì bình đẳng giới từ ngày 15/11/15/12/2024.
        - Xây dựng kế hoạch, triển khai Tháng hành động vì bình đẳng giới năm 2024.
        """, tmp_path, directory)
    assert tasks["i.1.1"].due == {"action_month": "gender-equality", "anchor": "start"}
    assert tasks["i.1.2"].due is None and tasks["i.1.2"].recurs == ["gender-equality"]


def test_import_without_a_registry_drafts_every_agency(hand, tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / "calendar.yaml").write_text((DEFINITIONS / "calendar.yaml").read_text("utf-8"),
                                            encoding="utf-8")
    directory = read_directory([registry])
    draft = build_draft(DIRECTIVES / SHIPPED[0][0], directory)
    written = write_draft(draft, directory, tmp_path / "draft.yaml")
    assert written.agencies is not None
    names = [a.name for a in draft.new_agencies]
    assert "Phòng Lao động - Thương binh và Xã hội" in names
    assert "Ủy ban nhân dân các xã, thị trấn" in names
    collective = next(a for a in draft.new_agencies if a.name.startswith("Ủy ban nhân dân các"))
    assert "lập nhóm" in collective.review
    loaded = load_definitions([registry, written.directive, written.agencies])
    assert len(loaded.directives[draft.code].tasks) == len(draft.tasks)


def test_read_lines_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("\ufeffSố: 1/KH-UBND\n\n## KẾ HOẠCH\n", encoding="utf-8")
    assert [(line.number, line.text) for line in read_lines(path)] == [
        (1, "Số: 1/KH-UBND"), (2, ""), (3, "## KẾ HOẠCH")]
    with pytest.raises(ImportProblem, match="không phải văn bản UTF-8"):
        (tmp_path / "b.txt").write_bytes(b"S\xf4: 1/KH-UBND")  # Latin-1, not UTF-8
        read_lines(tmp_path / "b.txt")


def test_docx_automatic_numbering_is_read(directory, tmp_path: Path) -> None:
    """Word's own list numbering is not in a paragraph's text: the importer adds it."""
    from docx import Document

    document = Document()
    for text in ("Số: 5/KH-UBND", "Hà Quảng, ngày 10 tháng 3 năm 2024", "KẾ HOẠCH",
                 "Công tác bình đẳng giới năm 2024", "I. TỔ CHỨC THỰC HIỆN"):
        document.add_paragraph(text)
    document.add_paragraph("Phòng Nội vụ", style="List Number")
    document.add_paragraph("Theo dõi cán bộ nữ.", style="List Bullet")
    document.add_paragraph("Tập huấn cán bộ nữ.", style="List Bullet")
    document.add_paragraph("Công an huyện", style="List Number")
    document.add_paragraph("Phòng, chống mua bán người.", style="List Bullet")
    path = tmp_path / "ke-hoach.docx"
    document.save(str(path))
    assert [line.text for line in read_lines(path)][5:] == [
        "1. Phòng Nội vụ", "- Theo dõi cán bộ nữ.", "- Tập huấn cán bộ nữ.",
        "2. Công an huyện", "- Phòng, chống mua bán người."]
    draft = build_draft(path, directory)
    assert [(t.code, t.lead) for t in draft.tasks] == [
        ("i.1.1", ["hq.noi-vu"]), ("i.1.2", ["hq.noi-vu"]), ("i.2.1", ["hq.cong-an"])]


@pytest.mark.parametrize(("number", "fmt", "text"), [
    (4, "upperRoman", "IV"), (9, "upperRoman", "IX"), (3, "lowerLetter", "c"),
    (12, "decimal", "12"), (2, "lowerRoman", "ii")])
def test_word_number_formats(number: int, fmt: str, text: str) -> None:
    from importer.source import _format

    assert _format(number, fmt) == text


def test_agency_heading_with_its_task_after_a_colon(directory, tmp_path: Path) -> None:
    tasks, _ = import_text("""\
        I. TỔ CHỨC THỰC HIỆN
        1. Phòng Nội vụ: tham mưu quy hoạch, đào tạo cán bộ nữ.
        2. UBND xã Cải Viên, thị trấn Xuân Hòa: xây dựng mô hình điểm.
        3. Hội LHPN huyện
        - Tuyên truyền.
        """, tmp_path, directory)
    assert tasks["i.1"].text == "tham mưu quy hoạch, đào tạo cán bộ nữ."
    assert tasks["i.1"].lead == ["hq.noi-vu"]
    assert tasks["i.2"].lead == ["hq.xa-cai-vien", "hq.tt-xuan-hoa"]  # commune prefixes
    assert tasks["i.3.1"].lead == ["hq.hlhpn"]


@pytest.mark.parametrize(("block", "issuer"), [
    (["ỦY BAN NHÂN DÂN", "HUYỆN THANH HÀ"], "Ủy ban nhân dân huyện Thanh Hà"),
    (["UBND TỈNH CAO BẰNG", "SỞ LAO ĐỘNG - THƯƠNG BINH", "VÀ XÃ HỘI"],
     "Sở Lao động - Thương binh và Xã hội tỉnh Cao Bằng"),
    (["UBND HUYỆN HÀ QUẢNG", "BAN VÌ SỰ TIẾN BỘ CỦA PHỤ NỮ"],
     "Ban Vì sự tiến bộ của phụ nữ huyện Hà Quảng"),
    (["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HẢI PHÒNG"], "Ủy ban nhân dân thành phố Hải Phòng"),
])
def test_issuer_block_with_a_parent_body(block: list[str], issuer: str) -> None:
    text = "\n".join(block) + "\nSố: 1/KH-UBND\nI. NỘI DUNG\n- Việc.\n"
    assert header_of(text).issuer.value == issuer


def test_several_grounds_each_on_its_line(directory, tmp_path: Path) -> None:
    _, draft = import_text("""\
        Căn cứ Luật Bình đẳng giới số 73/2006/QH11 ngày 29/11/2006;
        Căn cứ Quyết định số 2232/QĐ-TTg ngày 28/12/2020 của Thủ tướng Chính phủ;
        Thực hiện Kế hoạch số 864/KH-UBND ngày 12/4/2024 của UBND tỉnh Cao Bằng.
        Ủy ban nhân dân huyện xây dựng kế hoạch như sau:
        I. TỔ CHỨC THỰC HIỆN
        1. Phòng Nội vụ
        - Theo dõi cán bộ nữ.
        """, tmp_path, directory)
    assert [(r.found.kind, r.found.number, r.issuer) for r in draft.references] == [
        ("quyet-dinh", "2232/QĐ-TTg", "Thủ tướng Chính phủ"),
        ("ke-hoach", "864/KH-UBND", "Ủy ban nhân dân tỉnh Cao Bằng")]
    assert any("73/2006/QH11" in note for note in draft.notes)  # a law: listed, not recorded


def test_task_table_in_markdown(directory, tmp_path: Path) -> None:
    tasks, draft = import_text("""\
        I. NHIỆM VỤ CỤ THỂ
        | TT | Nội dung | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian thực hiện |
        |---|---|---|---|---|
        | I | Công tác tuyên truyền | | | |
        | 1 | Tuyên truyền Luật | Phòng VH&TT | Hội LHPN huyện, Huyện đoàn | Trước 30/6/2024 |
        | 2 | Tháng hành động | Phòng LĐ-TB&XH | Các cơ quan, đơn vị | Từ 15/11 đến 15/12 |
        | II | Công tác kiểm tra | | | |
        | 1 | Kiểm tra tại các xã | UBND các xã, thị trấn | Phòng Tư pháp | Quý III |
        | 2 | Hỗ trợ vay vốn cho phụ nữ nghèo | Ngân hàng Chính sách xã hội huyện | | Thường xuyên |
        """, tmp_path, directory)
    assert sorted(tasks) == ["i.i.1", "i.i.2", "i.ii.1", "i.ii.2"]
    assert tasks["i.i.1"].lead == ["hq.vh-tt"]
    assert tasks["i.i.1"].coordinating == ["hq.hlhpn", "hq.huyen-doan"]
    assert tasks["i.i.1"].due == "30/06/2024"
    assert tasks["i.i.2"].lead == ["hq.ldtbxh"]
    assert tasks["i.i.2"].coordinating == ["hq.co-quan-huyen"]  # said in a table, it counts
    assert tasks["i.i.2"].recurs == ["gender-equality"]
    assert tasks["i.ii.1"].lead == ["hq.xa-thi-tran"]
    assert tasks["i.ii.1"].due == "30/09"
    assert [a.name for a in draft.new_agencies] == ["Ngân hàng Chính sách xã hội huyện Hà Quảng"]
    assert tasks["i.ii.2"].due is None and tasks["i.ii.2"].recurs == []


def test_task_table_in_word(directory, tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    for text in ("Số: 7/KH-UBND", "Hà Quảng, ngày 10 tháng 3 năm 2024", "KẾ HOẠCH",
                 "Công tác bình đẳng giới năm 2024", "I. PHÂN CÔNG NHIỆM VỤ"):
        document.add_paragraph(text)
    table = document.add_table(rows=3, cols=4)
    rows = [("STT", "Nhiệm vụ", "Đơn vị thực hiện", "Thời hạn"),
            ("1", "Rà soát cán bộ nữ", "Phòng Nội vụ", "Tháng 6/2024"),
            ("2", "Báo cáo sơ kết 6 tháng", "Phòng Tư pháp; Công an huyện", "05/6/2024")]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    path = tmp_path / "ke-hoach.docx"
    document.save(str(path))
    draft = build_draft(path, directory)
    assert [(t.code, t.lead, t.due) for t in draft.tasks] == [
        ("i.1", ["hq.noi-vu"], "30/06/2024"),
        ("i.2", ["hq.tu-phap", "hq.cong-an"], None)]
    # a report row is the period's report, due on the row's date
    assert draft.tasks[1].recurs == [{"period": "h1", "due": "05/06/2024"}]
    assert any("ngày cuối" in note for note in draft.tasks[0].reviews)


def test_utf16_text_from_windows_is_read(directory, tmp_path: Path) -> None:
    path = tmp_path / "cong-van.txt"
    text = (DIRECTIVES / SHIPPED[2][0]).read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    draft = build_draft(path, directory)
    assert draft.header.issuer.value == "Ủy ban nhân dân huyện Thanh Hà"
    assert len(draft.tasks) == 27


def test_other_formats_and_a_missing_registry_are_refused(tmp_path: Path) -> None:
    rtf = tmp_path / "ke-hoach.txt"
    rtf.write_bytes(b"{\\rtf1\\ansi KE HOACH}")
    assert "Rich Text" in refused(rtf, tmp_path)
    doc = tmp_path / "ke-hoach.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(200))
    assert "định dạng Word cũ (.doc)" in refused(doc, tmp_path)
    plain = tmp_path / "ke-hoach.md"
    plain.write_text("Số: 1/KH-UBND\nI. NỘI DUNG\n- Việc.\n", encoding="utf-8")
    result = subprocess.run([*NHIEMVU, "import", str(plain), "-o", str(tmp_path / "x.yaml"),
                             "--registry", str(tmp_path / "khong-co")], cwd=ROOT,
                            env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "không tìm thấy danh mục" in result.stderr
    assert "khong-co" in result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_a_letter_of_bullets_only(directory, tmp_path: Path) -> None:
    path = tmp_path / "cong-van.txt"
    path.write_text(textwrap.dedent("""\
        ỦY BAN NHÂN DÂN
        HUYỆN THANH HÀ
        Số: 120/UBND-LĐTBXH
        Thanh Hà, ngày 02 tháng 11 năm 2023
        V/v hưởng ứng Tháng hành động vì bình đẳng giới năm 2023
        Kính gửi:
        - Phòng Văn hóa và Thông tin;
        - UBND các xã, thị trấn.
        Để hưởng ứng Tháng hành động, UBND huyện đề nghị các đơn vị thực hiện như sau:
        - Treo băng zôn, khẩu hiệu từ ngày 15/11 đến ngày 15/12/2023.
        - Báo cáo kết quả trước ngày 20/12/2023 gửi về UBND huyện (qua Phòng Lao động -
        Thương binh và Xã hội).
        Nơi nhận:
        - Như trên;
        - Lưu: VT.
        KT. CHỦ TỊCH
        PHÓ CHỦ TỊCH
        Ngô Bá Định
        """), encoding="utf-8")
    draft = build_draft(path, directory)
    assert [(t.code, t.lead) for t in draft.tasks] == [
        ("1", ["th.vh-tt", "th.xa-thi-tran"]), ("2", ["th.vh-tt", "th.xa-thi-tran"])]
    assert draft.tasks[0].recurs == ["gender-equality"]
    assert draft.tasks[1].due == "20/12/2023"
    assert draft.secretariat.value == "th.ldtbxh"
    assert draft.header.title.value == "V/v hưởng ứng Tháng hành động vì bình đẳng giới năm 2023"


def test_words_a_web_page_ran_together_are_split_back() -> None:
    from importer.glyphs import mended, unglued

    assert unglued("phê duyệt Kếhoạch hành động, cơquan thường trực, các đơnvị") == \
        "phê duyệt Kế hoạch hành động, cơ quan thường trực, các đơn vị"
    assert unglued("Ban hành kèm theoQuyết định này, ngày29/5/2012, Sở,ngành") == \
        "Ban hành kèm theo Quyết định này, ngày 29/5/2012, Sở, ngành"
    # codes, words without Vietnamese letters and words the vocabulary lacks stay whole
    assert unglued("Số 12/LĐTB&XH-BĐG về COVID trên Facebook, zzzxyờ") == \
        "Số 12/LĐTB&XH-BĐG về COVID trên Facebook, zzzxyờ"
    assert mended("Phịng Văn hóa, cơng tác, người") == "Phòng Văn hóa, công tác, người"
    assert unglued("Ảnh minh họa, khoảng") == "Ảnh minh họa, khoảng"  # one syllable each
    assert unglued("Ban vìsựtiến bộ phụ nữ, tìnhhìnhthực tế") == \
        "Ban vì sự tiến bộ phụ nữ, tình hình thực tế"  # three syllables run together


def test_the_vocabulary_holds_single_syllables_with_their_counts() -> None:
    from importer.glyphs import VOCABULARY, _one_syllable

    lines = VOCABULARY.read_text(encoding="utf-8").splitlines()
    entries = [line.split("\t") for line in lines]
    assert len(entries) > 1000 and all(len(e) == 2 and e[1].isdigit() for e in entries)
    words = {word for word, _ in entries}
    assert {"quan", "giữa", "hoạch", "cơ", "đơn", "vị"} <= words
    assert not words & {"kếhoạch", "cơquan", "about"}  # glued in a corpus document, English
    assert all(_one_syllable(word) for word in words)
