"""Progress charts drawn server-side with matplotlib (SVG for the dashboard, PNG or SVG
for `nhiemvu export chart`)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlmodel import Session

from exports.progress import AgencyCounts, Timeline, by_agency, timeline
from workflow.errors import NotFoundError
from workflow.storage.models import AgencyRow, DirectiveRow, TaskRow
from workflow.views.labels import document_label
from workflow.views.ontime import AgencyTimeliness, rate_label
from workflow.views.ontime import by_agency as on_time_by_agency
from workflow.views.timeliness import TIMELINESS_LABELS

Format = Literal["svg", "png"]
COLOURS = {"verified": "#2e7d32", "reported": "#f2b705", "returned": "#ef6c00",
           "assigned": "#90a4c8", "overdue": "#c62828", "not_done": "#6d4c41"}
LABELS = {"verified": "Đã xác nhận", "reported": "Đã báo cáo (chờ xác nhận)",
          "returned": "Trả lại để bổ sung", "assigned": "Đã giao, chưa quá hạn",
          "overdue": "Quá hạn", "not_done": "Không hoàn thành"}
# Series told apart without colour too: a hatch per bar state, a dash and marker per line.
HATCHES = {"verified": "", "reported": "///", "returned": "\\\\", "assigned": "..",
           "overdue": "xx", "not_done": "--"}
BAR_STATES = ("verified", "reported", "returned", "assigned", "overdue", "not_done")
# The timeliness chart: each agency's tasks against their (extended) deadline.
TIMELINESS_BARS = ("on_time", "late", "open", "overdue", "not_done")
TIMELINESS_COLOURS = {"on_time": "#2e7d32", "late": "#ef6c00", "open": "#90a4c8",
                      "overdue": "#c62828", "not_done": "#6d4c41"}
TIMELINESS_HATCHES = {"on_time": "", "late": "\\\\", "open": "..", "overdue": "xx",
                      "not_done": "--"}


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    # Text stays text in SVG (searchable, small); browsers supply the font.
    matplotlib.rcParams.update({"font.family": "DejaVu Sans", "svg.hashsalt": "nhiemvu",
                                "svg.fonttype": "none", "font.size": 9})
    import matplotlib.pyplot as plt

    return plt


def timeline_chart(line: Timeline, title: str, fmt: Format = "svg") -> bytes:
    plt = _pyplot()
    from matplotlib.dates import DateFormatter

    figure, axes = plt.subplots(figsize=(8, 3.6), dpi=110)
    if line.days:
        series = ((line.reported, "reported", "Đã báo cáo (gồm đã xác nhận)", "-", "o"),
                  (line.verified, "verified", "Đã xác nhận", "--", "s"),
                  (line.overdue, "overdue", "Quá hạn", ":", "^"))
        every = max(1, len(line.days) // 12)
        for values, state, label, dash, marker in series:
            axes.plot(line.days, values, color=COLOURS[state], label=label, linewidth=2,
                      linestyle=dash, marker=marker, markevery=every, markersize=4)
            # The last figure written at the line's end: readable without the legend.
            axes.annotate(f"{label}: {values[-1]}", (line.days[-1], values[-1]),
                          textcoords="offset points", xytext=(4, 0), fontsize=7,
                          color="#222222", va="center")
        axes.xaxis.set_major_formatter(DateFormatter("%d/%m/%Y"))
        figure.autofmt_xdate()
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, frameon=False)
    else:
        axes.text(0.5, 0.5, "Chưa có dữ liệu", ha="center", va="center",
                  transform=axes.transAxes)
    axes.set_title(title)
    axes.set_ylabel("Số nhiệm vụ")
    axes.grid(alpha=0.3)
    return _save(plt, figure, fmt)


def agency_chart(rows: list[AgencyCounts], title: str, fmt: Format = "svg",
                 limit: int = 40) -> bytes:
    plt = _pyplot()
    rows = rows[:limit]
    figure, axes = plt.subplots(figsize=(8, max(2.5, 0.28 * len(rows) + 1.2)), dpi=110)
    names = [r.name for r in rows][::-1]
    left = [0] * len(rows)
    for state in BAR_STATES:
        values = [r.counts.get(state, 0) for r in rows][::-1]
        if state == "not_done" and not any(values):
            continue
        axes.barh(names, values, left=left, color=COLOURS[state], label=LABELS[state],
                  hatch=HATCHES[state], edgecolor="#ffffff", linewidth=0.5)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):  # each bar's total at its end
        axes.annotate(str(total), (total, y), textcoords="offset points", xytext=(3, 0),
                      fontsize=7, va="center")
    axes.set_title(title)
    axes.set_xlabel("Số nhiệm vụ")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / figure.get_figheight()),
                ncol=3, frameon=False, fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    return _save(plt, figure, fmt)


def timeliness_chart(rows: list[AgencyTimeliness], title: str, fmt: Format = "svg",
                     limit: int = 40) -> bytes:
    """One bar per agency: on time, late, in progress, overdue, with its on-time rate."""
    plt = _pyplot()
    rows = rows[:limit]
    figure, axes = plt.subplots(figsize=(8, max(2.5, 0.28 * len(rows) + 1.2)), dpi=110)
    names = [r.name for r in rows][::-1]
    left = [0] * len(rows)
    for kind in TIMELINESS_BARS:
        values = [r.counts.get(kind, 0) for r in rows][::-1]
        if kind == "not_done" and not any(values):
            continue
        axes.barh(names, values, left=left, color=TIMELINESS_COLOURS[kind],
                  label=TIMELINESS_LABELS[kind], hatch=TIMELINESS_HATCHES[kind],
                  edgecolor="#ffffff", linewidth=0.5)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, (total, row) in enumerate(zip(left, rows[::-1], strict=True)):
        axes.annotate(rate_label(row.rate), (total, y), textcoords="offset points",
                      xytext=(3, 0), fontsize=7, va="center")
    axes.set_title(title)
    axes.set_xlabel("Số nhiệm vụ (số ở cuối: tỉ lệ đúng hạn)")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / figure.get_figheight()),
                ncol=3, frameon=False, fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    return _save(plt, figure, fmt)


def _save(plt, figure, fmt: Format) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(figure)
    return buffer.getvalue()


def directive_chart(session: Session, directive_code: str, year: int, now: datetime,
                    by: Literal["time", "agency", "timeliness"], fmt: Format) -> bytes:
    """A directive's progress over time, or where each agency stands now."""
    directive = session.get(DirectiveRow, directive_code)
    if directive is None:
        raise NotFoundError("directive", directive_code)
    title = f"{document_label(directive)} năm {year}"
    if by == "time":
        return timeline_chart(timeline(session, directive_code, year, now),
                              f"Tiến độ {title}", fmt)
    if by == "timeliness":
        pairs = session.execute(select(TaskRow, AgencyRow).join(
            AgencyRow, AgencyRow.code == TaskRow.agency_code).where(
            TaskRow.directive_code == directive_code, TaskRow.year == year)).all()
        return timeliness_chart(on_time_by_agency(pairs, now), f"Đúng hạn — {title}", fmt)
    return agency_chart(by_agency(session, directive_code, year, now),
                        f"Theo cơ quan — {title}", fmt)
