"""Staff sign-in and sign-out, and the one-time page that creates the first admin."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import HTTPException

from ..admin.staff import StaffError, check_password, check_username
from ..auth import access
from ..auth.forms import FirstAdminForm, LoginForm
from ..extensions import db, login_manager
from ..store import audit, clock
from ..web.redirects import local_path

bp = Blueprint("auth", __name__)

# Staff endpoints a signed-out browser may open; every other staff page needs a sign-in.
ANONYMOUS_ENDPOINTS = frozenset({"auth.login", "auth.setup"})
# Blueprints whose pages are for admins only.
ADMIN_BLUEPRINTS = frozenset({"staff", "audit", "locations", "export", "tracing", "settings",
                              "employees", "delivery"})
PUBLIC_BLUEPRINTS = frozenset({"checkin", "enrolment", "language"})
# All a health officer (the health centre's cán bộ y tế) opens besides signing in and out: the
# list for the health centre and tracing, with their downloads. No desk, no other admin page.
HEALTH_OFFICER_BLUEPRINTS = frozenset({"export", "tracing"})


def _begin(user) -> None:
    """A new session for the user: nothing from before the sign-in is carried over."""
    session.clear()
    access.start_session(user)
    login_user(user)
    session.permanent = True


def may_open(user, blueprint: str | None) -> bool:
    """Whether a signed-in staff member may open the pages of this blueprint (the public
    ones and signing in and out are for everyone)."""
    if blueprint in PUBLIC_BLUEPRINTS or blueprint == bp.name:
        return True
    if user.is_health_officer:
        return blueprint in HEALTH_OFFICER_BLUEPRINTS
    return blueprint not in ADMIN_BLUEPRINTS or user.is_admin


def home_for(user) -> str:
    """Where a staff member starts: the desk, or the export for a health officer."""
    return url_for("export.index") if user.is_health_officer else url_for("dashboard.index")


def _landing(user) -> str:
    """The page a sign-in asked to return to, if this user may open it; else their start."""
    home = home_for(user)
    wanted = local_path(request.args.get("next"), home)
    try:
        endpoint, _args = current_app.create_url_adapter(request).match(
            urlsplit(wanted).path, method="GET")
    except HTTPException:
        return home
    return wanted if may_open(user, endpoint.rpartition(".")[0]) else home


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with user name and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    message, status = None, 200
    if form.validate_on_submit():
        _warn_about_an_untrusted_proxy()
        result = access.sign_in(form.username.data, form.password.data, request.remote_addr or "")
        if result.user is not None:
            audit.record("login", user=result.user)  # stored with the new session
            _begin(result.user)
            return redirect(_landing(result.user))
        _record_failure(form.username.data, refused=result.refused)
        if result.lock is not None:
            time = clock.to_local(result.lock.until).strftime("%H:%M")
            if result.lock.by_address:  # every account, from this network
                message = _("Too many failed sign-ins from this network address. Try again "
                            "after %(time)s.", time=time)
            else:
                message = _("Too many failed sign-ins. Try again after %(time)s.", time=time)
            status = 429
        else:
            # The same words whether the user name exists or not.
            message = _("Wrong user name or password.")
    return render_template("auth/login.html", form=form, message=message), status


def _record_failure(username: str, refused: bool) -> None:
    """A failed sign-in in the audit log: the account when it exists, never the typed text
    (people type passwords into the user-name box). Refused attempts cost no password check,
    so they come as fast as anyone sends them: one entry per lockout is enough."""
    account = access.find_user(username)
    if refused and audit.refusal_recorded(account, request.remote_addr or ""):
        return
    audit.record("login_refused" if refused else "login_failed",
                 {"known_account": account is not None}, user=account)
    db.session.commit()


_proxy_warning_given = False


def _warn_about_an_untrusted_proxy() -> None:
    """Behind a proxy that is not trusted, every sign-in seems to come from the proxy, and the
    failures of anyone on the Internet would count as one address's, locking out all staff:
    say so in the log, once."""
    global _proxy_warning_given
    if (not _proxy_warning_given and "X-Forwarded-For" in request.headers
            and not current_app.config["TRUSTED_PROXIES"]):
        _proxy_warning_given = True
        current_app.logger.warning(
            "Requests carry X-Forwarded-For but TRUSTED_PROXIES is 0: sign-in throttling sees "
            "only the proxy's address. Set GATEBOOK_TRUSTED_PROXIES to the number of proxies.")


@bp.post("/logout")
def logout():
    """Sign out: this browser's session ends on the server too, so its cookie is useless."""
    access.end_session(current_user.login_token)
    logout_user()
    session.clear()
    return redirect(url_for(".login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    """Create the first admin account; the link works once, and only until there is an admin."""
    if not access.setup_token_valid(token):
        return _setup_gone()
    form = FirstAdminForm()
    if form.validate_on_submit():
        try:
            username = check_username(form.username.data)
            check_password(form.password.data)
        except StaffError as error:
            form[error.field or "username"].errors.append(str(error))
        else:
            user = access.create_first_admin(token, username, form.password.data)
            if user is None:
                return _setup_gone()
            audit.record("first_admin", user=user)
            _begin(user)
            return redirect(url_for("dashboard.index"))
    return render_template("auth/setup.html", form=form)


def _setup_gone():
    """A spent, replaced or made-up setup link: what to do now, for whoever set the server up
    (not the visitor's "scan the code again")."""
    return render_template("auth/setup_gone.html", admin_exists=access.has_admin()), 404


def _login_url_for_here() -> str:
    if request.headers.get("HX-Request"):
        # The page the htmx request came from, not the fragment's URL.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = current.path + (f"?{current.query}" if current.query else "")
    else:
        here = request.full_path if request.query_string else request.path
    return url_for("auth.login", next=local_path(here, url_for("dashboard.index")))


def unauthorized() -> Response:
    """Signed out: go to the sign-in page; an htmx request is told to go there itself."""
    target = _login_url_for_here()
    if request.headers.get("HX-Request"):
        return Response(status=200, headers={"HX-Redirect": target})
    return redirect(target)


def guard_staff_pages() -> Response | None:
    """Default deny: every page outside the public ones needs a sign-in; admin areas an admin;
    a health officer opens the export and tracing only."""
    req = request._get_current_object()  # (looked up once, not at every use)
    endpoint = req.endpoint
    if endpoint is None or endpoint == "static":
        return None
    if req.blueprint in PUBLIC_BLUEPRINTS or endpoint in ANONYMOUS_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return unauthorized()
    if not may_open(current_user, request.blueprint):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    """Sign-in machinery: who is signed in, and the guard in front of every staff page."""
    # Templates get the lazy `current_user`, not Flask-Login's context processor, which
    # loads the user at every page rendered: a visitor's pages never ask who is signed in.
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    login_manager.user_loader(access.user_for_session)
    access.prepare_for_unknown_users(app)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(guard_staff_pages)
    app.register_blueprint(bp)
