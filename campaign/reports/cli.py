from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from campaign.areas.models import Area
from campaign.core.cli import echo_progress
from campaign.extensions import db
from campaign.jobs import runner

from .figures import REPORT_LEVELS
from .services import make_report


@click.command("report")
@click.option("--area", "code", required=True, help="Division code of a township, county or city.")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, YYYY-MM-DD.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.pdf for the printed report, FILE.xlsx for its tables as a workbook.")
@with_appcontext
def report_command(code: str, start, end, output: Path):
    """Write the progress report (通报) of an area over a period to a PDF or XLSX file."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "xlsx"):
        raise click.BadParameter("the output must end in .pdf or .xlsx", param_hint="-o")
    if end < start:
        raise click.BadParameter("the period ends before it starts", param_hint="--to")
    area = db.session.scalar(sa.select(Area).where(Area.code == code))
    if area is None or area.level not in REPORT_LEVELS:
        raise click.BadParameter(f"no township, county or city with code {code}", param_hint="--area")
    with runner.watching(echo_progress):
        made = make_report(area, start.date(), end.date(), fmt)
    db.session.commit()  # the PDF's document number, given once
    output.write_bytes(made.data)
    click.echo(f"{output} ({len(made.data) / 1024:.0f} KB): {area.name}, {start:%Y-%m-%d} – {end:%Y-%m-%d}")
