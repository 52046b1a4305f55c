"""The grid worker's phone page. It is an offline-first shell: data comes from /api/v1 and is kept
on the phone, visits wait in IndexedDB until the server has confirmed them."""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from campaign.accounts.models import Role
from campaign.core.caching import no_store

bp = Blueprint("visits", __name__, url_prefix="/visits")

# Everything the phone page needs with no network; the service worker caches these on install.
SHELL_ASSETS = ["vendor/bootstrap/bootstrap.min.css", "css/app.css", "vendor/bootstrap/bootstrap.bundle.min.js",
                "vendor/htmx/htmx.min.js", "js/app.js", "js/visits.js", "img/favicon.svg"]


@cache
def shell_version() -> str:
    """Changes whenever a cached file changes, so phones pick up new versions."""
    digest = hashlib.sha256()
    static = Path(current_app.static_folder)
    for name in [*SHELL_ASSETS, "js/sw.js"]:
        digest.update((static / name).read_bytes())
    digest.update((Path(current_app.root_path, current_app.template_folder) / "visits/phone.html").read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/")
@login_required
@no_store
def phone():
    if current_user.role is not Role.WORKER:
        return redirect(url_for("coverage.index"))
    return render_template("visits/phone.html", version=shell_version(), assets=SHELL_ASSETS)


@bp.get("/sw.js")
def service_worker():
    """Served from /visits/ so that its scope is the phone pages."""
    script = (Path(current_app.static_folder) / "js/sw.js").read_text()
    shell = [url_for("visits.phone"), *(url_for("static", filename=a) for a in SHELL_ASSETS)]
    script = script.replace("__VERSION__", shell_version()).replace("__SHELL__", repr(shell).replace("'", '"'))
    return script, {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}
