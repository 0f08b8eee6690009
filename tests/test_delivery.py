"""The daily delivery to the health centre by e-mail, through a real mail server (aiosmtpd) in
the test process: one message per recipient, the file encrypted with the agreed password, a
body of counts only; retries with growing delays, once across servers; `flask deliver`."""

from __future__ import annotations

import io
import ipaddress
import socket
import ssl
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import SimpleNamespace

import msoffcrypto
import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from msoffcrypto.exceptions import InvalidKeyError
from openpyxl.utils.exceptions import InvalidFileException

from app import jobs
from app.extensions import db
from app.reports import delivery, delivery_settings
from app.store.models import AuditEvent, Delivery, DeliverySettings, DeliveryStatus
from tests.conftest import VALID_VISITOR, Phone, StaffBrowser, csrf_from, with_gate

RECIPIENTS = ["phongdich@ttyt.example.vn", "bs.lan@ttyt.example.vn"]
FILE_PASSWORD = "Tram-y-te-2021"
SENDER = "so-vao-ra@phuong.example.vn"
FLAGGED_VISITOR = {"full_name": "Trần Thị Bình", "phone": "0987654321",
                   "id_number": "001190054321", "symptom_fever": "yes"}


class Inbox:
    """What the mail server received: (envelope recipients, message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.raw.append(envelope.content)
        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox():
    """A mail server listening on 127.0.0.1, for the test's length."""
    found = Inbox()
    controller = Controller(found, hostname="127.0.0.1", port=free_port())
    controller.start()
    found.port = controller.port
    yield found
    controller.stop()


def mail_settings(port: int) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_SECURITY": "none",
            "MAIL_SENDER": SENDER, "SMTP_TIMEOUT_SECONDS": 5, "BACKUP_TIME": ""}


@pytest.fixture
def smtp_port(request, inbox) -> int:
    """The mail server's port; a port nobody listens on for tests marked no_mail_server."""
    return free_port() if request.node.get_closest_marker("no_mail_server") else inbox.port


@pytest.fixture
def app(request, make_app, smtp_port):
    """The app, sending through the test's mail server (and the test's app_settings)."""
    marker = request.node.get_closest_marker("app_settings")
    return with_gate(make_app(**{**mail_settings(smtp_port), **(marker.kwargs if marker else {})}))


def save_settings(admin, **changes):
    """Post the delivery page's form as an admin fills it in (None leaves a field out)."""
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "enabled": "y", "recipients": "\n".join(RECIPIENTS),
            "send_at": "07:00", "password": FILE_PASSWORD, **changes}
    return admin.client.post("/admin/delivery",
                             data={key: value for key, value in data.items() if value is not None})


@pytest.fixture
def day_with_visitors(app, clock):
    """Two parties on 14/07/2021 (one flagged, with a companion), checked in from phones."""
    Phone(app.test_client()).check_in(**{"companions-0-full_name": "Nguyễn Bảo Ngọc",
                                         "companions-0-birth_year": "2016",
                                         "companions-0-answer": "none"})
    flagged = Phone(app.test_client())
    flagged.check_in(**FLAGGED_VISITOR)
    return clock


