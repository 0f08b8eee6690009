"""Admin: the employee register, its import from a file, and the enrolment sheets."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..admin import posters
from ..employees import enrolment, register, register_import, register_sample
from ..employees.register_forms import ConfirmImportForm, EmployeeForm, ImportForm, SheetForm
from ..extensions import db
from ..reports.downloads import csv_download, xlsx_download
from ..store import audit
from ..store.database import reads_only, write_transaction, writes_late
from ..store.models import Employee, EmployeeDevice
from ..web.boundary import large_body
from ..web.form_fields import ActionForm
from ..web.links import external_url, public_url

bp = Blueprint("employees", __name__, url_prefix="/admin/employees")

# The register's file, and the confirmation that carries its checked rows, may be larger than
# any form (MAX_CONTENT_LENGTH): the import takes up to this much.
LARGE_BODY_BYTES = 3 * 1024 * 1024
SAMPLE_NAME = "mau-danh-sach-nhan-vien"


def _entry(form: EmployeeForm, employee: Employee | None = None) -> Employee | None:
    """Store the form's entry, or put what is wrong on the form."""
    try:
        entry = register.check_entry(form.code.data, form.full_name.data, form.department.data,
                                      form.phone.data, form.id_number.data)
        return register.save(entry, employee)
    except register.EmployeeError as error:
        db.session.rollback()
        form[error.field].errors.append(str(error))
        return None


def _list_page(form: EmployeeForm | None = None, status: int = 200):
    query = request.args.get("q", "")[:100]
    department = request.args.get("department", "")[:100]
    inactive = request.args.get("inactive") == "1"
    return render_template(
        "employees/index.html", employees=register.search(query, department, inactive),
        departments=register.departments(), query=query, department=department,
        inactive=inactive, form=form or EmployeeForm(), sheet=_sheet_form(),
        page_size=register.PAGE_SIZE), status


def _sheet_form() -> SheetForm:
    form = SheetForm()
    form.department.choices = [(name, name) for name in register.departments()]
    return form


@bp.get("/")
def index():
    """The register: search by name, code or phone, filter by department; add an entry."""
    return _list_page()


@bp.post("/")
def add():
    """Add an employee."""
    form = EmployeeForm()
    if form.validate_on_submit() and (employee := _entry(form)) is not None:
        db.session.flush()
        audit.record("employee_create", {"employee": employee.id})
        db.session.commit()
        flash(_("Employee %(code)s added.", code=employee.code), "success")
        return redirect(url_for(".index"))
    return _list_page(form, 400)


def _employee(employee_id: int) -> Employee:
    return db.get_or_404(Employee, employee_id)


def _edit_page(employee: Employee, form: EmployeeForm | None = None, status: int = 200):
    form = form or EmployeeForm(obj=employee)
    return render_template("employees/edit.html", employee=employee, form=form,
                           action=ActionForm()), status


@bp.get("/<id:employee_id>")
def edit(employee_id: int):
    """One employee: the entry, the enrolled phones, deactivation."""
    return _edit_page(_employee(employee_id))


@bp.post("/<id:employee_id>")
def update(employee_id: int):
    """Change an employee's entry."""
    employee = _employee(employee_id)
    form = EmployeeForm()
    if form.validate_on_submit() and _entry(form, employee) is not None:
        audit.record("employee_update", {"employee": employee.id})
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".edit", employee_id=employee.id))
    return _edit_page(employee, form, 400)


def _switch(employee_id: int, active: bool):
    employee = _employee(employee_id)
    if ActionForm().validate_on_submit():
        register.set_active(employee, active)
        audit.record("employee_reactivate" if active else "employee_deactivate",
                     {"employee": employee.id})
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for(".edit", employee_id=employee.id))


@bp.post("/<id:employee_id>/deactivate")
def deactivate(employee_id: int):
    """The employee has left: their phones stop working at once."""
    return _switch(employee_id, False)


@bp.post("/<id:employee_id>/reactivate")
def reactivate(employee_id: int):
    """The employee is back (their phones must be enrolled again)."""
    return _switch(employee_id, True)


@bp.post("/<id:employee_id>/devices/<id:device_id>/revoke")
def revoke(employee_id: int, device_id: int):
    """Stop one enrolled phone (lost, changed)."""
    device = db.session.scalar(select(EmployeeDevice).where(
        EmployeeDevice.id == device_id, EmployeeDevice.employee_id == employee_id))
    if device is None:
        return render_template("errors/404.html"), 404
    if ActionForm().validate_on_submit():
        register.revoke_device(device)
        audit.record("employee_device_revoke", {"employee": employee_id, "device": device_id})
        db.session.commit()
        flash(_("The phone can no longer check in."), "success")
    return redirect(url_for(".edit", employee_id=employee_id))


