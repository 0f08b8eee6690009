"""Configuration: defaults, instance/config.py, GATEBOOK_* variables, the generated secret."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from app import create_app
from app.config import ConfigError, smtp_port


def test_defaults(tmp_path):
    app = create_app(instance_path=str(tmp_path))
    assert app.config["TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert app.config["RETENTION_DAYS"] == 21
    assert app.config["DEFAULT_LANGUAGE"] == "vi"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/gatebook.sqlite"
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt:131072:8:1"


def test_first_start_writes_a_secret_key_and_reuses_it(tmp_path):
    first = create_app(instance_path=str(tmp_path))
    key = first.config["SECRET_KEY"]
    assert len(key) == 64
    config_file = tmp_path / "config.py"
    assert key in config_file.read_text()
    assert stat.S_IMODE(os.stat(config_file).st_mode) == 0o600
    assert create_app(instance_path=str(tmp_path)).config["SECRET_KEY"] == key


def test_secret_key_is_added_to_an_existing_instance_config(tmp_path):
    (tmp_path / "config.py").write_text('ORG_NAME = "UBND phường Hàng Bạc"\n', encoding="utf-8")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["ORG_NAME"] == "UBND phường Hàng Bạc"
    text = (tmp_path / "config.py").read_text(encoding="utf-8")
    assert text.startswith('ORG_NAME = "UBND phường Hàng Bạc"\n')
    assert app.config["SECRET_KEY"] in text


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('ORG_NAME = "A"\nRETENTION_DAYS = 30\n')
    monkeypatch.setenv("GATEBOOK_ORG_NAME", "Công ty TNHH Bình Minh")
    monkeypatch.setenv("GATEBOOK_RETENTION_DAYS", "28")
    monkeypatch.setenv("GATEBOOK_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("GATEBOOK_DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["ORG_NAME"] == "Công ty TNHH Bình Minh"
    assert app.config["RETENTION_DAYS"] == 28
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/elsewhere.sqlite"
    assert "SECRET_KEY" not in (tmp_path / "config.py").read_text()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("TIMEZONE", "Mars/Olympus", "not a known time zone"),
    ("DEFAULT_LANGUAGE", "fr", "DEFAULT_LANGUAGE must be one of vi, en"),
    ("RETENTION_DAYS", 0, "RETENTION_DAYS must be a whole number"),
    ("RETENTION_DAYS", "21", "RETENTION_DAYS must be a whole number"),
    ("LOGIN_MAX_FAILURES_PER_ADDRESS", 0, "LOGIN_MAX_FAILURES_PER_ADDRESS must be a whole "),
    ("PUBLIC_URL", "vao.example.vn", "PUBLIC_URL must start with http"),
    ("PUBLIC_URL", "https://", "PUBLIC_URL must start with http:// or https:// and name a host"),
    ("ORG_NAME", 1975, "ORG_NAME must be text, not 1975"),
    ("PASSWORD_HASH_METHOD", "md5", "PASSWORD_HASH_METHOD must be scrypt:N:r:p"),
    ("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1", "is too cheap"),
    ("PASSWORD_HASH_METHOD", "scrypt:16384:8:1", "is too cheap"),
    ("BACKUP_TIME", "2:30", "BACKUP_TIME must be a local time as HH:MM"),
    ("BACKUP_TIME", "24:00", "BACKUP_TIME must be a local time as HH:MM"),
    ("JOBS_INTERVAL_SECONDS", 0, "JOBS_INTERVAL_SECONDS must be a number of seconds above 0"),
    ("JOBS_INTERVAL_SECONDS", "60", "JOBS_INTERVAL_SECONDS must be a number, not .60."),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"),
    ("MAX_CONTENT_LENGTH", 1000, "MAX_CONTENT_LENGTH must be a number of bytes of at least"),
])
def test_bad_settings_fail_at_start_with_a_clear_message(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        create_app({name: value, "SECRET_KEY": "x"}, instance_path=str(tmp_path))


def test_the_audit_log_outlives_the_visits(make_app):
    with pytest.raises(ConfigError, match="AUDIT_RETENTION_DAYS must be at least RETENTION_DAYS"):
        make_app(RETENTION_DAYS=30, AUDIT_RETENTION_DAYS=29)


def test_job_and_backup_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEBOOK_BACKUP_TIME", "")
    monkeypatch.setenv("GATEBOOK_JOBS_INTERVAL_SECONDS", "0.5")
    monkeypatch.setenv("GATEBOOK_LOG_LEVEL", "DEBUG")
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    assert app.config["BACKUP_TIME"] == "" and app.config["JOBS_INTERVAL_SECONDS"] == 0.5
    assert app.logger.getEffectiveLevel() == logging.DEBUG
    assert create_app({"SECRET_KEY": "x", "LOG_LEVEL": "WARNING"}, instance_path=str(tmp_path)
                      ).logger.getEffectiveLevel() == logging.WARNING


def test_a_text_setting_stays_text_whatever_it_looks_like(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEBOOK_ORG_NAME", "1975")
    monkeypatch.setenv("GATEBOOK_SECRET_KEY", "123456")
    monkeypatch.setenv("GATEBOOK_RETENTION_DAYS", "30")  # a number is still read as one
    app = create_app(instance_path=str(tmp_path))
    assert app.config["ORG_NAME"] == "1975"
    assert app.config["SECRET_KEY"] == "123456"
    assert app.config["RETENTION_DAYS"] == 30


def test_an_organisation_named_with_digits_exports(staff_app_admin):
    app, admin = staff_app_admin(ORG_NAME="1975")  # as GATEBOOK_ORG_NAME=1975 now sets it
    response = admin.client.get("/admin/export/download",
                                query_string={"start": "2021-07-14", "end": "2021-07-14"})
    assert response.status_code == 200
    assert "1975" in response.headers["Content-Disposition"]


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("GATEBOOK_REQUIRE_ID_NUMBER", "yes", "REQUIRE_ID_NUMBER must be true or false, not 'yes'"),
    ("GATEBOOK_BACKGROUND_JOBS", "1", "BACKGROUND_JOBS must be true or false, not 1"),
    ("GATEBOOK_TRUSTED_PROXIES", "one", "TRUSTED_PROXIES must be a whole number, not 'one'"),
    ("GATEBOOK_TRUSTED_HOSTS", "vao.example.vn", "TRUSTED_HOSTS must be a list"),
    ("GATEBOOK_TRUSTED_HOSTS", "[1]", "TRUSTED_HOSTS must be a list of host names"),
    ("GATEBOOK_MAX_CONTENT_LENGTH", "true", "MAX_CONTENT_LENGTH must be a whole number"),
])
def test_a_setting_of_the_wrong_type_stops_the_start(tmp_path, monkeypatch, variable, value,
                                                     message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):
        create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))


def test_a_number_where_text_belongs_in_the_instance_config_stops_the_start(tmp_path):
    (tmp_path / "config.py").write_text("ORG_NAME = 1975\nSECRET_KEY = 'x'\n")
    with pytest.raises(ConfigError, match="ORG_NAME must be text, not 1975"):
        create_app(instance_path=str(tmp_path))


def test_trusted_hosts_follow_the_public_url(tmp_path):
    def trusted(**settings):
        return create_app({"SECRET_KEY": "x", **settings},
                          instance_path=str(tmp_path)).config["TRUSTED_HOSTS"]

    assert trusted() is None  # no public address: any host (links never come from it)
    assert trusted(PUBLIC_URL="https://Vao.Example.vn:8443/gatebook") == ["vao.example.vn"]
    assert trusted(PUBLIC_URL="https://vao.example.vn",
                   TRUSTED_HOSTS=["vao.example.vn", "10.0.0.5"]) == ["vao.example.vn",
                                                                     "10.0.0.5"]


MAIL = {"SMTP_HOST": "smtp.example.vn", "MAIL_SENDER": "so-vao-ra@example.vn"}


@pytest.mark.parametrize(("settings", "message"), [
    ({"SMTP_SECURITY": "tls"}, "SMTP_SECURITY must be one of starttls, ssl, none, not 'tls'"),
    ({"SMTP_PORT": 70000}, "SMTP_PORT must be a port number"),
    ({"SMTP_PORT": "587"}, "SMTP_PORT must be a whole number"),
    ({"SMTP_TIMEOUT_SECONDS": 0}, "SMTP_TIMEOUT_SECONDS must be a whole number of at least 1"),
    ({"MAIL_SENDER": "so vao ra"}, "MAIL_SENDER must be an e-mail address"),
    ({**MAIL, "MAIL_SENDER": ""}, "MAIL_SENDER must be set when SMTP_HOST is"),
    ({**MAIL, "SMTP_USER": "gatebook"}, "SMTP_USER and SMTP_PASSWORD go together"),
    ({**MAIL, "SMTP_PASSWORD": "secret"}, "SMTP_USER and SMTP_PASSWORD go together"),
    ({**MAIL, "SMTP_USER": "gatebook", "SMTP_PASSWORD": "secret", "SMTP_SECURITY": "none"},
     "the password would cross the network unencrypted"),
])
def test_bad_mail_settings_fail_at_start_with_a_clear_message(tmp_path, settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"SECRET_KEY": "x", **settings}, instance_path=str(tmp_path))


def test_mail_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEBOOK_SMTP_HOST", "smtp.example.vn")
    monkeypatch.setenv("GATEBOOK_SMTP_SECURITY", "ssl")
    monkeypatch.setenv("GATEBOOK_SMTP_USER", "gatebook")
    monkeypatch.setenv("GATEBOOK_SMTP_PASSWORD", "12345678")  # a number-like password: text
    monkeypatch.setenv("GATEBOOK_MAIL_SENDER", "so-vao-ra@example.vn")
    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    assert app.config["SMTP_PASSWORD"] == "12345678"
    assert smtp_port(app.config) == 465  # the usual port for ssl
    assert smtp_port({**app.config, "SMTP_PORT": 2525}) == 2525
    # Without a mail server nothing is asked for: delivery is simply not available.
    assert create_app({"SECRET_KEY": "x", "SMTP_HOST": ""},
                      instance_path=str(tmp_path)).config["MAIL_SENDER"] == "so-vao-ra@example.vn"
