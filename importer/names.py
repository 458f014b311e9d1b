"""Agency names in running text when the registry does not know them.

A directive from a commune the registry has never seen still names who does what:
"Kính gửi: Ủy ban Mặt trận Tổ quốc xã, các tổ chức chính trị - xã hội xã", "Công an
phường chủ trì …", "Các sở, ban, ngành, Ủy ban nhân dân các xã, phường lồng ghép …".
This module splits such lists into names, finds the agencies a sentence opens with
(the words before its first verb), tells a collective ("các thôn", "thành viên Ban …")
from one agency, and gives each the level of government it belongs to.
"""

from __future__ import annotations

import re

from importer.textkey import capitalise, clean, expand, fold, key

HEADS = re.compile(
    r"^(?:cac |toan the )?(?:phong|so|hoi|ban|trung tam|cong an|uy ban|van phong|chi cuc|"
    r"cuc|dai|benh vien|lien doan|huyen doan|thanh doan|tinh doan|doan|bao hiem|"
    r"ngan hang|vien kiem sat|toa an|kho bac|chi nhanh|truong|quan su|bo chi huy|bo|"
    r"thanh vien|dang doan|dang uy|tram|thon|khu pho|to dan pho|ap|ban|cong chuc|"
    r"mat tran|hoi dong|co quan|don vi|dia phuong|to chuc|nganh|chi hoi|doan the|"
    r"thu truong|truong ban|lanh dao|chu tich|bi thu|thuong truc|ubnd|chi bo|dang bo|"
    r"bao(?! cao)|dai phat thanh|dai truyen hinh|vu(?! viec)|tong cuc)\b")
# the verbs a task opens with, once its agencies have been named
VERBS = re.compile(
    r"\b(?:chu tri|phoi hop|to chuc(?! chinh tri| thanh vien| xa hoi| doan the)|trien khai|"
    r"tuyen truyen|xay dung|thuc hien|tham muu|"
    r"long ghep|hoan thien|hoan thanh|bao cao|tang cuong|ra soat|van dong|bao dam|dam bao|"
    r"tiep tuc|huong dan|chu dong|tap trung|kiem tra|chi dao|quan tam|bo tri|day manh|"
    r"nang cao|phat hien|"
    r"xu ly|cung cap|ho tro|tham hoi|treo|pho bien|tong hop|theo doi|giam sat|tu van|"
    r"nam tinh hinh|nam bat|"
    r"tap huan|can cu|cham soc|ky ket|gui|trinh|lap danh sach|lap ke hoach|dang ky|"
    r"boi duong|huong ung|phat dong|"
    r"vinh danh|bieu duong|thong tin|truyen thong|duy tri|kien toan|danh gia|so ket|"
    r"tong ket|phan cong|de xuat|giup|mo chuyen muc|mo chuyen trang|mo lop|mo rong|"
    r"thanh lap|huy dong|phat huy|khao sat|thong ke|tap hop|"
    r"nghien cuu|khen thuong|nhan rong|kien nghi|phan anh|ban giao|tang qua|trao|"
    r"cu thanh vien|cu can bo|cu dai dien|cu lanh dao|tham gia|dieu tra|ngan chan|phong ngua|"
    r"dau tranh|bo sung|cap nhat|uu tien|lua chon|chuan bi|tiep nhan|tra loi|ban hanh|"
    r"tien hanh|tang thoi luong|tang so luong|tang tan suat|don doc|dua noi dung|dua tin|"
    r"dua vao|bien soan|cap phat|phat hanh|sua doi|gioi thieu|lam tot|tich cuc|khan truong)\b")
# names whose commas and "và" belong to the name ("Sở Văn hóa, Thể thao và Du lịch")
COMPOUND = re.compile(
    r"Văn hóa,\s*Thể thao và Du lịch|Lao động\s*-\s*Thương binh và Xã hội|Giáo dục và Đào tạo|"
    r"Tài nguyên và Môi trường|Nông nghiệp và (?:Phát triển nông thôn|Môi trường)|"
    r"Khoa học và Công nghệ|Thông tin và Truyền thông|Kế hoạch và Đầu tư|Dân tộc và Tôn giáo|"
    r"Văn hóa\s*-\s*Xã hội|Văn hóa và Thông tin|Văn hóa,\s*Thông tin|Tài chính\s*-\s*Kế hoạch|"
    r"Hội đồng nhân dân và Ủy ban nhân dân|chính trị\s*-\s*xã hội|kinh tế\s*-\s*xã hội",
    re.IGNORECASE)
