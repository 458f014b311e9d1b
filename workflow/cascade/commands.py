"""`nhiemvu implement` and `nhiemvu rollup`: the IT officer's way to the same cascade the
commune secretariat runs from the dashboard (one code path underneath)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from workflow.cascade.implement import draft_implementation, implementation_yaml
from workflow.cascade.rollup import compose, submit_composition
from workflow.storage.db import read_session


def register(cli: click.Group, pass_app: Any) -> None:
    @cli.command(name="implement")
    @click.argument("directive")
    @click.option("--committee", required=True, help="The commune committee implementing it.")
    @click.option("--number", required=True, help="The commune plan's number (Số).")
    @click.option("--date", "issued", required=True, help="Its date, dd/mm/yyyy.")
    @click.option("--code", help="Its code (default: COMMITTEE.DIRECTIVE).")
    @click.option("--title", help="Its title (default: «Triển khai …»).")
    @click.option("--out", type=click.Path(path_type=Path), required=True,
                  help="The YAML file to write (then `nhiemvu load` it).")
    @pass_app
    def implement(app: Any, directive: str, committee: str, number: str, issued: str,
                  code: str | None, title: str | None, out: Path) -> None:
        """Draft a commune plan implementing a province directive, as YAML."""
        from exports.commands import atomic_write

        with read_session(app.ready_engine()) as session:
            draft = draft_implementation(session, directive, committee, number=number,
                                         issued=issued, code=code, title=title)
        atomic_write(out, implementation_yaml(draft).encode("utf-8"))
        click.echo(f"Đã viết {out}: kế hoạch {draft.code} của Ban {committee}, "
                   f"{len(draft.tasks)} nhiệm vụ thực hiện {directive}. Nạp bằng "
                   f"`nhiemvu load {out}`, rồi `nhiemvu instantiate {draft.code}`.")

    @cli.command(name="rollup")
    @click.argument("task_id", type=int)
    @click.option("--submit", is_flag=True, help="Send it as the commune's report.")
    @pass_app
    def rollup(app: Any, task_id: int, submit: bool) -> None:
        """Compose a commune's report on a province task from its verified reports."""
        engine = app.ready_engine()
        with read_session(engine) as session:
            composition = compose(session, task_id)
        click.echo(composition.text or "(chưa có báo cáo nào đã xác nhận)")
        for figure in composition.figures:
            click.echo(f"  {figure['label']}: {figure['value']}")
        for source in composition.waiting:
            click.echo(f"chưa xác nhận: #{source.task.id} {source.agency}")
        if submit:
            task, _report = submit_composition(engine, task_id, app.settings.actor,
                                               app.clock.now(), composition.text,
                                               composition.figures)
            click.echo(f"Đã gửi báo cáo của Ban lên nhiệm vụ #{task.id} (phiên bản "
                       f"{task.version}).")
