"""Forms of the employee register: an entry, a file to import, its confirmation, a sheet."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField

from ..store.normalise import clean_text
from ..web.form_fields import AppForm


def _text(label: str) -> StringField:
    # Checked by app.employees.register.check_entry, the one place that knows the register's rules.
    return StringField(label, filters=[clean_text])


class EmployeeForm(AppForm):
    """One entry of the register."""

    code = _text(_l("Employee code"))
    full_name = _text(_l("Full name"))
    department = _text(_l("Department"))
    phone = _text(_l("Phone number"))
    id_number = _text(_l("ID number (CCCD / CMND / passport)"))


class ImportForm(AppForm):
    """A CSV or XLSX file with the register."""

    register_file = FileField(_l("CSV or XLSX file"), validators=[
        FileRequired(_l("Choose a file."))])


class ConfirmImportForm(AppForm):
    """The checked rows of the file, signed, sent back to be stored."""

    sealed = HiddenField()


class SheetForm(AppForm):
    """Which department's enrolment sheet to print."""

    department = SelectField(_l("Department"), validate_choice=False, choices=[])
