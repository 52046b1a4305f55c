import click
from flask.cli import with_appcontext

from campaign.areas.services import get_by_code
from campaign.core.errors import DomainError
from campaign.extensions import db

from . import services
from .models import Role


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.COUNTY.value, show_default=True)
@click.option("--area", "area_code", help="Division code of the county (county office) or township (official).")
@click.option("--grid", "grid_codes", multiple=True, help="A grid code, for grid workers; repeat for more.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.password_option(help="The password (asked twice when not given).")
@with_appcontext
def create_user_command(username, role, area_code, grid_codes, display_name, password):
    """Create a user, e.g. the first county-office admin."""
    area = get_by_code(area_code) if area_code else None
    if area_code and area is None:
        raise click.ClickException(f"unknown area code {area_code}")
    grids = [get_by_code(code) for code in grid_codes]
    if None in grids:
        raise click.ClickException("unknown grid code")
    try:
        user = services.create_user(username=username, display_name=display_name, role=Role(role),
                                    password=password, area=area, grids=grids)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"created {user.role.value} user {user.username}")
