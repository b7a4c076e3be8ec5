"""Outgoing mail behind one interface; the backend is chosen by the settings.

SendGrid when `SENDGRID_API_KEY` is set, else SMTP when `SMTP_URL` is set, else `.eml` files
in the data dir's `outbox/` (the embedded default, where a person or a test can open them).
"""

from __future__ import annotations

from shared import process_state
from shared.config import get_settings
from shared.mail.message import Attachment, Mail, MailDeliveryError, Mailer, compose

__all__ = ["Attachment", "Mail", "MailDeliveryError", "Mailer", "compose", "get_mailer"]


@process_state.cached
def get_mailer() -> Mailer:
    settings = get_settings()
    if settings.sendgrid_api_key:
        from shared.mail.sendgrid import SendGridMailer

        return SendGridMailer(
            settings.sendgrid_api_key,
            settings.sendgrid_api_url,
            timeout=settings.mail_timeout_seconds,
            batch=settings.mail_batch_size,
        )
    if settings.smtp_url:
        from shared.mail.smtp import SmtpMailer

        return SmtpMailer(settings.smtp_url, timeout=settings.mail_timeout_seconds)
    from shared.mail.files import FileMailer

    return FileMailer(settings.mail_outbox_dir)
