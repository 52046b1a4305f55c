"""The risk list (造假风险) of an area's workers in a round: a review queue, never a verdict."""
from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, render_template, request

from campaign.accounts.access import managers_required
from campaign.areas.models import Area
from campaign.core.caching import no_store
from campaign.core.clock import zone
from campaign.coverage.views import area_and_round
from campaign.rounds.models import Round

from . import services
from .signals import BY_KEY, SIGNALS
from .weights import WEIGHTS

bp = Blueprint("risk", __name__, url_prefix="/risk")

# The head of the queue is what a reviewer reads; a city's 15,000 rows are shown on request (``all=1``).
SHOWN = 200


@bp.get("/<code>")
@managers_required
@area_and_round
@no_store
def show(area: Area, round_: Round, rounds: list[Round]):
    """Workers with visits in the area and round, highest score first, each signal beside the area's median."""
    moment = datetime.combine(round_.starts_on, time(12), tzinfo=zone())
    risks = services.worker_risks(round_.id, area, moment=moment)
    limit = None if request.args.get("all") == "1" else SHOWN
    return render_template("risk/show.html", area=area, round=round_, rounds=rounds, risks=risks, limit=limit,
                           signals=SIGNALS, signals_by_key=BY_KEY, weights=WEIGHTS)
