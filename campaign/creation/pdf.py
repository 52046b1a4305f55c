"""The certificate PDF builder: certificates in, A4 landscape PDF bytes out, one page each."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import segno
from flask import render_template
from flask_babel import force_locale

from campaign.core.clock import local_today
from campaign.core.pdf import SANS, SERIF, render_pdf

from .models import Certificate


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#1a1a1a")


def certificates_pdf(certificates: Sequence[Certificate], verify_url: Callable[[Certificate], str], *,
                     today: date | None = None) -> bytes:
    """``verify_url(certificate)`` is the absolute address its QR code opens. A certificate revoked, or
    expired by ``today``, prints with a large void mark and its date, never as a clean one."""
    pages = [(certificate, verify_url(certificate), qr_data_uri(verify_url(certificate)))
             for certificate in certificates]
    with force_locale("zh_CN"):
        html = render_template("creation/certificate_pdf.html", pages=pages, serif=SERIF, sans=SANS,
                               today=today or local_today())
    return render_pdf(html)
