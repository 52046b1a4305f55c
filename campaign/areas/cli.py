import click
from flask.cli import with_appcontext

from campaign.core.tabular import FileFormatError
from campaign.extensions import db

from .importer import import_divisions
from .services import recount_households


def echo_report(report) -> None:
    for error in report.errors:
        click.echo(f"line {error.line}: {error.column + ': ' if error.column else ''}{error.reason}", err=True)


@click.command("import-areas")
@click.argument("file", type=click.File("rb"))
@click.option("--under", help="Only codes below this prefix, e.g. 610923 out of the national list.")
@with_appcontext
def import_areas_command(file, under):
    """Import the official division list (china-division CSV: areas, streets or villages)."""
    try:
        report = import_divisions(file.read(), under=under)
    except FileFormatError as error:
        raise click.ClickException(str(error.message)) from None
    if not report.ok:
        db.session.rollback()
        echo_report(report)
        raise click.ClickException(f"{len(report.errors)} bad rows; nothing imported")
    db.session.commit()
    click.echo(f"{report.rows} areas imported or updated")


@click.command("recount")
@with_appcontext
def recount_command():
    """Rebuild every area's household count from the households."""
    recount_households()
    db.session.commit()
    click.echo("household counts rebuilt")
