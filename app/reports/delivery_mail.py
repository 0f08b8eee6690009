"""The daily delivery's e-mails: the day's XLSX encrypted with the file password (Excel and
LibreOffice ask for it on opening), a body of counts only, and the mail server they go
through (SMTP_* settings, app.config).

The body is in Vietnamese whatever the page's language, like the file: it is for the health
centre. It never names a visitor: the counts are all it says of them.
"""

from __future__ import annotations

import io
import smtplib
import socket
import ssl
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from msoffcrypto.format.ooxml import OOXMLFile

from ..config import smtp_port
from ..store import clock
from .delivery_settings import DeliveryError
from .export_files import XLSX_MIMETYPE

# The most of a mail server's answer kept as the error (it is shown on the admins' page).
ERROR_CHARACTERS = 250


@dataclass(frozen=True)
class DayCounts:
    """What the body says of the day: visits, people (companions too), flagged visits."""

    visits: int
    people: int
    flagged: int


def encrypt(xlsx: bytes, password: str) -> bytes:
    """The workbook encrypted with the password (ECMA-376 agile encryption, as Excel does)."""
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx)).encrypt(password, encrypted)
    return encrypted.getvalue()


def body(day: date, counts: DayCounts) -> str:
    """The e-mail's text: the day, the counts, how to open the file."""
    org = current_app.config["ORG_NAME"]
    return (
        f"Kính gửi Trung tâm Y tế,\n\n"
        f"{org} gửi danh sách khai báo y tế của những người vào cơ quan ngày "
        f"{day:%d/%m/%Y} (tệp Excel đính kèm).\n\n"
        f"Số lượt vào: {counts.visits}\n"
        f"Số người (kể cả người đi cùng): {counts.people}\n"
        f"Số lượt có cảnh báo y tế: {counts.flagged}\n\n"
        f"Tệp được bảo vệ bằng mật khẩu đã thống nhất với {org}: Excel hoặc LibreOffice hỏi "
        f"mật khẩu khi mở tệp. Mật khẩu không bao giờ được gửi kèm thư.\n\n"
        f"Thư này được gửi tự động từ Sổ vào ra (Gatebook).\n")


def message(recipient: str, day: date, counts: DayCounts, attachment: bytes, file_name: str,
            test: bool = False) -> EmailMessage:
    """One recipient's e-mail, with the encrypted file attached."""
    config = current_app.config
    mail = EmailMessage()
    mail["Subject"] = (("[Gửi thử] " if test else "")
                       + f"{config['ORG_NAME']}: danh sách vào ra ngày {day:%d/%m/%Y}")
    mail["From"] = Address(config["ORG_NAME"], addr_spec=config["MAIL_SENDER"])
    mail["To"] = recipient
    mail["Date"] = format_datetime(clock.utcnow())
    mail["Message-ID"] = make_msgid(domain=config["MAIL_SENDER"].rpartition("@")[2])
    mail.set_content(body(day, counts))
    maintype, subtype = XLSX_MIMETYPE.split("/")
    mail.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=file_name)
    return mail


def send(messages: list[tuple[str, EmailMessage]]) -> list[str]:
    """Send each message to its recipient over one connection; the recipients it reached.
    DeliveryError("smtp") when the mail server cannot be reached or refuses, with those it had
    reached before."""
    config = current_app.config
    host, port = config["SMTP_HOST"], smtp_port(config)
    sent: list[str] = []
    server = None
    try:
        server = _connect(host, port)
        for recipient, mail in messages:
            server.send_message(mail, to_addrs=[recipient])
            sent.append(recipient)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError("smtp", error_text(error, host, port), sent) from None
    finally:
        if server is not None:
            with suppress(smtplib.SMTPException, OSError):  # what was sent is sent
                server.quit()
            server.close()
    return sent


def _connect(host: str, port: int) -> smtplib.SMTP:
    config = current_app.config
    timeout = config["SMTP_TIMEOUT_SECONDS"]
    context = ssl.create_default_context()  # the server's certificate and name are checked
    if config["SMTP_SECURITY"] == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config["SMTP_SECURITY"] == "starttls":
            server.starttls(context=context)
        if config["SMTP_USER"]:
            server.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    except BaseException:
        server.close()
        raise
    return server


def error_text(error: BaseException, host: str, port: int) -> str:
    """What went wrong, in a line for the admins' page: the mail server's own words where it
    gave some (never the message's content, which it does not echo)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{address} refused: {code} {_words(reply)}"
                         for address, (code, reply) in error.recipients.items())
    elif isinstance(error, smtplib.SMTPAuthenticationError):
        text = f"the user name or password was refused: {error.smtp_code} " \
               f"{_words(error.smtp_error)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_words(error.smtp_error)}"
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        text = f"{host}:{port} closed the connection"
    elif isinstance(error, ssl.SSLCertVerificationError):
        text = f"the certificate of {host} is not trusted ({error.verify_message})"
    elif isinstance(error, ConnectionRefusedError):
        text = f"{host}:{port} refused the connection"
    elif isinstance(error, socket.gaierror):
        text = f"no mail server found at {host}"
    elif isinstance(error, TimeoutError):
        text = f"no answer from {host}:{port} in time"
    elif isinstance(error, OSError):
        text = f"{host}:{port}: {error.strerror or error}"
    else:
        text = str(error)
    return " ".join(text.split())[:ERROR_CHARACTERS]


def _words(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
