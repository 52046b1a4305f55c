import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from campaign.extensions import db
from campaign.rounds.models import Round

from .rebuild import rebuild_round


@click.command("rebuild-tallies")
@click.option("--round", "round_id", type=int, help="Only this round (default: every round).")
@with_appcontext
def rebuild_tallies_command(round_id):
    """Recompute household states and coverage tallies of rounds from their visits."""
    ids = [round_id] if round_id else list(db.session.scalars(sa.select(Round.id)))
    for rid in ids:
        rebuild_round(rid)
    db.session.commit()
    click.echo(f"tallies rebuilt for {len(ids)} round(s)")
