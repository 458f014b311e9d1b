"""`nhiemvu export ...`: status workbook, compiled report draft, data for scripts, charts.
Files are written whole or not at all (a temporary file renamed into place)."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from workflow.errors import NhiemvuError
from workflow.storage.db import read_session


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600; an export is a normal file
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def register(cli: click.Group, pass_app: Any) -> None:
    @cli.group(name="export")
    def export() -> None:
        """Status workbook, compiled report draft, data for scripts, progress charts."""

    def scope(function: Any) -> Any:
        function = click.option("--year", type=int, required=True)(function)
        return click.option("--directive", required=True)(function)

    def collected(app: Any, directive: str, year: int) -> Any:
        from exports.collect import collect

        with read_session(app.ready_engine()) as session:
            return collect(session, directive, year, app.clock.now())

    @export.command(name="xlsx")
    @scope
    @click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
    @pass_app
    def export_xlsx(app: Any, directive: str, year: int, output: Path) -> None:
        """Agencies x tasks by state, overdue tasks, reports' texts and figures."""
        from exports.xlsx import write_xlsx

        buffer = io.BytesIO()
        write_xlsx(collected(app, directive, year), buffer)
        atomic_write(output, buffer.getvalue())
        click.echo(f"Đã ghi {output}")

    @export.command(name="docx")
    @scope
    @click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
    @click.option("--place", help="Place in the date line (default: from the issuer).")
    @pass_app
    def export_docx(app: Any, directive: str, year: int, output: Path,
                    place: str | None) -> None:
        """A draft compiled report (báo cáo tổng hợp) to edit and sign."""
        from exports.docx import write_docx

        buffer = io.BytesIO()
        write_docx(collected(app, directive, year), buffer, place)
        atomic_write(output, buffer.getvalue())
        click.echo(f"Đã ghi {output}")

    @export.command(name="data")
    @scope
    @click.option("--format", "fmt", type=click.Choice(["csv", "csv-codes", "json"]),
                  default="csv", show_default=True,
                  help="csv: Vietnamese headers and labels, for Excel; csv-codes and json: "
                       "stable codes and ISO dates, for scripts.")
    @click.option("-o", "--output", type=click.Path(path_type=Path),
                  help="A file (default: standard output).")
    @pass_app
    def export_data(app: Any, directive: str, year: int, fmt: str,
                    output: Path | None) -> None:
        """One row per task with its state, deadline and latest report."""
        from exports.collect import as_rows, as_table, csv_bytes

        report = collected(app, directive, year)
        rows = as_table(report) if fmt == "csv" else as_rows(report)
        data = json.dumps(rows, ensure_ascii=False, indent=2).encode("utf-8") \
            if fmt == "json" else csv_bytes(rows)
        if output is None:
            click.echo(data.decode("utf-8-sig"), nl=False)
        else:
            atomic_write(output, data)
            click.echo(f"Đã ghi {output} ({len(rows)} nhiệm vụ)")

    @export.command(name="chart")
    @scope
    @click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
                  help="A .png or .svg file.")
    @click.option("--by", type=click.Choice(["time", "agency"]), default="time",
                  show_default=True, help="Progress over time, or where each agency stands.")
    @pass_app
    def export_chart(app: Any, directive: str, year: int, output: Path, by: str) -> None:
        """Reported/verified/overdue counts over time, or per agency."""
        from exports.chart import directive_chart

        fmt = output.suffix.lower().lstrip(".")
        if fmt not in {"png", "svg"}:
            raise NhiemvuError(f"{output}: expected a .png or .svg file name")
        with read_session(app.ready_engine()) as session:
            data = directive_chart(session, directive, year, app.clock.now(),
                                   by, fmt)  # type: ignore[arg-type]
        atomic_write(output, data)
        click.echo(f"Đã ghi {output}")
