"""notify-customer's SMTP (issue 13): certificates are verified and a password never crosses in clear.

Against a real SMTP server on a free port (tests/fixtures/smtp.py), with STARTTLS (a self-signed, a
wrongly named or a trusted certificate) or without TLS. Before the fix `starttls()` had no context, so any
certificate got the password. Each case checks what the server saw (its `auth` events), not only what the
client raised. (TLS from the start on port 465 uses the same verifying context; it is not run here, since
the test would need port 465.)
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from openchecks.config import Settings
from openchecks.notify import InsecureSmtp, send_email, send_smtp

from tests.fixtures.smtp import SmtpServer, Tls, self_signed_cert

pytestmark = pytest.mark.integration

PASSWORD = "smtp-test-password-9f2c"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[SmtpServer]]:
    started: list[SmtpServer] = []
    yield started
    for server in started:
        server.stop()


def _server(servers: list[SmtpServer], tls: Tls, cert: Path | None = None) -> SmtpServer:
    server = SmtpServer(tls=tls, cert=cert).start()
    servers.append(server)
    return server


def _settings(server: SmtpServer, username: str = "openchecks") -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        smtp_username=username,
        smtp_password=PASSWORD if username else "",
        smtp_from="openchecks@example.com",
    )


def _message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "openchecks@example.com", "c@example.com", "test"
    msg.set_content("hello")
    return msg


def test_a_self_signed_certificate_is_refused_before_the_password(
    servers: list[SmtpServer], tmp_path: Path
) -> None:
    server = _server(servers, "starttls", self_signed_cert(tmp_path, "127.0.0.1"))
    with pytest.raises(ssl.SSLCertVerificationError):
        send_smtp(_settings(server), _message())
    assert "starttls" in server.events and "auth" not in server.events and server.auth_lines == []
    assert server.messages == []


def test_a_certificate_for_another_name_is_refused(servers: list[SmtpServer], tmp_path: Path) -> None:
    cert = self_signed_cert(tmp_path, "mail.example")
    server = _server(servers, "starttls", cert)
    trusting = ssl.create_default_context(cafile=str(cert))  # trusted, but not for 127.0.0.1
    with pytest.raises(ssl.SSLCertVerificationError):
        send_smtp(_settings(server), _message(), context=trusting)
    assert "auth" not in server.events


def test_a_trusted_certificate_gets_the_login_over_tls(
    servers: list[SmtpServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = self_signed_cert(tmp_path, "127.0.0.1")
    server = _server(servers, "starttls", cert)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the system CA store, as the default context reads it
    assert send_email(_settings(server), "x@example.com", "c@example.com", "subject", "text") == "smtp"
    assert server.events.index("starttls") < server.events.index("auth") < server.events.index("data")
    assert len(server.messages) == 1 and b"text" in server.messages[0]


def test_no_password_over_a_server_without_starttls(servers: list[SmtpServer]) -> None:
    server = _server(servers, "none")
    with pytest.raises(InsecureSmtp) as info:
        send_smtp(_settings(server), _message())
    assert "STARTTLS" in str(info.value) and PASSWORD not in str(info.value)
    assert "auth" not in server.events and server.auth_lines == [] and server.messages == []


def test_a_relay_without_credentials_still_takes_mail_in_clear(servers: list[SmtpServer]) -> None:
    server = _server(servers, "none")
    send_smtp(_settings(server, username=""), _message())
    assert "auth" not in server.events and len(server.messages) == 1