COLLECTIVE = re.compile(r"^(?:cac|toan the|nhung)\b|\bcac\b|^thanh vien\b|\btren dia ban\b")
COMMUNE_WORDS = re.compile(r"\b(?:xa(?! hoi)|phuong|thi tran|dac khu|thon|khu pho|to dan pho|ap|"
                           r"khu dan cu|to dan cu|buon|lang)\b")
DISTRICT_WORDS = re.compile(r"\b(?:huyen|quan|thi xa|huyen uy|thanh uy|thi uy|quan uy)\b")
PROVINCE_WORDS = re.compile(r"\b(?:tinh|thanh pho truc thuoc trung uong|so|tinh uy|"
                            r"tuyen tinh)\b")
CENTRAL_WORDS = re.compile(r"\b(?:bo|trung uong|chinh phu|quoc hoi)\b")
LEVEL_AFTER = re.compile(r"\b(xã|phường|huyện|tỉnh|thị trấn|quận|thị xã|đặc khu)$")


FALSE_FRIENDS = {"cung cap": "cùng"}  # "cùng cấp" (of the same level) folds like "cung cấp"


def real_verb(text: str, match: re.Match[str]) -> bool:
    """A verb found in the folded text is one in the text too, not a word that folds alike."""
    word = match.group(0)
    return not text[match.start():match.end()].lower().startswith(FALSE_FRIENDS.get(word, "\0"))


def split_names(phrase: str) -> list[str]:
    """'Các sở, ban, ngành, Ủy ban nhân dân các xã, phường' -> two names: a list is cut
    at ';', and at ',' or 'và' before a capital that starts an agency's name."""
    text = clean(phrase).strip(" ;,.:-–")
    protected: list[str] = []

    def keep(match: re.Match[str]) -> str:
        protected.append(match.group(0))
        return f"\x00{len(protected) - 1}\x00"

    text = COMPOUND.sub(keep, text)
    parts: list[str] = []
    for chunk in re.split(r"\s*;\s*", text):
        pieces = re.split(r"(\s*,\s*|\s+và\s+)", chunk)
        current = ""
        for index in range(0, len(pieces), 2):
            piece = pieces[index]
            separator = pieces[index - 1] if index else ""
            starts = piece[:1].isupper() or piece[:1] == "\x00" or piece.startswith("các ")
            if current and not (starts and HEADS.match(key(_restore(piece, protected)))):
                current += separator + piece  # "đơn vị" after "Các cơ quan,": the same name
            else:
                if current:
                    parts.append(current)
                current = piece
        if current:
            parts.append(current)
    return [name for name in (_restore(p, protected).strip(" ;,.:-–") for p in parts) if name]


def _restore(text: str, protected: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], text)


