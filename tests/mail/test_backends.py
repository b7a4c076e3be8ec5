"""Each mail backend against a real peer: files on disk, an SMTP sink, a SendGrid stand-in."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy

import pytest
from aiosmtpd.controller import Controller

from local.embedded import free_port
from shared import process_state
from shared.mail import Attachment, MailDeliveryError, compose, get_mailer
from shared.mail.files import FileMailer
from shared.mail.sendgrid import SendGridMailer
from shared.mail.smtp import SmtpMailer
from tests.support.sendgrid import SendGridStandIn

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def sample():
    return compose(
        sender="Event Manager <no-reply@events.example.org>",
        to="Пётр <petr@example.org>",
        subject="Вы зарегистрированы — Python meetup",
        text="See you there.\nhttps://events.example.org/verify-email?token=abc",
        html="<p>See you <b>there</b>.</p>",
        headers={"List-Unsubscribe": "<https://events.example.org/unsubscribe/t>"},
        attachments=(Attachment("event.ics", ICS, "text/calendar"),),
    )


def test_file_outbox_writes_parseable_rfc5322(tmp_path):
    FileMailer(tmp_path).send(sample())
    [path] = list(tmp_path.glob("*.eml"))
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Вы зарегистрированы — Python meetup"
    assert parsed["To"].addresses[0].addr_spec == "petr@example.org"
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "verify-email?token=abc" in text.get_content()
    assert "<b>there</b>" in html.get_content()
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_payload(decode=True) == ICS
    assert not list(tmp_path.glob("*.part"))


class Sink:
    """Takes every message, except to addresses starting with "nobody" (550 at RCPT)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("nobody"):
            return "550 5.1.1 no such user"
        if address.startswith("greylisted"):
            return "451 4.7.1 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def test_smtp_delivers_to_a_real_smtp_server(smtp_sink):
    sink, port = smtp_sink
    SmtpMailer(f"smtp://127.0.0.1:{port}").send(sample())
    [raw] = sink.messages
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Вы зарегистрированы — Python meetup"
    assert len(list(parsed.iter_attachments())) == 1


def test_smtp_sends_a_batch_over_one_connection_and_a_refusal_stops_only_its_mail(smtp_sink):
    sink, port = smtp_sink
    mails = [
        compose(sender="a@events.example.org", to=f"{who}@example.org", subject="s", text="t")
        for who in ("ann", "nobody", "bob", "greylisted")
    ]
    outcomes = SmtpMailer(f"smtp://127.0.0.1:{port}").send_many(mails)
    assert outcomes[0] is None
    assert outcomes[2] is None
    assert outcomes[1] is not None
    assert outcomes[1].retryable is False  # 5xx: final
    assert outcomes[3] is not None
    assert outcomes[3].retryable is True  # 4xx (greylisting): later
    assert len(sink.messages) == 2
    assert sink.connections == 1


def test_smtp_down_is_a_retryable_failure():
    with pytest.raises(MailDeliveryError) as failure:
        SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout=2).send(sample())
    assert failure.value.retryable


def test_sendgrid_posts_the_message_with_the_official_client(sendgrid_api):
    SendGridMailer("SG.test-key", sendgrid_api).send(sample())
    [request] = SendGridStandIn.received
    assert request["path"] == "/v3/mail/send"
    assert request["auth"] == "Bearer SG.test-key"
    body = request["body"]
    assert body["from"] == {"email": "no-reply@events.example.org", "name": "Event Manager"}
    assert body["personalizations"][0]["to"] == [{"email": "petr@example.org", "name": "Пётр"}]
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["attachments"][0]["filename"] == "event.ics"
    [personal] = body["personalizations"]
    assert personal["headers"]["List-Unsubscribe"] == "<https://events.example.org/unsubscribe/t>"


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (503, True), (400, False)])
def test_sendgrid_refusals_say_whether_to_retry(sendgrid_api, status, retryable):
    # Retryable refusals are tried again a few times here before the task's own retry.
    SendGridStandIn.answers = [status] * 10
    SendGridStandIn.reset_in = 2
    waits: list[float] = []
    with pytest.raises(MailDeliveryError) as failure:
        SendGridMailer("SG.test-key", sendgrid_api, sleep=waits.append).send(sample())
    assert failure.value.retryable is retryable
    assert len(SendGridStandIn.received) == (4 if retryable else 1)
    if status == 429:  # as long as X-RateLimit-Reset says (a whole second, 1 to 2 s away)
        assert len(waits) == 3
        assert all(1.0 <= wait <= 2.2 for wait in waits), waits
    else:  # exponential backoff
        assert waits == ([1.0, 2.0, 4.0] if retryable else [])


def test_settings_choose_the_backend(monkeypatch, tmp_path):
    try:
        monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
        process_state.reset()
        assert isinstance(get_mailer(), FileMailer)
        monkeypatch.setenv("SMTP_URL", "smtp://127.0.0.1:2525")
        process_state.reset()
        assert isinstance(get_mailer(), SmtpMailer)
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.x")
        process_state.reset()
        assert isinstance(get_mailer(), SendGridMailer)
    finally:
        monkeypatch.undo()
        process_state.reset()
