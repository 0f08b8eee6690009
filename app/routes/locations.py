"""Admin: entry points and their posters."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from ..admin import entry_points, health_notice, posters
from ..admin.audited_change import apply_change
from ..admin.entry_point_forms import LocationKindForm, LocationNameForm
from ..extensions import db
from ..store import audit
from ..store.models import Location, PointKind
from ..web.form_fields import ActionForm
from ..web.links import path_for, public_url
from ..web.templating import label

bp = Blueprint("locations", __name__, url_prefix="/admin/locations")


def _list_page(form: LocationNameForm | None = None, status: int = 200):
    all_locations = entry_points.listed()
    base = public_url()
    return render_template(
        "locations/index.html", locations=all_locations, counts=entry_points.todays_counts(),
        urls={loc.id: entry_points.checkin_url(loc, base) if base
              else path_for("checkin.form_page", token=loc.token) for loc in all_locations},
        form=form or LocationNameForm(), kinds=LocationKindForm(formdata=None).kind.choices,
        public_url_missing=not base), status


@bp.get("/")
def index():
    """Every entry point with today's count, its check-in URL and its poster."""
    return _list_page()


@bp.post("/")
def add():
    """Create an entry point."""
    form = LocationNameForm()
    if form.validate_on_submit():
        # Recorded by the commit that creates the entry point, or not at all.
        audit.record("location_create", {"name": form.name.data})
        try:
            location = entry_points.create_location(form.name.data)
        except entry_points.LocationError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            flash(_("Entry point %(name)s created.", name=location.name), "success")
            return redirect(url_for(".index"))
    return _list_page(form, 400)


def _change(location_id: int, form, action: str, change, success,
            details=lambda _form: {}):
    """Run one change on an entry point, recorded with `details(form)`, then show the list."""
    location = db.get_or_404(Location, location_id)
    apply_change(form, lambda: change(location, form), entry_points.LocationError,
                 lambda: success(location), action,
                 lambda: {"location": location.id, "name": location.name, **details(form)})
    return redirect(url_for(".index"))


@bp.post("/<id:location_id>/rename")
def rename(location_id: int):
    """Give an entry point a new name."""
    return _change(location_id, LocationNameForm(), "location_rename",
                   lambda loc, form: entry_points.rename_location(loc, form.name.data),
                   lambda loc: _("Renamed to %(name)s.", name=loc.name),
                   lambda form: {"new_name": entry_points.clean_name(form.name.data)})


@bp.post("/<id:location_id>/kind")
def kind(location_id: int):
    """Make an entry point an entrance (scanned again: leaving) or an inner point (scanned
    while inside: being there now), or the medical room."""
    return _change(location_id, LocationKindForm(), "location_kind",
                   lambda loc, form: entry_points.set_kind(loc, PointKind(form.kind.data)),
                   lambda loc: _("%(name)s: %(kind)s.", name=loc.name, kind=label(loc.kind)),
                   lambda form: {"kind": form.kind.data})


@bp.post("/<id:location_id>/deactivate")
def deactivate(location_id: int):
    """Take an entry point out of use: its QR code stops accepting check-ins."""
    return _change(location_id, ActionForm(), "location_deactivate",
                   lambda loc, _form: entry_points.set_location_active(loc, False),
                   lambda loc: _("%(name)s is closed.", name=loc.name))


@bp.post("/<id:location_id>/reactivate")
def reactivate(location_id: int):
    """Put an entry point back in use."""
    return _change(location_id, ActionForm(), "location_reactivate",
                   lambda loc, _form: entry_points.set_location_active(loc, True),
                   lambda loc: _("%(name)s is open again.", name=loc.name))


@bp.post("/<id:location_id>/rotate")
def rotate(location_id: int):
    """Give an entry point a new QR code; old posters say they have been replaced."""
    return _change(location_id, ActionForm(), "location_rotate",
                   lambda loc, _form: entry_points.rotate_token(loc),
                   lambda loc: _("%(name)s has a new QR code: print its new poster.",
                                 name=loc.name))


def _url(location: Location) -> str:
    """The check-in URL for the poster's QR code; without PUBLIC_URL there is none (404)."""
    if not public_url():
        abort(404)
    return entry_points.checkin_url(location, public_url())


@bp.get("/<id:location_id>/poster")
def poster(location_id: int):
    """The A4 poster to print and post at the entry point."""
    location = db.get_or_404(Location, location_id)
    days = current_app.config["RETENTION_DAYS"]
    texts = {}
    for lang in ("vi", "en"):
        with force_locale(lang):
            texts[lang] = {
                "scan": _("Scan the QR code to declare your health when you come in"),
                "leave": _("When you leave, scan it again and tap Leave."),
                "retention": _("Your declaration is kept for %(days)d days for contact tracing, "
                               "then deleted.", days=days),
                "no_phone": _("No smartphone? Ask the staff at the entrance."),
                "type": _("Or type this address:"),
            }
    url = entry_points.checkin_url(location, public_url()) if public_url() else None
    return render_template("locations/poster.html", location=location, url=url, texts=texts,
                           notices=health_notice.health_notices())


@bp.get("/<id:location_id>/qr.svg")
def poster_svg(location_id: int):
    """The entry point's QR code as SVG."""
    location = db.get_or_404(Location, location_id)
    return _download(posters.qr_svg(_url(location), location.name), "image/svg+xml",
                     location, "svg")


@bp.get("/<id:location_id>/qr.png")
def poster_png(location_id: int):
    """The entry point's QR code as a PNG for printing (300 dpi at 16 cm)."""
    location = db.get_or_404(Location, location_id)
    return _download(posters.qr_png(_url(location)), "image/png", location, "png")


def _download(body: bytes, mimetype: str, location: Location, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="gatebook-qr-{location.id}.{extension}"')
    return response
