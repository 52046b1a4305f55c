from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.accounts.access import county_required
from campaign.core.actions import press, save, status
from campaign.core.imports import import_page, template_download
from campaign.core.tabular import ImportReport

from . import services
from .access import get_area_or_404
from .forms import AreaForm
from .importer import COLUMNS, import_divisions

bp = Blueprint("areas", __name__, url_prefix="/areas")


@bp.get("/")
@login_required
def index():
    roots = current_user.scope_roots()
    if len(roots) == 1:
        return redirect(url_for("areas.show", code=roots[0].code))
    return render_template("areas/roots.html", roots=roots,
                           counts=services.child_counts([a.id for a in roots]))


@bp.get("/<code>")
@login_required
def show(code: str):
    area = get_area_or_404(code)
    children = services.children_of(area)
    counts = services.child_counts([area.id, *(c.id for c in children)])
    return render_template("areas/show.html", area=area, children=children, counts=counts)


@bp.get("/<code>/children")
@login_required
def children(code: str):
    """One level of the tree, loaded when a branch is opened."""
    area = get_area_or_404(code)
    kids = services.children_of(area)
    return render_template("areas/_children.html", children=kids,
                           counts=services.child_counts([c.id for c in kids]))


@bp.route("/<code>/new", methods=["GET", "POST"])
@county_required
def new(code: str):
    parent = get_area_or_404(code)
    if parent.level.child is None:
        flash(_("A grid has no sub-areas."), "warning")
        return redirect(url_for("areas.show", code=parent.code))
    form = AreaForm()
    if request.method == "GET":
        form.code.data = parent.code
    if form.validate_on_submit():
        saved = save(form, lambda: services.create_area(
            parent=parent, code=form.code.data, name=form.name.data, lat=form.lat.data, lon=form.lon.data))
        if saved.ok:
            flash(_("%(name)s added.", name=saved.value.name), "success")
            return redirect(url_for("areas.show", code=parent.code))
    return render_template("areas/form.html", form=form, parent=parent, area=None), status(form)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@county_required
def edit(code: str):
    area = get_area_or_404(code)
    form = AreaForm(obj=area)
    if form.validate_on_submit():
        saved = save(form, lambda: services.update_area(area, name=form.name.data, lat=form.lat.data,
                                                          lon=form.lon.data))
        if saved.ok:
            flash(_("%(name)s saved.", name=area.name), "success")
            return redirect(url_for("areas.show", code=area.code))
    form.code.data = area.code
    return render_template("areas/form.html", form=form, parent=area.parent, area=area), status(form)


@bp.post("/<code>/delete")
@county_required
def delete(code: str):
    area = get_area_or_404(code)
    if area.parent is None or not current_user.can_see(area.parent):
        flash(_("The top area of your office cannot be deleted."), "danger")
        return redirect(url_for("areas.show", code=area.code))
    parent_code = area.parent.code
    if press(lambda: services.delete_area(area), done=_("Area deleted.")):
        return redirect(url_for("areas.show", code=parent_code))
    return redirect(url_for("areas.show", code=code))


def _import_divisions(data: bytes, *, user) -> ImportReport:
    return import_divisions(data, under=user.area.code)


@bp.route("/import", methods=["GET", "POST"])
@county_required
def import_file():
    """Load official division rows below the office's own area."""
    intro = _("The official division list (统计用区划代码) as an Excel workbook or CSV: columns code, name and "
              "parent code. Only codes inside your area are read; existing codes are renamed, never duplicated.")
    templates = [("Excel (.xlsx)", url_for("areas.import_template", fmt="xlsx")),
                 ("CSV", url_for("areas.import_template", fmt="csv"))]
    return import_page(importer=_import_divisions, title=_("Import areas"), intro=intro, templates=templates,
                       done=lambda n: _("%(n)s areas imported or updated.", n=n),
                       after=url_for("areas.show", code=current_user.area.code))


@bp.get("/import/template.<fmt>")
@county_required
def import_template(fmt: str):
    return template_download(COLUMNS, sheet="区划代码", name="areas", fmt=fmt)
