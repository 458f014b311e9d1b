"""CLI commands of the web side: serve, users, link keys, a task's link."""

from __future__ import annotations

import sys
from typing import Any

import click

from workflow.errors import NhiemvuError
from workflow.storage.db import read_session, write_session


def register(cli: click.Group, pass_app: Any) -> None:
    """Adds the commands to the `nhiemvu` group (cli.py owns App and pass_app)."""

    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=int, default=8000, show_default=True)
    @click.option("--workers", type=int, default=1, show_default=True,
                  help="Web worker processes (use PostgreSQL for more than one).")
    @click.option("--with-scheduler", is_flag=True,
                  help="Also run the scheduler and the sender in this process.")
    @click.option("--interval", type=float, default=5.0, show_default=True,
                  help="Minutes between scheduler sweeps (with --with-scheduler).")
    @click.option("--send-every", type=float, default=30.0, show_default=True,
                  help="Seconds between delivery runs (with --with-scheduler).")
    @click.option("--access-log", is_flag=True,
                  help="Log every request (paths contain link tokens: keep logs private).")
    @pass_app
    def serve(app: Any, host: str, port: int, workers: int, with_scheduler: bool,
              interval: float, send_every: float, access_log: bool) -> None:
        """Run the web app: agencies' report pages and the secretariat's dashboard."""
        from notifier.config import MailSettings
        from web.config import WebSettings, proxy_problems
        from web.server import BackgroundWork, listening_socket, serve
        from workflow.storage.db import is_sqlite

        problems = proxy_problems(WebSettings.from_env().trusted_proxies)
        if problems:
            raise NhiemvuError("; ".join(problems))
        engine = app.ready_engine()
        if workers > 1 and is_sqlite(engine):
            raise NhiemvuError("several workers need PostgreSQL; with SQLite use --workers 1")
        sock = listening_socket(host, port)  # a port in use stops everything here
        background = None
        if with_scheduler:
            try:
                mail = MailSettings.from_env()
            except ValueError as exc:
                raise NhiemvuError(str(exc)) from None
            background = BackgroundWork(engine, app.clock, mail, interval, send_every,
                                        lambda line: click.echo(line))
        click.echo(f"serving on http://{host}:{port}"
                   f"{' with the scheduler and the sender' if with_scheduler else ''}",
                   err=True)
        serve(engine, app.settings.database_url, app.clock, sock, workers, background,
              access_log)

    @cli.command()
    @click.option("--check", is_flag=True, help="Exit 1 when there is any warning.")
    @pass_app
    def status(app: Any, check: bool) -> None:
        """What this installation is set to: database, mail, public address, warnings."""
        from sqlalchemy import func, select

        from notifier.config import MailSettings
        from web.config import WebSettings, base_url_problems, proxy_problems
        from workflow.storage.migrate import current_revision, head_revision
        from workflow.storage.models import DirectiveRow, OutboxRow, TaskRow
        from workflow.views.labels import STATE_LABELS

        engine = app.engine
        warnings: list[str] = []
        revision = current_revision(engine)
        schema = "mới nhất" if revision == head_revision() else \
            f"cũ, cần chạy nhiemvu init (mới nhất: {head_revision()})"
        click.echo(f"Cơ sở dữ liệu: {engine.url.render_as_string(hide_password=True)} "
                   f"(lược đồ {revision or 'chưa tạo'}, {schema})")
        if revision == head_revision():
            with read_session(engine) as session:
                directives = session.scalar(select(func.count()).select_from(DirectiveRow))
                states = dict(session.execute(select(TaskRow.state, func.count())
                                              .group_by(TaskRow.state)).all())
                mail = dict(session.execute(select(OutboxRow.state, func.count())
                                            .group_by(OutboxRow.state)).all())
            by_state = ", ".join(f"{STATE_LABELS[s]} {n}" for s, n in sorted(states.items()))
            click.echo(f"Văn bản: {directives}; nhiệm vụ: {sum(states.values())}"
                       + (f" ({by_state})" if by_state else ""))
            click.echo(f"Thư: {mail.get('queued', 0)} chờ gửi, {mail.get('sent', 0)} đã gửi, "
                       f"{mail.get('failed', 0)} lỗi")
            if mail.get("failed"):
                warnings.append(f"{mail['failed']} thư gửi lỗi (xem nhiemvu outbox --state "
                                f"failed)")
        else:
            warnings.append("lược đồ cơ sở dữ liệu chưa cập nhật: chạy nhiemvu init")
        try:
            settings = MailSettings.from_env()
        except ValueError as exc:
            raise NhiemvuError(str(exc)) from None
        if settings.smtp_host:
            click.echo(f"Gửi thư: SMTP {settings.smtp_host}:{settings.smtp_port} "
                       f"({settings.smtp_tls}), EHLO {settings.helo_name}, từ "
                       f"{settings.mail_from}")
            warnings += settings.smtp_problems()
        else:
            click.echo(f"Gửi thư: chưa cấu hình NHIEMVU_SMTP_HOST; thư được ghi thành tệp "
                       f".eml trong {settings.mail_dir}")
            warnings.append("thư chưa được gửi đi thật: đặt NHIEMVU_SMTP_HOST")
        web = WebSettings.from_env()
        base_url = web.base_url
        click.echo(f"Địa chỉ trang: {base_url} (nhận tên máy: {', '.join(web.allowed_hosts)}; "
                   f"tin X-Forwarded-For từ: "
                   f"{', '.join(web.trusted_proxies) or 'không máy nào'})")
        warnings += base_url_problems(base_url) + proxy_problems(web.trusted_proxies)
        for warning in warnings:
            click.echo(f"Cảnh báo: {warning}")
        if not warnings:
            click.echo("Không có cảnh báo.")
        if check and warnings:
            sys.exit(1)

    @cli.group()
    def user() -> None:
        """Secretariat users of the dashboard."""

    @user.command(name="add")
    @click.argument("username")
    @click.option("--name", "display_name", help="Full name shown on the dashboard.")
    @click.option("--password-stdin", is_flag=True,
                  help="Read the password from standard input (for scripts).")
    @click.option("--committee", help="The committee (Ban) the user works for; needed when "
                                      "the deployment holds several.")
    @click.option("--all-committees", is_flag=True,
                  help="A user of the whole deployment instead of one committee.")
    @click.option("--role", type=click.Choice(["secretariat", "leader", "admin"]),
                  default="secretariat", show_default=True,
                  help="secretariat acts; leader reads everything; admin also manages.")
    @pass_app
    def user_add(app: Any, username: str, display_name: str | None, password_stdin: bool,
                 committee: str | None, all_committees: bool, role: str) -> None:
        """Create a user; asks for the password twice unless --password-stdin."""
        from sqlalchemy import select

        from workflow.access.users import add_user
        from workflow.storage.models import CommitteeRow

        engine = app.ready_engine()
        if committee and all_committees:
            raise NhiemvuError("chọn --committee hoặc --all-committees, không cả hai")
        if committee is None and not all_committees:
            with read_session(engine) as session:
                codes = list(session.scalars(select(CommitteeRow.code)))
            if len(codes) > 1:
                raise NhiemvuError(f"có {len(codes)} Ban trong hệ thống: chọn --committee "
                                   f"({', '.join(sorted(codes))}) hoặc --all-committees")
            committee = codes[0] if codes else None
        password = _password(password_stdin)
        with write_session(engine) as session:
            add_user(session, username, password, display_name, app.clock.now(), committee,
                     role)
        click.echo(f"user {username} created ({role}, "
                   f"{'committee ' + committee if committee else 'every committee'})")

    @user.command(name="password")
    @click.argument("username")
    @click.option("--password-stdin", is_flag=True)
    @pass_app
    def user_password(app: Any, username: str, password_stdin: bool) -> None:
        """Set a new password."""
        from workflow.access.users import set_password

        password = _password(password_stdin)
        with write_session(app.ready_engine()) as session:
            set_password(session, username, password)
        click.echo(f"password of {username} changed")

    def set_user_active(app: Any, username: str, active: bool) -> None:
        from workflow.access.users import set_active

        with write_session(app.ready_engine()) as session:
            set_active(session, username, active)
        click.echo(f"user {username} {'enabled' if active else 'disabled'}")

    @user.command(name="disable")
    @click.argument("username")
    @pass_app
    def user_disable(app: Any, username: str) -> None:
        """Block a user at once (open sessions included)."""
        set_user_active(app, username, False)

    @user.command(name="enable")
    @click.argument("username")
    @pass_app
    def user_enable(app: Any, username: str) -> None:
        """Let a disabled user sign in again."""
        set_user_active(app, username, True)

    @user.command(name="unlock")
    @click.argument("username")
    @pass_app
    def user_unlock(app: Any, username: str) -> None:
        """Let a user locked out by wrong passwords try again at once."""
        from workflow.access.logins import unlock
        from workflow.access.users import find_user

        with write_session(app.ready_engine()) as session:
            if find_user(session, username.strip().lower()) is None:
                raise NhiemvuError(f"không có người dùng '{username}'")
            count = unlock(session, username)
        click.echo(f"Đã mở khóa đăng nhập cho {username} ({count} lần đăng nhập sai được "
                   f"xóa)")

    @user.command(name="list")
    @pass_app
    def user_list(app: Any) -> None:
        from sqlalchemy import select

        from workflow.dates import format_datetime
        from workflow.storage.models import UserRow

        with read_session(app.ready_engine()) as session:
            rows = list(session.scalars(select(UserRow).order_by(UserRow.username)))
        for row in rows:
            state = "active" if row.active else "disabled"
            click.echo(f"{row.username:<20} {state:<9} {row.role:<12} "
                       f"{row.committee_code or '*':<12} {row.display_name}  "
                       f"last login {format_datetime(row.last_login_at) or 'never'}")
        click.echo(f"{len(rows)} users")

    @cli.group()
    def keys() -> None:
        """Keys that sign agencies' links and dashboard sessions."""

    @keys.command(name="list")
    @pass_app
    def keys_list(app: Any) -> None:
        from sqlalchemy import select

        from workflow.dates import format_datetime
        from workflow.storage.models import LinkKeyRow

        with read_session(app.ready_engine()) as session:
            rows = list(session.scalars(select(LinkKeyRow).order_by(LinkKeyRow.id)))
        active = [r for r in rows if r.revoked_at is None]
        for row in rows:
            state = f"revoked {format_datetime(row.revoked_at)}" if row.revoked_at else \
                "signing" if row is active[-1] else "verifying"
            click.echo(f"{row.id:>4}  created {format_datetime(row.created_at)}  {state}")

    @keys.command(name="rotate")
    @pass_app
    def keys_rotate(app: Any) -> None:
        """New links are signed with a new key; links already sent keep working."""
        from workflow.access.linkkeys import rotate

        with write_session(app.ready_engine()) as session:
            row = rotate(session, app.clock.now())
        click.echo(f"key {row.id} now signs new links (running servers pick it up "
                   "within 30 s); revoke old keys with `nhiemvu keys revoke ID`")

    @keys.command(name="revoke")
    @click.argument("key_id", type=int)
    @pass_app
    def keys_revoke(app: Any, key_id: int) -> None:
        """Links and sessions signed with KEY_ID stop working."""
        from workflow.access.linkkeys import revoke

        with write_session(app.ready_engine()) as session:
            revoke(session, key_id, app.clock.now())
        click.echo(f"key {key_id} revoked")

    @cli.command()
    @click.argument("task")
    @pass_app
    def link(app: Any, task: str) -> None:
        """Print the signed report link of TASK (to send it by another channel)."""
        from notifier.config import MailSettings
        from workflow.access.linkkeys import load_ring
        from workflow.access.links import LinkMaker
        from workflow.engine.taskref import find_task

        engine = app.ready_engine()
        with read_session(engine) as session:
            row = find_task(session, task)
        maker = LinkMaker(load_ring(engine, app.clock.now()), MailSettings.from_env().base_url,
                          app.clock.now())
        click.echo(maker.task(row.id or 0, row.agency_code, row.due_at))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NhiemvuError("không có terminal để hỏi mật khẩu: đưa mật khẩu qua đầu vào chuẩn "
                           "với --password-stdin (printf '%s\\n' \"$MAT_KHAU\" | nhiemvu "
                           "user add TÊN --password-stdin)")
    else:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    if not password:
        raise NhiemvuError("empty password")
    return str(password)