def at(clock, hhmm: str, day: int = 15) -> None:
    """Move the clock to a local time in Hanoi (UTC+7), in July 2021."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    clock.now = datetime(2021, 7, day, tzinfo=UTC) + timedelta(hours=hours - 7, minutes=minutes)


def attachment_of(message: EmailMessage) -> bytes:
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return part.get_content()


def decrypt(data: bytes, password: str) -> openpyxl.Workbook:
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password=password)
    plain = io.BytesIO()
    office.decrypt(plain)
    return openpyxl.load_workbook(plain)


def deliveries(app) -> dict:
    with app.app_context():
        return {row.day.isoformat(): row for row in db.session.scalars(db.select(Delivery))}


def audit_entries(app, *actions: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action.in_(actions)).order_by(AuditEvent.id)))


# --- the scheduled delivery ------------------------------------------------------------------

def test_at_the_time_each_recipient_gets_the_day_encrypted(app, admin, inbox,
                                                          day_with_visitors):
    clock = day_with_visitors
    assert save_settings(admin).status_code == 302
    at(clock, "06:59")
    jobs.run_jobs(app)
    assert inbox.messages == []  # not before the time

    at(clock, "07:00")
    jobs.run_jobs(app)
    assert sorted(to for to, _ in inbox.messages) == [[address] for address in sorted(RECIPIENTS)]
    for to, message in inbox.messages:
        assert message["To"] == to[0] and SENDER in message["From"]
        assert "14/07/2021" in message["Subject"]
        workbook = decrypt(attachment_of(message), FILE_PASSWORD)
        names = [row[5] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
        assert VALID_VISITOR["full_name"] in names and FLAGGED_VISITOR["full_name"] in names
    # Counts only: the two visits, three people, one flagged; no name, phone or ID number.
    body = inbox.messages[0][1].get_body(("plain",)).get_content()
    assert "Số lượt vào: 2" in body and "kể cả người đi cùng): 3" in body
    assert "Số lượt có cảnh báo y tế: 1" in body
    for _, message in inbox.messages:  # every header and the body, decoded
        text = "\n".join(f"{name}: {value}" for name, value in message.items())
        text += message.get_body(("plain",)).get_content()
        for visitor in (VALID_VISITOR, FLAGGED_VISITOR):
            phone = visitor["phone"]
            for personal in (visitor["full_name"], " ".join(visitor["full_name"].split()[-2:]),
                             phone, f"{phone[:4]} {phone[4:7]} {phone[7:]}",
                             visitor["id_number"]):
                assert personal not in text
    assert all(VALID_VISITOR["phone"].encode() not in raw for raw in inbox.raw)

    at(clock, "07:01")
    jobs.run_jobs(app)
    at(clock, "09:00")
    jobs.run_jobs(app)
    assert len(inbox.messages) == 2  # sent once
    row = deliveries(app)["2021-07-14"]
    assert (row.status, row.attempts, row.sent_to.split()) == (DeliveryStatus.SENT, 1, RECIPIENTS)
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    assert "14/07/2021" in page and "07:00 15/07/2021" in page
    assert all(address in page for address in RECIPIENTS)
    [entry] = audit_entries(app, "delivery", "delivery_failed")
    assert entry.action == "delivery" and entry.row_count == 3
    assert entry.details == {"day": "2021-07-14", "via": "daily", "recipients": 2, "attempt": 1}


def test_the_file_does_not_open_without_the_password(app, admin, inbox, day_with_visitors):
    save_settings(admin)
    at(day_with_visitors, "07:00")
    jobs.run_jobs(app)
    data = attachment_of(inbox.messages[0][1])
    with pytest.raises((zipfile.BadZipFile, InvalidFileException)):
        openpyxl.load_workbook(io.BytesIO(data))
    with pytest.raises(InvalidKeyError):
        decrypt(data, "not-the-password")
    assert msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()


def test_nothing_is_sent_while_delivery_is_off_or_for_a_day_before_it_was_on(
        app, admin, inbox, day_with_visitors):
    clock = day_with_visitors
    save_settings(admin, enabled=None)
    at(clock, "07:00")
    jobs.run_jobs(app)
    at(clock, "08:00")
    save_settings(admin)  # switched on after today's time: from tomorrow
    jobs.run_jobs(app)
    assert inbox.messages == [] and deliveries(app) == {}
    at(clock, "07:00", day=16)
    jobs.run_jobs(app)
    assert len(inbox.messages) == 2 and list(deliveries(app)) == ["2021-07-15"]


@pytest.mark.no_mail_server
def test_a_refused_connection_is_retried_with_growing_delays_for_six_hours(
        app, admin, day_with_visitors):
    clock = day_with_visitors
    save_settings(admin)
    at(clock, "07:00")
    jobs.run_jobs(app)
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    assert "refused the connection" in page and "07:01 15/07/2021" in page
    tries = []
    for minute in range(0, 7 * 60):  # one round a minute, from 07:00 to 13:59
        at(clock, f"{7 + minute // 60:02d}:{minute % 60:02d}")
        jobs.run_jobs(app)
        attempts = deliveries(app)["2021-07-14"].attempts
        if attempts > len(tries):
            tries.append(minute)
    # 1, 2, 4 … minutes apart, then every hour, until 6 hours after the time.
    assert tries == [0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 303]
    row = deliveries(app)["2021-07-14"]
    assert row.status == DeliveryStatus.FAILED and row.next_try_at is None
    assert "refused the connection" in row.last_error
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    assert "refused the connection" in page and "deliver --day 2021-07-14" in page
    entries = audit_entries(app, "delivery", "delivery_failed")
    assert [entry.details["attempt"] for entry in entries] == list(range(1, 12))
    assert {entry.action for entry in entries} == {"delivery_failed"}


def test_a_day_the_server_was_off_all_morning_is_marked_missed(app, admin, inbox,
                                                               day_with_visitors):
    save_settings(admin)
    at(day_with_visitors, "13:01")  # the first round after 6 hours past the time
    jobs.run_jobs(app)
    assert inbox.messages == []
    row = deliveries(app)["2021-07-14"]
    assert row.status == DeliveryStatus.FAILED
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    assert "máy chủ không chạy trong 6 giờ sau giờ gửi" in page


def test_after_secret_key_changes_the_password_is_asked_for_again(make_app, smtp_port, app,
                                                                  admin, inbox, clock):
    save_settings(admin)
    moved = make_app(**{**mail_settings(smtp_port), "SECRET_KEY": "another-secret"})
    warning = "Không còn đọc được mật khẩu tệp đã lưu"
    assert warning not in admin.client.get("/admin/delivery").get_data(as_text=True)
    admin_there = StaffBrowser(moved.test_client())
    admin_there.login_admin()
    assert warning in admin_there.client.get("/admin/delivery").get_data(as_text=True)
    with moved.app_context():
        outcome = delivery.attempt(clock.now.date(), RECIPIENTS)
    assert outcome.error == "password" and inbox.messages == []


def test_a_retry_goes_to_the_recipients_who_do_not_have_it_yet(app, admin, inbox,
                                                              day_with_visitors):
    save_settings(admin)
    with app.app_context():  # as if the first try had reached the first recipient only
        db.session.add(Delivery(day=day_with_visitors.now.date(), status=DeliveryStatus.PENDING,
                                attempts=1, sent_to=RECIPIENTS[0], last_error="smtp: 421"))
        db.session.commit()
    at(day_with_visitors, "07:05")
    jobs.run_jobs(app)
    assert [to for to, _ in inbox.messages] == [[RECIPIENTS[1]]]
    row = deliveries(app)["2021-07-14"]
    assert row.status == DeliveryStatus.SENT and row.attempts == 2


def test_two_servers_send_each_day_once(make_app, smtp_port, inbox, staff, admin,
                                        day_with_visitors, app, monkeypatch):
    clock = day_with_visitors
    save_settings(admin)
    other = make_app(**mail_settings(smtp_port))  # a second server on the same database
    processes = [app, other, app, other]
    start, found = threading.Barrier(len(processes)), threading.Barrier(len(processes),
                                                                        timeout=20)
    due_turn = delivery.due_turn

    def every_process_finds_the_day_due():
        turn = due_turn()
        db.session.rollback()  # SQLite: let the others read too
        found.wait()  # all at once, before any of them has claimed it
        return turn

    monkeypatch.setattr(delivery, "due_turn", every_process_finds_the_day_due)

    def server_round(server) -> None:
        start.wait()
        jobs.run_jobs(server)

    for time in ("07:00", "07:01", "07:02", "08:00"):
        at(clock, time)
        with ThreadPoolExecutor(max_workers=len(processes)) as pool:
            list(pool.map(server_round, processes))
    assert sorted(to[0] for to, _ in inbox.messages) == sorted(RECIPIENTS)
    assert len(audit_entries(app, "delivery", "delivery_failed")) == 1


@pytest.mark.app_settings(RETENTION_DAYS=1, AUDIT_RETENTION_DAYS=1)
def test_nothing_is_sent_for_a_day_past_the_retention_period(app, admin, inbox,
                                                             day_with_visitors):
    save_settings(admin)
    at(day_with_visitors, "07:00")  # the 14th's first hours are past a day's retention
    jobs.run_jobs(app)
    at(day_with_visitors, "07:10")
    jobs.run_jobs(app)
    assert inbox.messages == []
    row = deliveries(app)["2021-07-14"]
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    assert "Ngày này đã quá thời hạn lưu" in page


# --- by hand ---------------------------------------------------------------------------------

def test_flask_deliver_sends_a_missed_day(app, admin, inbox, runner, day_with_visitors):
    save_settings(admin, enabled=None)  # the daily delivery is off: a day is sent by hand
    at(day_with_visitors, "10:00", day=20)
    result = runner.invoke(args=["deliver", "--day", "2021-07-14"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"Sent the file of 2021-07-14 (3 people) to "
                                     f"{', '.join(RECIPIENTS)}.")
    assert sorted(to[0] for to, _ in inbox.messages) == sorted(RECIPIENTS)
    decrypt(attachment_of(inbox.messages[0][1]), FILE_PASSWORD)
    assert deliveries(app)["2021-07-14"].status == DeliveryStatus.SENT
    [entry] = audit_entries(app, "delivery")
    assert entry.details["via"] == "command line" and entry.user_id is None

    again = runner.invoke(args=["deliver", "--day", "2021-07-14"])
    assert again.exit_code == 0 and "was sent already" in again.output
    assert len(inbox.messages) == 2
    assert runner.invoke(args=["deliver", "--day", "2021-07-14", "--again"]).exit_code == 0
    assert len(inbox.messages) == 4


@pytest.mark.parametrize(("day", "message"), [
    ("2021-06-28", "2021-06-28 is past the retention period (21 days)"),
    ("14/07/2021", "'14/07/2021' is not a date: write it as YYYY-MM-DD"),
    ("2021-02-30", "'2021-02-30' is not a date"),
    ("2021-07-20", "2021-07-20 is not over yet"),
])
def test_flask_deliver_refuses_a_bad_day(app, admin, inbox, runner, clock, day, message):
    save_settings(admin)
    at(clock, "10:00", day=20)
    result = runner.invoke(args=["deliver", "--day", day])
    assert result.exit_code == 2 and message in result.output, result.output
    assert inbox.messages == [] and deliveries(app) == {}


@pytest.mark.no_mail_server
def test_flask_deliver_says_why_it_failed(app, admin, runner, day_with_visitors):
    save_settings(admin)
    at(day_with_visitors, "10:00", day=20)
    result = runner.invoke(args=["deliver", "--day", "2021-07-14"])
    assert result.exit_code == 1
    assert "was not sent: The mail server: 127.0.0.1:" in result.output
    assert "refused the connection" in result.output
    assert deliveries(app)["2021-07-14"].status == DeliveryStatus.FAILED
    assert [entry.details["via"] for entry in audit_entries(app, "delivery_failed")] == [
        "command line"]


# --- the admins' page ------------------------------------------------------------------------

def test_the_test_button_sends_yesterday_now(app, admin, inbox, day_with_visitors):
    save_settings(admin, enabled=None)
    at(day_with_visitors, "16:00")
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    response = admin.client.post("/admin/delivery/test", data={"csrf_token": csrf_from(page)},
                                 follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "14/07/2021" in html and all(address in html for address in RECIPIENTS)
    assert len(inbox.messages) == 2
    assert inbox.messages[0][1]["Subject"].startswith("[Gửi thử]")
    decrypt(attachment_of(inbox.messages[0][1]), FILE_PASSWORD)
    assert deliveries(app) == {}  # not the day's delivery
    [entry] = audit_entries(app, "delivery")
    assert entry.details["via"] == "test" and entry.username == "lan"


@pytest.mark.no_mail_server
def test_the_test_button_shows_the_failure(app, admin, day_with_visitors):
    save_settings(admin)
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    html = admin.client.post("/admin/delivery/test", data={"csrf_token": csrf_from(page)},
                             follow_redirects=True).get_data(as_text=True)
    assert "refused the connection" in html
    assert audit_entries(app, "delivery_failed")[0].details["via"] == "test"


def test_the_password_is_kept_encrypted_and_never_shown(app, admin):
    assert save_settings(admin).status_code == 302
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    assert FILE_PASSWORD not in page
    with app.app_context():
        stored = db.session.get(DeliverySettings, 1)
        assert stored.password_encrypted and FILE_PASSWORD not in stored.password_encrypted
    # Saved again without a password: the one saved is kept.
    assert save_settings(admin, password="", send_at="6:30").status_code == 302
    with app.app_context():
        assert delivery_settings.file_password() == FILE_PASSWORD
        assert db.session.get(DeliverySettings, 1).send_at == "06:30"
    [*_, entry] = audit_entries(app, "delivery_settings")
    assert entry.details == {"enabled": True, "recipients": 2, "time": "06:30",
                             "password_changed": False}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"recipients": "phongdich@ttyt\nbs lan@x.vn"}, "recipients",
     "Không phải địa chỉ e-mail: phongdich@ttyt"),
    ({"recipients": ""}, "recipients", "Thêm ít nhất một người nhận"),
    ({"recipients": "\n".join(f"a{n}@ttyt.example.vn" for n in range(11))}, "recipients",
     "Tối đa 10 người nhận"),
    ({"send_at": "7h"}, "send_at", "Nhập giờ theo dạng HH:MM"),
    ({"send_at": "24:00"}, "send_at", "Nhập giờ theo dạng HH:MM"),
    ({"password": "ngan"}, "password", "Dùng từ 8 đến 100 ký tự"),
    ({"password": ""}, "password", "Đặt mật khẩu tệp"),
])
def test_bad_settings_are_refused_with_a_clear_message(app, admin, changes, field, message):
    response = save_settings(admin, **changes)
    assert response.status_code == 400
    from tests.conftest import error_text
    assert message in error_text(response.get_data(as_text=True), field)
    with app.app_context():
        assert db.session.get(DeliverySettings, 1) is None


@pytest.mark.app_settings(SMTP_HOST="")
def test_the_page_says_when_no_mail_server_is_configured(app, admin):
    page = admin.client.get("/admin/delivery").get_data(as_text=True)
    assert "SMTP_HOST" in page and "MAIL_SENDER" in page


def test_only_admins_open_the_delivery_page(app, desk, client):
    assert desk.client.get("/admin/delivery").status_code == 403
    assert desk.post("/admin/delivery/test").status_code == 403
    assert client.get("/admin/delivery").status_code == 302


# --- over TLS --------------------------------------------------------------------------------

def self_signed_certificate(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files in `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                  critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "mail.pem", folder / "mail.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


class Accounts:
    """The mail server's one account."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"gatebook", b"mat-khau-thu")
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture
def tls_inbox(tmp_path):
    """A mail server that requires STARTTLS and a sign-in, with a self-signed certificate."""
    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    found, accounts = Inbox(), Accounts()
    controller = Controller(found, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, auth_required=True, authenticator=accounts)
    controller.start()
    found.port, found.cert_file, found.accounts = controller.port, cert_file, accounts
    yield found
    controller.stop()


