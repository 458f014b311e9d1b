"""The loader's problems in Vietnamese, for the secretariat's pages.

The loader speaks to IT officers in English with a file, line and field path; the
browser shows the same problems at the field, in words a secretariat reads. Unknown
messages keep their English after a Vietnamese lead rather than vanish.
"""

from __future__ import annotations

import re

from workflow.errors import Problem

_Q = r"'([^']*)'"
TRANSLATIONS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), v) for p, v in [
    (r"^missing required field$", "chưa điền (bắt buộc)"),
    (r"^expected (non-empty )?text$", "cần điền chữ"),
    (r"^expected a whole number from (-?\d+) to (-?\d+)$", r"cần một số nguyên từ \1 đến \2"),
    (rf"^{_Q} is not a code", r"«\1» không phải mã hợp lệ (chỉ gồm chữ thường không dấu, "
                              r"chữ số, '.' và '-')"),
    (r"^expected at least one code$", "cần ít nhất một cơ quan"),
    (r"^expected a list of codes$", "cần một danh sách cơ quan"),
    (rf"^unknown agency code {_Q} in group {_Q}", r"nhóm «\2» có «\1» không có trong danh mục"),
    (rf"^unknown agency code {_Q}", r"không có cơ quan «\1» trong danh mục; hãy chọn cơ quan "
                                    r"khác hoặc thêm vào danh mục"),
    (rf"^{_Q} is a group;", r"«\1» là một nhóm; ở đây cần một cơ quan"),
    (r"^expected one agency, not a group$", "cần một cơ quan, không phải một nhóm"),
    (rf"^no agency has the function {_Q}", r"không xã nào có cơ quan giữ chức năng «\1»"),
    (rf"^duplicate task code {_Q}", r"mã nhiệm vụ «\1» bị trùng; mỗi nhiệm vụ một mã"),
    (rf"^duplicate directive code {_Q}", r"đã có văn bản mã «\1»"),
    (rf"^duplicate code {_Q}", r"mã «\1» bị trùng"),
    (rf"^{_Q} is not a date \(expected dd/mm/yyyy, mm/yyyy or yyyy\)",
     r"«\1» không phải ngày (cần ngày/tháng/năm, tháng/năm hoặc năm)"),
    (rf"^{_Q} is not a date", r"«\1» không phải ngày (cần ngày/tháng/năm, ví dụ 05/06/2026)"),
    (rf"^{_Q} is not a yearly date", r"«\1» không phải ngày trong năm (cần ngày/tháng, ví "
                                     r"dụ 05/06)"),
    (rf"^{_Q} is not a real date", r"«\1» không phải ngày có thật"),
    (r"^issued in (\d+), after the directive's year (\d+)$",
     r"ban hành năm \1, sau năm thực hiện \2"),
    (r"^(\d+) is before the directive's year (\d+)$", r"năm \1 trước năm thực hiện \2"),
    (rf"^unknown period {_Q}", r"lịch không có kỳ báo cáo «\1»"),
    (rf"^unknown action month {_Q}", r"lịch không có tháng hành động «\1»"),
    (r"^deadline (\S+) is before the issue date (\S+)$",
     r"hạn \1 trước ngày ban hành \2 của văn bản"),
    (r"^a task has either one 'due' or per-period 'recurs', not both$",
     "một nhiệm vụ có một hạn, hoặc hạn theo từng kỳ, không có cả hai"),
    (rf"^{_Q} is not a document kind", r"«\1» không phải loại văn bản"),
    (rf"^unknown committee {_Q}", r"không có Ban «\1»"),
    (rf"^{_Q} belongs to committee {_Q}", r"«\1» thuộc Ban «\2», không phải Ban của văn bản"),
    (rf"^unknown calendar {_Q}", r"không có lịch «\1»"),
    (r"^expected dd/mm/yyyy, a yearly dd/mm", "cần ngày/tháng/năm, ngày hằng năm (ngày/tháng) "
                                              "hoặc mốc theo tháng hành động"),
    (rf"^{_Q} is not an anchor", r"«\1» không phải mốc (cần đầu hoặc cuối tháng hành động)"),
    (rf"^{_Q} is not a task of an upper directive", r"«\1» không phải nhiệm vụ của văn bản "
                                                    r"cấp trên"),
    (rf"^directive {_Q} has no task {_Q}", r"văn bản «\1» không có nhiệm vụ «\2»"),
    (rf"^directive {_Q} belongs to committee", r"văn bản «\1» không phải của Ban cấp trên"),
    (r"^unknown field", "trường không có trong mẫu văn bản"),
    (r"^expected a mapping of fields$", "cần các trường của một mục"),
    (r"^expected a list$", "cần một danh sách"),
    (r"^a directive needs at least one task$", "văn bản cần ít nhất một nhiệm vụ"),
    (r"^text of (\d+) characters, more than (\d+)$", r"dài \1 ký tự, quá \2 ký tự cho phép"),
    (r"^contains a NUL character$", "chứa ký tự NUL không hợp lệ"),
    (r"^alias '([^']*)' is not allowed", r"không được dùng bí danh YAML «\1»; hãy viết rõ giá "
                                         r"trị"),
    (r"^nested more than (\d+) levels deep$", r"lồng nhau quá \1 cấp"),
    (r"^a value of (\d+) characters, more than (\d+)$", r"một giá trị dài \1 ký tự, quá \2"),
    (r"^file of ([\d.]+) MB, more than the (\d+) MB", r"tệp \1 MB, quá \2 MB cho phép của một "
                                                   r"tệp định nghĩa"),
    (r"^file of (\d+) characters, more than the (\d+) MB", r"tệp \1 ký tự, quá \2 MB cho phép"),
    (r"^invalid YAML", "không đọc được YAML (sai cú pháp)"),
    (r"^not UTF-8 text", "không phải văn bản UTF-8"),
    (r"^cannot read:", "không đọc được tệp"),
]]


def in_vietnamese(message: str) -> str:
    for pattern, words in TRANSLATIONS:
        found = pattern.search(message)
        if found:
            return found.expand(words)
    return f"giá trị không hợp lệ ({message})"


def problem_line(problem: Problem) -> str:
    """One line for a page or a terminal: where, then what, in Vietnamese."""
    where = f"dòng {problem.line}, " if problem.line else ""
    return f"{where}{problem.field}: {in_vietnamese(problem.message)}"
