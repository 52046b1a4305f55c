"""The one public page: anyone who scans a certificate's QR code learns whether it is genuine and
still valid. It shows what the certificate itself prints, nothing more."""
from __future__ import annotations

from flask import Blueprint, render_template

from campaign.core.clock import local_today

from .certificates import certificate_for_code

bp = Blueprint("verify", __name__)


@bp.get("/verify/<code>")
def certificate(code: str):
    found = certificate_for_code(code)
    return render_template("creation/verify.html", certificate=found, today=local_today()), 200 if found else 404
