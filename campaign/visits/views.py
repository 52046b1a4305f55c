"""The grid worker's phone page. It is an offline-first shell: data comes from /api/v1 and is kept
on the phone, visits and warning actions wait in IndexedDB until the server has confirmed them.

- ``/visits/`` is the page as served to the logged-in worker.
- ``/visits/shell`` is the same page naming nobody, for the service worker to keep: it is what the
  phone shows for ``/``, ``/login`` and ``/visits/`` when the network does not answer properly.
- ``/sw.js`` is the service worker, at the root so that its scope covers those pages."""
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
                "js/app.js", "js/phone/store.js", "js/phone/net.js", "js/phone/device.js", "js/phone/warnings.js",
                "js/phone/walk.js", "img/favicon.svg"]
SHELL_TEMPLATES = ["base.html", "visits/phone.html"]


@cache
def shell_version() -> str:
    """Changes whenever a cached file changes, so phones pick up new versions."""
    digest = hashlib.sha256()
    static = Path(current_app.static_folder)
    for name in [*SHELL_ASSETS, "js/sw.js"]:
        digest.update((static / name).read_bytes())
    for name in SHELL_TEMPLATES:
        digest.update((Path(current_app.root_path, current_app.template_folder) / name).read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/")
@login_required
@no_store
def phone():
    if current_user.role is not Role.WORKER:
        return redirect(url_for("coverage.index"))
    return render_template("visits/phone.html", version=shell_version())


@bp.get("/shell")
@no_store
def shell():
    """The phone page with no user in it: cached by the service worker, filled from the phone's own store."""
    return render_template("visits/phone.html", version=shell_version(), shell=True)


def service_worker():
    script = (Path(current_app.static_folder) / "js/sw.js").read_text()
    shell = [url_for("visits.shell"), *(url_for("static", filename=a) for a in SHELL_ASSETS)]
    script = script.replace("__VERSION__", shell_version()).replace("__SHELL__", repr(shell).replace("'", '"'))
    return script, {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}


# Served from the root, so that its scope covers the home and log-in pages as well as the phone page.
bp.record_once(lambda state: state.app.add_url_rule("/sw.js", "visits.service_worker", service_worker))