@bp.route("/import", methods=["GET", "POST"])
@large_body(LARGE_BODY_BYTES)
@reads_only
def import_file():
    """Upload a register file and see, row by row, what importing it would do (nothing is
    written, and no transaction is open while the file is read: check-ins go on)."""
    form = ImportForm()
    preview, error = None, None
    if form.validate_on_submit():
        upload = form.register_file.data
        db.session.commit()  # the sign-in's reads end here
        try:
            preview = register_import.preview(upload.filename or "", upload.read())
        except register_import.ImportError_ as problem:
            error = str(problem)
    status = 400 if (form.errors or error) else 200
    confirm = ConfirmImportForm(formdata=None)
    if preview is not None and not preview.errors:
        confirm.sealed.data = register_import.sealed(preview.entries)
    return render_template("employees/import.html", form=form, preview=preview, error=error,
                           confirm=confirm), status


@bp.get("/import/sample.csv")
def sample_csv():
    """A register to start from: the headings the import reads and one example row."""
    return csv_download([register_sample.sample_csv()], SAMPLE_NAME + ".csv")


@bp.get("/import/sample.xlsx")
def sample_xlsx():
    """The sample register as a workbook whose phone and ID columns are text."""
    return xlsx_download(io.BytesIO(register_sample.sample_xlsx()), SAMPLE_NAME + ".xlsx")


@bp.post("/import/confirm")
@large_body(LARGE_BODY_BYTES)
@writes_late
def confirm_import():
    """Store what the checked file said (nothing was written before), a chunk at a time."""
    form = ConfirmImportForm()
    entries = register_import.unsealed(form.sealed.data or "") if form.validate_on_submit() \
        else None
    if entries is None:
        flash(_("The confirmation was too old or not valid: upload the file again."), "error")
        return redirect(url_for(".import_file"))
    counts = register_import.apply(entries)
    with write_transaction():
        audit.record("employee_import", counts, rows=len(entries))
    flash(_("Imported: %(new)d added, %(update)d updated, %(unchanged)d unchanged.", **counts),
          "success")
    return redirect(url_for(".index"))


@bp.post("/sheet")
def sheet():
    """Issue a department's enrolment codes (a personal QR code per employee, used once,
    within 7 days; codes printed before for them stop working), then show them on a page of
    its own: reloading the sheet, or coming back to it, shows the same codes."""
    form = _sheet_form()
    if not form.validate_on_submit() or form.department.data not in dict(form.department.choices):
        flash(_("Choose a department from the list."), "error")
        return redirect(url_for(".index"))
    if not public_url():
        return _no_public_url()
    staff = register.search(department=form.department.data, limit=10_000)
    key = enrolment.new_sheet(staff)
    audit.record("employee_sheet", {"employees": len(staff)})
    db.session.commit()
    # In the query string, which no access log keeps.
    return redirect(url_for(".printed_sheet", sheet=enrolment.sheet_reference(
        form.department.data, key, current_user.id)))


def _no_public_url():
    flash(_("No public address is configured, so there are no QR codes yet. Set "
            "GATEBOOK_PUBLIC_URL to the address phones use to reach Gatebook and restart "
            "the server."), "error")
    return redirect(url_for(".index"))


@bp.get("/sheet")
def printed_sheet():
    """The sheet just issued, to print: its codes that still work, loaded as often as need
    be (nothing is issued here)."""
    found = enrolment.sheet_of(request.args.get("sheet", "")[:1000], current_user.id)
    if found is None:
        flash(_("This enrolment sheet can no longer be shown (it can be for %(hours)d hours "
                "after printing). The codes printed on it still work; printing the sheet "
                "again replaces them.", hours=enrolment.SHEET_PAGE_HOURS), "error")
        return redirect(url_for(".index"))
    base = public_url()
    if not base:
        return _no_public_url()
    department, key = found
    staff = register.search(department=department, limit=10_000)
    codes = enrolment.sheet_codes(key, staff)
    cards = [(employee, posters.qr_data_uri(external_url(base, "enrolment.by_sheet",
                                                         code=codes[employee.id])))
             for employee in staff if employee.id in codes]
    return render_template("employees/sheet.html", department=department, cards=cards,
                           without=[employee for employee in staff if employee.id not in codes],
                           days=enrolment.ENROLMENT_DAYS)