def tls_app(make_app, tls_inbox):
    """An app sending through the TLS mail server, its delivery set up."""
    app = with_gate(make_app(**{**mail_settings(tls_inbox.port), "SMTP_SECURITY": "starttls",
                                "SMTP_USER": "gatebook", "SMTP_PASSWORD": "mat-khau-thu"}))
    with app.app_context():
        delivery_settings.save(True, RECIPIENTS, "07:00", FILE_PASSWORD, SimpleNamespace(id=None))
        db.session.commit()
    return app


def test_starttls_and_the_sign_in_to_a_trusted_server(make_app, tls_inbox, monkeypatch, clock):
    monkeypatch.setenv("SSL_CERT_FILE", tls_inbox.cert_file)  # as a CA the system trusts
    app = tls_app(make_app, tls_inbox)
    with app.app_context():
        outcome = delivery.attempt(clock.now.date(), RECIPIENTS)
    assert outcome.ok, outcome.error
    assert len(tls_inbox.messages) == 2 and tls_inbox.accounts.logins == ["gatebook"]
    decrypt(attachment_of(tls_inbox.messages[0][1]), FILE_PASSWORD)


def test_a_server_whose_certificate_is_not_trusted_gets_nothing(make_app, tls_inbox, clock):
    app = tls_app(make_app, tls_inbox)
    with app.app_context():
        outcome = delivery.attempt(clock.now.date(), RECIPIENTS)
    assert "the certificate of 127.0.0.1 is not trusted" in outcome.error
    assert tls_inbox.messages == [] and tls_inbox.accounts.logins == []
