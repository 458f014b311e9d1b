"""The `nhiemvu` command: operators' entry point to the engine.

Every command builds the settings and the engine here, at the edge, and passes them
down. Domain errors become one line on stderr and exit code 1; a traceback only with
--verbose.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from workflow.clock import Clock, clock_from_env, parse_instant
from workflow.dates import format_date, format_datetime, parse_date
from workflow.definitions.loader import load_definitions
from workflow.definitions.store import load_calendars, load_registry, save_definitions
from workflow.definitions.vietnamese import in_vietnamese
from workflow.engine.actions import fire
from workflow.engine.actors import Actor
from workflow.engine.closing import close_year, closing_preview
from workflow.engine.instantiate import instantiate
from workflow.engine.machine import STATES
from workflow.engine.taskref import find_task, task_key
from workflow.errors import DateFormatError, DefinitionError, NhiemvuError
from workflow.schedule.runner import run_scheduler
from workflow.schedule.sweep import SweepReport, run_due
from workflow.schedule.workdays import WEEKDAY_LABELS
from workflow.schedule.yearview import year_events
from workflow.settings import Settings
from workflow.storage.db import make_engine, read_session, write_session
from workflow.storage.migrate import check_schema, current_revision, head_revision, upgrade
from workflow.storage.models import AgencyRow, DirectiveRow, TaskSpecRow
from workflow.views.labels import (
    ACTOR_LABELS,
    CHANNEL_LABELS,
    ROLE_LABELS,
    STATE_LABELS,
    TRIGGER_LABELS,
    issued_label,
)
from workflow.views.queries import (
    TaskFilter,
    audit_as_dict,
    history,
    is_late,
    is_overdue,
    list_tasks,
    task_as_dict,
)

PROGRESS_THRESHOLD = 5_000


class App:
    """What every command needs: settings, a lazily created engine, the clock."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def ready_engine(self) -> Engine:
        check_schema(self.engine)
        return self.engine

    def operator(self) -> Actor:
        return Actor(self.settings.actor, "secretariat", "cli")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "database_url", metavar="URL",
              help="SQLAlchemy URL (default: NHIEMVU_DATABASE_URL or sqlite:///nhiemvu.db).")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks of errors.")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, verbose: bool) -> None:
    """nhiemvu: track the tasks a committee's directives give to agencies."""
    ctx.obj = App(Settings.from_env(database_url=database_url), clock_from_env())


