"""What makes the phone page an installable app: the web app manifest and the icons. Public: a browser fetches
the manifest without cookies, and neither names anybody."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request, send_from_directory, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from .static_files import REVALIDATE

bp = Blueprint("pwa", __name__)

THEME_COLOR = "#b3261e"  # --brand in app.css, the navbar's red
BACKGROUND_COLOR = "#ffffff"
ICONS = [("img/icon-192.png", "192x192", "any"), ("img/icon-512.png", "512x512", "any"),
         ("img/icon-maskable-512.png", "512x512", "maskable")]
HTML_LANG = {"zh_CN": "zh-CN"}


def manifest_data(locale: str) -> dict:
    """The manifest in ``locale``. Its ``id`` is fixed, so the installed app stays the same app whatever
    language its manifest was fetched in."""
    with force_locale(locale):
        return {
            "id": "/visits/",
            "name": _("Fraud-free campaign ledger"),
            "short_name": _("Fraud-free ledger"),
            "description": _("Door-knocking visits and fraud warnings for grid workers, also without a network."),
            "lang": HTML_LANG.get(locale, locale),
            "start_url": url_for("visits.phone"),
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_COLOR,
            "background_color": BACKGROUND_COLOR,
            "icons": [{"src": url_for("static", filename=src), "sizes": sizes, "type": "image/png", "purpose": purpose}
                      for src, sizes, purpose in ICONS],
        }


@bp.get("/manifest.webmanifest")
def manifest():
    """``?lang=en`` for the English manifest (base.html asks for the page's language); Chinese otherwise."""
    languages = current_app.config["LANGUAGES"]
    locale = request.args.get("lang")
    if locale not in languages:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    body = json.dumps(manifest_data(locale), ensure_ascii=False, indent=1)
    response = Response(body, mimetype="application/manifest+json")
    response.headers["Cache-Control"] = REVALIDATE
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it whatever the page links."""
    response = send_from_directory(current_app.static_folder, "img/favicon.ico", mimetype="image/x-icon",
                                   max_age=0)
    response.headers["Cache-Control"] = REVALIDATE
    return response
