"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask import current_app, request
from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class MethodFirstCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection, asking the request's method first: a GET has nothing to
    check, and protect() only finds that out after looking up the view's exemption."""

    def protect(self, apply_exemptions: bool = False) -> None:
        if request.method in current_app.config["WTF_CSRF_METHODS"]:
            super().protect(apply_exemptions)


class Base(DeclarativeBase):
    """Declarative base with constraint names that migrations can refer to on every database."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# Objects stay readable after commit (for the redirect that follows) without a new query.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = MethodFirstCSRFProtect()
babel = Babel()
compress = Compress()
login_manager = LoginManager()