pass_app = click.make_pass_decorator(App)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@cli.command()
@pass_app
def init(app: App) -> None:
    """Create the database schema, or upgrade it to this version's."""
    before = current_revision(app.engine)
    upgrade(app.engine)
    from workflow.access.linkkeys import ensure_key

    with write_session(app.engine) as session:
        ensure_key(session, app.clock.now())  # the first key that signs agencies' links
    where = app.engine.url.render_as_string(hide_password=True)
    if before == head_revision():
        click.echo(f"{where}: schema already at revision {before}")
    else:
        click.echo(f"{where}: schema upgraded from {before or 'empty'} to {head_revision()}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Validate only; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def load(app: App, paths: tuple[Path, ...], check: bool, as_json: bool) -> None:
    """Validate definition files (folders are searched for *.yaml) and store them.

    All files are checked together; if any has a problem nothing is stored and every
    problem is listed with its file, line and field.
    """
    known, calendars = _known_definitions(app, required=not check)
    definitions = load_definitions(paths, known, calendars)
    if check:
        summary = {"agencies": len(definitions.registry.agencies),
                   "groups": len(definitions.registry.groups),
                   "calendars": len(definitions.calendars),
                   "directives": len(definitions.directives),
                   "task_specs": sum(len(d.tasks) for d in definitions.directives.values())}
        verb = "valid, nothing stored"
    else:
        with write_session(app.engine) as session:
            result = save_definitions(session, definitions, app.clock.now())
        summary = result.__dict__
        verb = "loaded"
    if as_json:
        _emit_json({"stored": not check, **summary})
        return
    click.echo(f"{verb}: {summary['agencies']} agencies, {summary['groups']} groups, "
               f"{summary['calendars']} calendars, {summary['directives']} directives "
               f"({summary['task_specs']} task specs)")


def _known_definitions(app: App, required: bool) -> tuple[Any, Any]:
    """What the database already holds, so files may refer to it."""
    if not required:
        url = app.engine.url
        if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
            return None, None  # --check must not create an empty database file
        try:
            check_schema(app.engine)
        except (NhiemvuError, SQLAlchemyError):
            return None, None
    with read_session(app.ready_engine()) as session:
        return load_registry(session), load_calendars(session)


@cli.command(name="instantiate")
@click.argument("directive")
@click.option("--year", type=int, help="Year to create tasks for (default: the directive's).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def instantiate_command(app: App, directive: str, year: int | None, as_json: bool) -> None:
    """Create the task instances of a directive for a year (idempotent)."""
    engine = app.ready_engine()
    if year is None:
        with read_session(engine) as session:
            row = session.get(DirectiveRow, directive)
            year = row.year if row else 0
    with _progress(as_json) as progress:
        result = instantiate(engine, directive, year, app.clock.now(), progress)
    if as_json:
        _emit_json({**result.__dict__, "existing": result.existing})
        return
    if result.closed:
        raise NhiemvuError(f"Năm {result.year} của văn bản {result.directive} đã kết thúc: "
                           f"không tạo thêm nhiệm vụ")
    click.echo(f"{result.directive} {result.year}: {result.created} tasks created, "
               f"{result.existing} already existed ({result.planned} in all)")


@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """A progress bar on stderr once a run is long enough to need one."""
    state: dict[str, Any] = {"bar": None}

    def advance(count: int, total: int) -> None:
        if state["bar"] is None and not quiet and total >= PROGRESS_THRESHOLD:
            state["bar"] = click.progressbar(length=total, label="instantiating",
                                             file=sys.stderr, show_pos=True)
            state["bar"].__enter__()
        if state["bar"] is not None:
            state["bar"].update(count)

    try:
        yield advance
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)


@cli.command()
@click.option("--agency", help="An agency code, or a group code for all its members.")
@click.option("--state", type=click.Choice(STATES))
@click.option("--directive")
@click.option("--year", type=int)
@click.option("--overdue-at", "overdue_at", metavar="DATE",
              help="Only tasks overdue at this date/time (dd/mm/yyyy [HH:MM]).")
@click.option("--limit", type=int, help="Show at most this many tasks.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def tasks(app: App, agency: str | None, state: str | None, directive: str | None,
          year: int | None, overdue_at: str | None, limit: int | None, as_json: bool) -> None:
    """List task instances, grouped by agency."""
    at = _instant(overdue_at) if overdue_at else None
    flt = TaskFilter(agency, state, directive, year, at)
    now = at or app.clock.now()
    with read_session(app.ready_engine()) as session:
        rows = list_tasks(session, flt, limit)
    if as_json:
        _emit_json([task_as_dict(task, title, name, now) for task, title, name in rows])
        return
    if not rows:
        click.echo("no tasks match")
        return
    current = None
    for task, title, name in rows:
        if task.agency_code != current:
            current = task.agency_code
            count = sum(1 for t, _, _ in rows if t.agency_code == current)
            click.echo(f"\n{name} ({current}): {count} nhiệm vụ")
        flags = " QUÁ HẠN" if is_overdue(task, now) else ""
        flags += " (báo cáo muộn)" if is_late(task) else ""
        due = f"hạn {format_date(task.due_on)}" if task.due_on else "không hạn"
        click.echo(f"  #{task.id:<7} {STATE_LABELS[task.state]:<18} {due:<15} "
                   f"{task.spec_code:<10} {task.period:<20} {_short(title, 60)}{flags}")
    click.echo(f"\n{len(rows)} tasks")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except DateFormatError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@click.argument("task")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def show(app: App, task: str, as_json: bool) -> None:
    """Show one task (by #id or directive/spec/agency/period)."""
    now = app.clock.now()
    with read_session(app.ready_engine()) as session:
        row = find_task(session, task)
        spec = session.get(TaskSpecRow, _spec_id(session, row.directive_code, row.spec_code))
        agency = session.get(AgencyRow, row.agency_code)
        data = task_as_dict(row, spec.title if spec else None, agency.name if agency else None,
                            now)
        data["text"] = spec.text if spec else None
        data["report_text"] = row.report_text
        data["last_reason"] = row.last_reason
    if as_json:
        _emit_json(data)
        return
    click.echo(f"#{row.id} {task_key(row)}")
    click.echo(f"  {data['title']}")
    click.echo(f"  Cơ quan:     {data['agency_name']} ({ROLE_LABELS.get(row.role, row.role)})")
    click.echo(f"  Trạng thái:  {STATE_LABELS[row.state]} (phiên bản {row.version})")
    click.echo(f"  Hạn:         {format_date(row.due_on) or 'không có'}"
               + (" — QUÁ HẠN" if data["overdue"] else ""))
    if row.reported_at:
        click.echo(f"  Báo cáo lúc: {format_datetime(row.reported_at)}"
                   + (" (muộn)" if data["reported_late"] else ""))
    if row.last_reason:
        click.echo(f"  Lý do:       {row.last_reason}")
    click.echo(f"  Nội dung:    {data['text']}")
    if row.report_text:
        click.echo(f"  Báo cáo:     {row.report_text}")


def _spec_id(session: Any, directive: str, code: str) -> int | None:
    from sqlalchemy import select

    return session.scalar(select(TaskSpecRow.id).where(TaskSpecRow.directive_code == directive,
                                                       TaskSpecRow.code == code))


def _transition(app: App, task: str, trigger: str, version: int | None, **kwargs: Any) -> None:
    row = fire(app.ready_engine(), task, trigger, app.operator(), app.clock.now(),
               expected_version=version, **kwargs)
    click.echo(f"#{row.id} {task_key(row)}: {STATE_LABELS[row.state]} "
               f"(phiên bản {row.version})")


_version_option = click.option("--version", "version", type=int,
                               help="Fail unless the task is still at this version.")


@cli.command()
@click.argument("task")
@click.option("--text", help="The report text.")
@click.option("--file", "file", type=click.File(encoding="utf-8"),
              help="Read the report from a file.")
@_version_option
@pass_app
def report(app: App, task: str, text: str | None, file: Any, version: int | None) -> None:
    """Record an agency's report (entered by the secretariat)."""
    if (text is None) == (file is None):
        raise click.UsageError("give exactly one of --text or --file")
    _transition(app, task, "report", version, text=text if text is not None else file.read())


@cli.command()
@click.argument("task")
@_version_option
@pass_app
def verify(app: App, task: str, version: int | None) -> None:
    """Accept a reported task."""
    _transition(app, task, "verify", version)


@cli.command(name="return")
@click.argument("task")
@click.option("--reason", required=True, help="Why the report goes back to the agency.")
@_version_option
@pass_app
def return_command(app: App, task: str, reason: str, version: int | None) -> None:
    """Send a report back to the agency for revision."""
    _transition(app, task, "return", version, reason=reason)


@cli.command()
@click.argument("task")
@click.option("--reason", required=True)
@_version_option
@pass_app
def cancel(app: App, task: str, reason: str, version: int | None) -> None:
    """Cancel a task that no longer applies."""
    _transition(app, task, "cancel", version, reason=reason)


@cli.command(name="close")
@click.argument("directive")
@click.option("--year", type=int, required=True, help="The year to close.")
@click.option("--reason", default=None,
              help="Why (default: 'Kết thúc năm Y, không báo cáo').")
@click.option("--dry-run", is_flag=True, help="Show what closing would do, change nothing.")
@pass_app
def close_command(app: App, directive: str, year: int, reason: str | None,
                  dry_run: bool) -> None:
    """Close a directive's year: tasks still owed end as not done, nothing more is sent."""
    engine = app.ready_engine()
    if dry_run:
        with read_session(engine) as session:
            preview = closing_preview(session, directive, year)
        click.echo(f"{directive} năm {year}: {preview.not_done} nhiệm vụ chưa báo cáo sẽ "
                   f"ghi nhận không hoàn thành; {preview.awaiting} báo cáo chờ xác nhận giữ "
                   f"nguyên (chưa thay đổi gì)")
        return
    result = close_year(engine, directive, year, app.operator(), app.clock.now(),
                        reason or f"Kết thúc năm {year}, không báo cáo")
    click.echo(f"Đã kết thúc năm {year} của {directive}: {result.not_done} nhiệm vụ không "
               f"hoàn thành, {result.awaiting} báo cáo chờ xác nhận, {result.dropped} thư "
               f"chưa gửi được hủy; không gửi thêm thư nào cho năm này")


@cli.command(name="history")
@click.argument("task")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def history_command(app: App, task: str, as_json: bool) -> None:
    """The audit log of one task, oldest first."""
    with read_session(app.ready_engine()) as session:
        row = find_task(session, task)
        assert row.id is not None
        entries = history(session, row.id)
    if as_json:
        _emit_json([audit_as_dict(entry) for entry in entries])
        return
    click.echo(f"#{row.id} {task_key(row)}")
    for entry in entries:
        before = STATE_LABELS.get(entry.from_state or "", "-")
        move = f"{before} → {STATE_LABELS.get(entry.to_state, entry.to_state)}"
        reason = f"  lý do: {entry.reason}" if entry.reason else ""
        who = ACTOR_LABELS.get(entry.role, entry.role)
        what = TRIGGER_LABELS.get(entry.trigger, entry.trigger)
        click.echo(f"  {format_datetime(entry.at)}  {what}: {move}, {entry.actor} ({who}, "
                   f"{CHANNEL_LABELS.get(entry.channel, entry.channel)}){reason}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_app
def directives(app: App, as_json: bool) -> None:
    """The directives loaded."""
    from sqlalchemy import select

    with read_session(app.ready_engine()) as session:
        rows = list(session.scalars(select(DirectiveRow).order_by(DirectiveRow.code)))
    if as_json:
        _emit_json([{"code": r.code, "number": r.number, "issued_on": r.issued_on.isoformat(),
                     "date_precision": r.date_precision,
                     "issuer": r.issuer, "title": r.title, "year": r.year} for r in rows])
        return
    for r in rows:
        click.echo(f"{r.code:<12} Số {r.number:<20} {issued_label(r):<16} {r.title}")


@cli.command(name="export-yaml")
@click.argument("directive")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write to this file (default: standard output).")
@pass_app
def export_yaml(app: App, directive: str, output: Path | None) -> None:
    """A stored directive (published in the browser or loaded) as the YAML `load` reads."""
    from workflow.definitions.export import directive_yaml

    with read_session(app.ready_engine()) as session:
        text = directive_yaml(session, directive)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"đã ghi {output}")


@cli.command()
@click.option("--at", "at", metavar="DATETIME", help="Run as of this instant (default: now).")
@click.option("--until", metavar="DATETIME", help="Repeat until this instant...")
@click.option("--every", default="1d", show_default=True,
              help="...every this long (e.g. 1d, 6h, 30m).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def tick(app: App, at: str | None, until: str | None, every: str, as_json: bool) -> None:
    """Do everything the scheduler has due as of an instant, then exit."""
    engine = app.ready_engine()
    start = _instant(at) if at else app.clock.now()
    instants = [start]
    if until:
        step, end = _duration(every), _instant(until)
        while instants[-1] + step <= end:
            instants.append(instants[-1] + step)
    results = []
    for instant in instants:
        report = run_due(engine, instant)
        if as_json:
            results.append({"at": instant.isoformat(), "marked_overdue": report.marked_overdue,
                            "done": [{"due": d.due.isoformat(), "what": d.what,
                                      "detail": d.detail, "count": d.count}
                                     for d in report.done]})
        else:
            for line in report.lines():
                click.echo(line)
    if as_json:
        _emit_json(results)


def _duration(text: str) -> timedelta:
    units = {"d": "days", "h": "hours", "m": "minutes"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise click.BadParameter(f"'{text}' is not a duration (expected e.g. 1d, 6h, 30m)")
    return timedelta(**{units[unit]: int(number)})


@cli.group()
def scheduler() -> None:
    """The long-running scheduler."""


@scheduler.command(name="run")
@click.option("--interval", type=float, default=5.0, show_default=True,
              help="Minutes between sweeps.")
@pass_app
def scheduler_run(app: App, interval: float) -> None:
    """Sweep every INTERVAL minutes until SIGTERM (the current sweep finishes first)."""
    engine = app.ready_engine()
    click.echo(f"scheduler started, sweeping every {interval:g} min", err=True)

    def report(result: SweepReport) -> None:
        for line in result.lines():
            click.echo(line)
        sys.stdout.flush()

    run_scheduler(engine, app.clock, interval, report)
    click.echo("scheduler stopped", err=True)


@cli.command(name="calendar")
@click.option("--year", type=int, required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def calendar_command(app: App, year: int, as_json: bool) -> None:
    """The year's dates and what happens on each."""
    with read_session(app.ready_engine()) as session:
        events = year_events(session, year)
    if as_json:
        _emit_json([{"date": e.day.isoformat(), "what": e.what, "detail": e.detail}
                    for e in events])
        return
    for event in events:
        click.echo(f"{format_date(event.day)} {WEEKDAY_LABELS[event.day.weekday()]:<9} "
                   f"{event.what:<22} {event.detail}")


@cli.group(invoke_without_command=True)
@click.option("--state", type=click.Choice(["queued", "sent", "failed", "dropped"]))
@click.option("--kind", help="e.g. reminder, overdue_notice, escalation, weekly_digest")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def outbox(ctx: click.Context, state: str | None, kind: str | None, limit: int,
           as_json: bool) -> None:
    """Notification requests: queued, sent, or failed with the SMTP error (`retry` puts
    failed ones back)."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import func, select

    from workflow.storage.models import OutboxRow

    app = ctx.find_object(App)
    with read_session(app.ready_engine()) as session:
        query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)  # type: ignore[union-attr]
        counts = select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
        if state:
            query = query.where(OutboxRow.state == state)
        if kind:
            query = query.where(OutboxRow.kind == kind)
            counts = counts.where(OutboxRow.kind == kind)
        rows = list(session.scalars(query))
        totals = dict(session.execute(counts).all())
    if as_json:
        _emit_json([{"id": r.id, "key": r.key, "kind": r.kind, "state": r.state,
                     "agency": r.agency_code, "role": r.recipient_role, "attempts": r.attempts,
                     "next_attempt_at": r.next_attempt_at, "sent_at": r.sent_at,
                     "last_error": r.last_error} for r in rows])
        return
    for r in rows:
        when = format_datetime(r.sent_at) if r.sent_at else \
            f"next {format_datetime(r.next_attempt_at)}"
        error = f"  ! {r.last_error}" if r.last_error else ""
        click.echo(f"#{r.id:<6} {r.state:<7} {r.attempts}x {when:<22} {r.key}{error}")
    click.echo(", ".join(f"{n} {s}" for s, n in sorted(totals.items())) or "outbox empty")


@outbox.command(name="retry")
@click.argument("ids", nargs=-1, type=click.IntRange(1, 2**31 - 1))
@click.option("--all-failed", is_flag=True, help="Every failed message (with the filters).")
@click.option("--kind", help="Only messages of this kind.")
@click.option("--agency", help="Only messages to this agency (code).")
@pass_app
def outbox_retry(app: App, ids: tuple[int, ...], all_failed: bool, kind: str | None,
                 agency: str | None) -> None:
    """Queue failed messages again now, with a new retry window: by id, or --all-failed
    with optional --kind/--agency. Sent messages are never touched."""
    from workflow.engine.outbox import requeue_failed

    if bool(ids) == all_failed:
        raise click.UsageError("give message ids or --all-failed, not both")
    with write_session(app.ready_engine()) as session:
        count = requeue_failed(session, app.clock.now(), list(ids) if ids else None, kind,
                               agency)
    click.echo(f"Đã xếp lại {count} thư gửi lỗi vào hàng chờ gửi.")


@outbox.command(name="prune")
@click.option("--days", type=click.FloatRange(1, 3650),
              help="Keep messages sent in the last DAYS days (default: NHIEMVU_MAIL_KEEP_DAYS, "
                   "180).")
@pass_app
def outbox_prune(app: App, days: float | None) -> None:
    """Delete messages sent more than DAYS days ago (in short transactions); queued and
    failed messages and the audit history are kept. `nhiemvu send` does this by itself."""
    from workflow.engine.outbox import prune_sent

    keep = days if days is not None else _mail_settings().keep_sent_days
    count = prune_sent(app.ready_engine(), app.clock.now(), keep)
    click.echo(f"Đã xóa {count} thư đã gửi quá {keep:g} ngày.")


def _mail_settings() -> Any:
    from notifier.config import MailSettings

    try:
        return MailSettings.from_env()
    except ValueError as exc:
        raise NhiemvuError(str(exc)) from None


@cli.command()
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--interval", type=float, default=30.0, show_default=True,
              help="Seconds between polls when not --once.")
@pass_app
def send(app: App, once: bool, interval: float) -> None:
    """Deliver queued notifications (SMTP if NHIEMVU_SMTP_HOST is set, else .eml files)."""
    import signal
    import threading

    from notifier.sender import send_due
    from notifier.transport import transport_for
    from workflow.engine.outbox import prune_sent

    engine, settings = app.ready_engine(), _mail_settings()
    transport = transport_for(settings)
    stop = threading.Event()  # SIGTERM: finish the batch in hand, then exit
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        report = send_due(engine, transport, settings, app.clock.now())
        # A little pruning each round keeps the outbox at its retention, in short locks.
        pruned = prune_sent(engine, app.clock.now(), settings.keep_sent_days, limit=20_000)
        if report.sent or report.retry or report.failed or once:
            click.echo(report.line())
            sys.stdout.flush()
        if pruned:
            click.echo(f"Đã xóa {pruned} thư đã gửi quá {settings.keep_sent_days:g} ngày.")
        for error in report.errors[:20]:
            click.echo(f"  ! {error}", err=True)
        if once or stop.wait(interval):
            return


@cli.command()
@click.option("--week", required=True, metavar="YYYY-Www", help="ISO week, e.g. 2023-W23.")
@click.option("--dry-run", is_flag=True, help="Show the recipients; queue nothing.")
@pass_app
def digest(app: App, week: str, dry_run: bool) -> None:
    """Queue the weekly overdue digest of WEEK (one e-mail per recipient)."""
    from workflow.definitions.specs import ReminderPolicy
    from workflow.schedule.ladder import Ladder
    from workflow.schedule.sweep import digest_recipients, queue_digests

    try:
        monday = datetime.strptime(week + "-1", "%G-W%V-%u").date()
    except ValueError:
        raise click.BadParameter(f"'{week}' is not an ISO week (expected e.g. 2023-W23)",
                                 param_hint="--week") from None
    engine = app.ready_engine()
    with read_session(engine) as session:
        calendars = load_calendars(session)
    policy = next(iter(calendars.values())).policy if calendars else ReminderPolicy()
    as_of = min(Ladder.from_policy(policy).digest_instant(monday), app.clock.now())
    with write_session(engine) as session:
        recipients = digest_recipients(session, None, as_of)
        if not dry_run:
            queue_digests(session, recipients, week, app.clock.now())
    for (agency, role), count in sorted(recipients.items()):
        click.echo(f"{agency:<28} {role:<12} {count} overdue")
    verb = "would queue" if dry_run else "queued (once per recipient and week)"
    click.echo(f"{week}: {len(recipients)} digests {verb}, as of {format_datetime(as_of)}")


@cli.command()
@click.argument("template")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of text.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write to a file: .html, .txt or .eml (the whole message).")
def preview(template: str, as_html: bool, output: Path | None) -> None:
    """Render TEMPLATE (e.g. reminder) with sample data."""
    from notifier.context import Envelope
    from notifier.message import build
    from notifier.samples import TEMPLATES, sample
    from notifier.templating import environment, render

    if template not in TEMPLATES:
        raise click.BadParameter(f"'{template}' (expected one of: {', '.join(TEMPLATES)})")
    settings = _mail_settings()
    context = sample(template)
    subject, text, html = render(environment(settings.templates), template, context)
    if output is None:
        click.echo(f"Subject: {subject}\n")
        click.echo(html if as_html else text)
        return
    if output.suffix == ".eml":
        envelope = Envelope(0, f"preview:{template}", template, ["nhan@example.org"], [],
                            context, context["task"])
        output.write_bytes(build(envelope, subject, text, html, settings.mail_from,
                                 datetime.now().astimezone()).as_bytes())
    else:
        output.write_text(html if output.suffix == ".html" else f"{subject}\n\n{text}",
                          encoding="utf-8")
    click.echo(f"written {output}")


@cli.command()
@click.option("--group", help="Only the members of this group.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def agencies(app: App, group: str | None, as_json: bool) -> None:
    """The agency registry (or one group's members)."""
    with read_session(app.ready_engine()) as session:
        registry = load_registry(session)
    if group is not None and group not in registry.groups:
        raise NhiemvuError(f"không tìm thấy nhóm {group} (các nhóm: "
                           f"{', '.join(sorted(registry.groups))})")
    codes = registry.groups[group].members if group else sorted(registry.agencies)
    rows = [registry.agencies[code] for code in codes]
    if as_json:
        _emit_json([{"code": a.code, "name": a.name, "short_name": a.short_name,
                     "level": a.level, "emails": list(a.emails), "head_name": a.head_name,
                     "head_email": a.head_email} for a in rows])
        return
    for agency in rows:
        click.echo(f"{agency.code:<28} {agency.name}  <{', '.join(agency.emails)}>")
    click.echo(f"{len(rows)} agencies")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_app
def committees(app: App, as_json: bool) -> None:
    """The committees (Ban VSTBPN) of this deployment, provinces with their communes."""
    from workflow.definitions.specs import COMMITTEE_LEVELS

    with read_session(app.ready_engine()) as session:
        registry = load_registry(session)
    members: dict[str, int] = {}
    for agency in registry.agencies.values():
        if agency.committee:
            members[agency.committee] = members.get(agency.committee, 0) + 1
    ordered = sorted(registry.committees.values(),
                     key=lambda c: (c.parent or c.code, c.parent is not None, c.code))
    if as_json:
        _emit_json([{"code": c.code, "name": c.name, "level": c.level, "locality": c.locality,
                     "parent": c.parent, "secretariat": c.secretariat, "chair": c.chair,
                     "agencies": members.get(c.code, 0)} for c in ordered])
        return
    for c in ordered:
        indent = "  " if c.parent else ""
        click.echo(f"{indent}{c.code:<12} {c.name} (cấp {COMMITTEE_LEVELS[c.level]}, "
                   f"{members.get(c.code, 0)} cơ quan, thường trực {c.secretariat or '-'})")
    click.echo(f"{len(ordered)} Ban")


from exports.commands import register as _register_exports  # noqa: E402
from importer.commands import register as _register_import  # noqa: E402
from web.commands import register as _register_web  # noqa: E402
from workflow.cascade.commands import register as _register_cascade  # noqa: E402

_register_web(cli, pass_app)
_register_exports(cli, pass_app)
_register_import(cli)
_register_cascade(cli, pass_app)


@cli.group()
def agency() -> None:
    """Agencies that change: rename, dissolve, merge, split (open tasks move)."""


def _on(text: str) -> date:
    try:
        return parse_date(text)
    except DateFormatError as exc:
        raise click.BadParameter(str(exc)) from None


_on_option = click.option("--on", "on", required=True, metavar="DD/MM/YYYY",
                          help="The day the change takes effect.")
_reason_option = click.option("--reason", help="The decision (số quyết định…) or why.")


@agency.command(name="rename")
@click.argument("code")
@click.option("--name", "new_name", required=True)
@_on_option
@_reason_option
@pass_app
def agency_rename(app: App, code: str, new_name: str, on: str, reason: str | None) -> None:
    """Same code, a new name (the change keeps the old one)."""
    from workflow.engine.agency_changes import rename_agency

    rename_agency(app.ready_engine(), code, new_name, _on(on), app.operator(),
                  app.clock.now(), reason)
    click.echo(f"Đã đổi tên {code} thành «{' '.join(new_name.split())}» từ ngày {on}")


@agency.command(name="dissolve")
@click.argument("code")
@click.option("--to", "successor", help="The agency that takes over its open tasks.")
@_on_option
@_reason_option
@pass_app
def agency_dissolve(app: App, code: str, successor: str | None, on: str,
                    reason: str | None) -> None:
    """The agency ends; its open tasks go to --to, or are cancelled."""
    from workflow.engine.agency_changes import dissolve_agency

    result = dissolve_agency(app.ready_engine(), code, _on(on), app.operator(),
                             app.clock.now(), successor, reason)
    click.echo(f"Đã ghi nhận {code} giải thể từ ngày {on}: {result.line()}")


@agency.command(name="merge")
@click.argument("codes", nargs=-1, required=True)
@click.option("--into", required=True, help="The agency they become.")
@_on_option
@_reason_option
@pass_app
def agency_merge(app: App, codes: tuple[str, ...], into: str, on: str,
                 reason: str | None) -> None:
    """Several agencies become one; their open tasks go to it."""
    from workflow.engine.agency_changes import merge_agencies

    result = merge_agencies(app.ready_engine(), list(codes), into, _on(on), app.operator(),
                            app.clock.now(), reason)
    click.echo(f"Đã ghi nhận sáp nhập {', '.join(codes)} vào {into} từ ngày {on}: "
               f"{result.line()}")


@agency.command(name="split")
@click.argument("code")
@click.option("--into", "into", required=True, multiple=True, help="A new agency (repeat).")
@click.option("--tasks-to", required=True, help="The new agency that takes the open tasks.")
@_on_option
@_reason_option
@pass_app
def agency_split(app: App, code: str, into: tuple[str, ...], tasks_to: str, on: str,
                 reason: str | None) -> None:
    """One agency becomes several; its open tasks go to --tasks-to."""
    from workflow.engine.agency_changes import split_agency

    result = split_agency(app.ready_engine(), code, list(into), tasks_to, _on(on),
                          app.operator(), app.clock.now(), reason)
    click.echo(f"Đã ghi nhận chia tách {code} thành {', '.join(into)} từ ngày {on}: "
               f"{result.line()}")


def main() -> None:
    verbose = any(arg in {"-v", "--verbose"} for arg in sys.argv[1:])
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DefinitionError as exc:
        for problem in exc.problems:  # file:line: field: what, in Vietnamese
            where = f"{problem.file}:{problem.line}" if problem.line else problem.file
            click.echo(f"lỗi: {where}: {problem.field}: {in_vietnamese(problem.message)}",
                       err=True)
        click.echo(f"lỗi: {len(exc.problems)} vấn đề; không có gì được lưu", err=True)
        sys.exit(1)
    except NhiemvuError as exc:
        _fail(str(exc), verbose)
    except OperationalError as exc:
        _fail(f"database error: {str(exc.orig).strip().splitlines()[0]}", verbose)
    except Exception as exc:
        _fail(f"unexpected {type(exc).__name__}: {exc} (run with --verbose for details)", verbose,
              code=2)


def _fail(message: str, verbose: bool, code: int = 1) -> None:
    if verbose:
        traceback.print_exc()
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
