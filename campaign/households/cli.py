import click
from flask.cli import with_appcontext

from campaign.core.cli import run_import

from .importer import import_households


@click.command("import-households")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_households_command(file):
    """Import a household roster (XLSX or CSV). One bad row and nothing is imported."""
    run_import(import_households, file.read(), "households")
