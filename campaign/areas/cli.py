import click
from flask.cli import with_appcontext

from campaign.core.cli import run_import
from campaign.extensions import db

from .importer import import_divisions
from .services import recount_households


@click.command("import-areas")
@click.argument("file", type=click.File("rb"))
@click.option("--under", help="Only codes below this prefix, e.g. 610923 out of the national list.")
@with_appcontext
def import_areas_command(file, under):
    """Import the official division list (china-division CSV: areas, streets or villages)."""
    run_import(lambda data: import_divisions(data, under=under), file.read(), "areas")


@click.command("recount")
@with_appcontext
def recount_command():
    """Rebuild every area's household count from the households."""
    recount_households()
    db.session.commit()
    click.echo("household counts rebuilt")
