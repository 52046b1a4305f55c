import click
from flask.cli import with_appcontext

from campaign.areas.cli import echo_report
from campaign.core.tabular import FileFormatError
from campaign.extensions import db

from .importer import import_households


@click.command("import-households")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_households_command(file):
    """Import a household roster (XLSX or CSV). One bad row and nothing is imported."""
    try:
        report = import_households(file.read())
    except FileFormatError as error:
        raise click.ClickException(str(error.message)) from None
    if not report.ok:
        db.session.rollback()
        echo_report(report)
        raise click.ClickException(f"{len(report.errors)} bad rows; nothing imported")
    db.session.commit()
    click.echo(f"{report.rows} households imported")