def subject_phrase(text: str) -> tuple[str, int] | None:
    """The agencies a task's sentence opens with and where its verb starts:
    'Công an phường chủ trì rà soát …' -> ('Công an phường', offset of 'chủ trì')."""
    text = clean(text)
    head = re.match(r"^(?:Thống nhất\s+)?(?:Giao|Đề nghị|Yêu cầu)\s+", text, re.IGNORECASE)
    start = head.end() if head else 0
    body = text[start:]
    folded = fold(body)
    if not HEADS.match(key(body)):
        return None
    colon = re.match(r"^([^:;.]{4,200}):\s*(?=\S)", body)  # "Công an tỉnh: chỉ đạo …"
    if colon and len(colon.group(1).replace(" - ", " ").split()) <= 30 and \
            all(HEADS.match(key(n)) for n in split_names(colon.group(1))):
        named = re.sub(r"\s*\([^)]*\)", "", colon.group(1)).strip()  # "(cơ quan thường trực)"
        return named, start + colon.end()
    for verb in VERBS.finditer(folded):
        if not real_verb(body, verb):
            continue
        if verb.start() == 0:
            return None  # "Tổ chức các hoạt động …": a task without a subject
        if body[verb.start()].isupper():
            continue  # "Tân Lập", "Giáo dục": part of a name, not a verb
        if re.search(r"\b(?:duoc|bi)\s+$", folded[: verb.start()]):
            continue  # "Các thôn được kiểm tra chuẩn bị …": passive, part of the subject
        if re.search(r"\b(?:chua|da|khong)\s+(?:\S+\s+)?$", folded[: verb.start()]):
            continue  # "Các xã chưa gửi báo cáo khẩn trương gửi …": who, not the work
        before = body[: verb.start()].strip(" ,;:")
        if len(before.replace(" - ", " ").split()) > 24:
            return None
        if len(before.split()) < 2:
            return None  # "Đoàn kiểm tra …": a word, not an agency's name
        words = key(before).split()
        if not words or words[-1] in ("cac", "va", "cua", "voi"):
            continue  # "… và các" is still the list
        before = re.split(r"\s+là\s+|\s+(?:được|bị)\s+|\s*[-–,(]\s*(?:là\s+)?cơ quan thường "
                          r"trực", before)[0]
        before = re.sub(r"\s+(?:cần phải|cần|phải|nên|sẽ)$", "", before)  # "… địa phương cần"
        before = re.sub(r"\s*\((?!Việt Nam\))[^()]{1,40}\)", "", before)  # "Sở … (LĐ-TB&XH)"
        # "Phòng … là cơ quan thường trực, theo dõi", "Sở … - cơ quan thường trực Ban …"
        return before, start + verb.start()
    return None


def is_collective(name: str) -> bool:
    return bool(COLLECTIVE.search(key(name)))


def level_of(name: str, issuer_level: str | None) -> str:
    """The level of government a named body belongs to, by the words of its name."""
    folded = key(name)
    if CENTRAL_WORDS.search(folded) and not re.search(r"\b(?:tinh|huyen|xa|phuong)\b", folded):
        return "trung-uong"
    if COMMUNE_WORDS.search(folded):
        return "xa"
    if DISTRICT_WORDS.search(folded):
        return "huyen"
    if PROVINCE_WORDS.search(folded):
        return "tinh"
    return issuer_level or "xa"


def complete(name: str, issuer_place: str | None, issuer_level: str | None = None) -> str:
    """'Công an xã' in a letter of xã An Bình -> 'Công an xã An Bình', 'Phòng Văn hóa -
    Xã hội' -> 'Phòng Văn hóa - Xã hội xã An Bình'; long forms of abbreviations; the
    first letter in capital."""
    name = capitalise(expand(clean(name)).strip(" ;,.:"))
    if not issuer_place or " " not in issuer_place or is_collective(name):
        return name
    place_level, place = issuer_place.split(" ", 1)
    if key(place) in key(name):
        return name
    level = LEVEL_AFTER.search(name)
    if level:
        return f"{name} {place}" if level.group(1) == place_level.lower() else name
    if not re.search(r"\b(?:xa(?! hoi)|phuong|huyen|tinh|quan|thi tran|thi xa|thanh pho|trung uong|"
                     r"viet nam)\b", key(name)) and level_of(name, issuer_level) == issuer_level:
        return f"{name} {issuer_place}"
    return name


GENERIC = re.compile(r"^(?:cac |toan the )?(?:(?:cac )?(?:co quan|don vi|dia phuong|nganh|"
                     r"ban nganh|doan the|to chuc|ban)(?: |$))+(?:(?:co )?lien quan|tren|"
                     r"thuoc)?\s*$")


def is_generic(name: str) -> bool:
    """'các cơ quan, đơn vị': the letter's addressees, not a body of its own."""
    folded = key(name)
    return bool(GENERIC.match(folded + " ")) or bool(re.search(r"\bcac cap\b", folded))
