import time

import click
from flask.cli import with_appcontext

from campaign.extensions import db

from .builder import DEMO_PASSWORD, SCALES, build_demo, database_is_empty, reset_database


@click.command("demo")
@click.option("--scale", type=click.Choice(list(SCALES)), default="county", show_default=True,
              help="county: 宁陕县 (~25,000 households); city: 周口市 (~3 million, for benchmarks).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Same seed, same data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds areas.")
@click.option("--reset", is_flag=True, help="Delete all existing data first.")
@with_appcontext
def demo_command(scale, seed, if_empty, reset):
    """Load demo data: real division names and codes, made-up grids, households and accounts."""
    if not database_is_empty():
        if if_empty:
            click.echo("database already holds data; demo not loaded")
            return
        if not reset:
            raise click.ClickException("the database is not empty; use --reset to replace its data")
        reset_database()
    started = time.perf_counter()
    with click.progressbar(length=1, label=f"building {scale} demo (grids filled)") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        summary = build_demo(scale=scale, seed=seed, progress=progress)
    db.session.commit()
    click.echo(f"{summary.areas} areas, {summary.grids} grids, {summary.households} households, "
               f"{summary.visits} visits in {time.perf_counter() - started:.1f} s")
    click.echo(f"demo log-ins (password {DEMO_PASSWORD}, demo only):")
    for username, role in summary.accounts:
        click.echo(f"  {username:<9} {role}")
    click.echo("  gw<village code>  the grid worker of each other village, e.g. gw610923100002")
