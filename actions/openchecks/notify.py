"""`notify-customer`: when a deposit reaches an outcome, tell the customer once.

Input is the deposit document (the Cloudant `read` action turns each change into it) or a change event
with an `id`. The `deposit-changed` trigger's feed names the filter `notify/outcomes` (FILTER, made by
`openchecks.provision`): only a change that leaves a deposit in a status other than `received` and
`processing` fires it, so the draft and its confirmation (two of a deposit's three changes) start no
activation and no read; `notify_statuses` therefore names outcome statuses only.

A notification is an outbox document in the `notifications` database whose id is derived from the deposit
and the history entry that set its status, so repeated changes never notify twice. When SMTP or SendGrid is
configured the message is also sent, and the outbox document records the result.

SMTP is always encrypted when the server can: port 465 is TLS from the start, any other port upgrades with
STARTTLS when the server offers it. Either way the server's certificate and name are verified against the
system's CA store. A password is never sent without TLS: a server that offers no STARTTLS gets none, and
the message stays in the outbox with the error.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import requests

from openchecks.config import AppConfig, Settings
from openchecks.documents import iso, utc_now
from openchecks.fields import ID_RE, format_cents
from openchecks.runtime import ActionContext, log

SENDGRID_URL = "https://api.sendgrid.com/v3/mail/send"

# The changes-feed filter of the deposits database (CouchDB/Cloudant design document `filters`): deposits in a
# status worth telling the customer about; a deleted draft (no type) and the steps before an outcome pass
# nothing. Which of those statuses are notified is the configuration's `notify_statuses`.
FILTER_DDOC = "notify"
FILTER_NAME = "outcomes"
FILTER_JS = (
    "function (doc, req) { return doc.type === 'deposit' && typeof doc.status === 'string' && "
    "doc.status !== 'received' && doc.status !== 'processing'; }"
)

MESSAGES = {
    "accepted": "Your deposit has been accepted.",
    "needs_review": "Your deposit is being checked by our team; we will let you know the result.",
    "duplicate": "This check looks like one you deposited before, so we are holding it for review.",
    "rejected": "We could not accept your deposit.",
    "failed": "We could not process your deposit. Please deposit the check again.",
}


def recipient(doc: Mapping[str, Any]) -> str:
    """Where a deposit's notifications go: its contact e-mail (the identity provider's `email` of an account
    filed under the provider's `sub`), else the e-mail the deposit is filed under."""
    return str(doc.get("contact_email") or doc.get("email") or "")


def mask(account: str) -> str:
    """Account numbers in messages show only their last four digits."""
    return "****" + account[-4:] if len(account) > 4 else "****"


def compose(doc: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, text) of the message for the deposit's current status."""
    status = str(doc.get("status", ""))
    amount = format_cents(int(doc.get("amount_cents", 0)))
    subject = f"Check deposit of ${amount}: {status.replace('_', ' ')}"
    lines = [
        MESSAGES.get(status, f"Your deposit is now {status}."),
        "",
        f"Amount: ${amount}",
        f"To account: {mask(str(doc.get('to_account', '')))}",
        f"Reference: {doc.get('_id', '')}",
    ]
    last = (doc.get("history") or [{}])[-1]
    if last.get("reason") and status in ("rejected", "failed"):
        lines.append(f"Reason: {last['reason']}")
    return subject, "\n".join(lines)


def notification_id(doc: Mapping[str, Any]) -> str:
    """One id per (deposit, history entry that set the current status)."""
    history = doc.get("history") or []
    index = len(history) - 1
    while index > 0 and history[index].get("status") == history[index - 1].get("status"):
        index -= 1
    return f"note-{doc['_id']}-{index}"


class InsecureSmtp(RuntimeError):
    """The SMTP server offers no TLS but a password is configured: it is not sent."""


def send_smtp(settings: Settings, message: EmailMessage, context: ssl.SSLContext | None = None) -> None:
    """Send `message` through the configured SMTP server (see the module docstring); `context` defaults to
    a verifying one (ssl.create_default_context). Raises on any refusal, InsecureSmtp before a password
    would cross the network in clear."""
    context = context or ssl.create_default_context()
    if settings.smtp_port == 465:
        with smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=15, context=context) as smtp:
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        elif settings.smtp_username:
            raise InsecureSmtp(
                f"The SMTP server {settings.smtp_host}:{settings.smtp_port} offers no STARTTLS, so the "
                "password is not sent; use a server with STARTTLS or TLS on port 465."
            )
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


def send_email(settings: Settings, sender: str, to: str, subject: str, text: str) -> str:
    """Send through SendGrid or SMTP when configured; returns the channel used ("outbox" when neither)."""
    if settings.sendgrid_api_key:
        resp = requests.post(
            SENDGRID_URL,
            timeout=(5, 15),
            headers={"Authorization": f"Bearer {settings.sendgrid_api_key}"},
            json={
                "personalizations": [{"to": [{"email": to}]}],
                "from": {"email": settings.smtp_from or sender},
                "subject": subject,
                "content": [{"type": "text/plain", "value": text}],
            },
        )
        if resp.status_code >= 300:
            raise RuntimeError(f"SendGrid answered HTTP {resp.status_code}")
        return "sendgrid"
    if settings.smtp_host:
        message = EmailMessage()
        message["From"] = settings.smtp_from or sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        send_smtp(settings, message)
        return "smtp"
    return "outbox"


def notify(ctx: ActionContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Write (and send) the notification for a deposit in an outcome status; skip anything else."""
    doc: Mapping[str, Any] | None = None
    if args.get("type") == "deposit" and isinstance(args.get("_id"), str):
        doc = args
    else:
        deposit_id = args.get("id") or args.get("docid") or args.get("deposit_id")
        if isinstance(deposit_id, str) and ID_RE.match(deposit_id):
            doc = ctx.store().get(deposit_id)
    if doc is None or not ID_RE.match(str(doc.get("_id", ""))):
        return {"skipped": "not a deposit"}
    config: AppConfig = ctx.app_config()
    status = str(doc.get("status", ""))
    if status not in config.notify_statuses:
        return {"deposit_id": doc["_id"], "skipped": f"status {status} is not notified"}
    subject, text = compose(doc)
    note_id = notification_id(doc)
    note = {
        "_id": note_id,
        "type": "notification",
        "deposit_id": doc["_id"],
        "to": recipient(doc),
        "status": status,
        "subject": subject,
        "text": text,
        "created": iso(utc_now()),
        "channel": "outbox",
        "sent": False,
    }
    client = ctx.store().client
    db = ctx.settings.notifications_db
    try:
        rev = client.put_document(db=db, doc_id=note_id, document=note).get_result()["rev"]
    except Exception as exc:
        if getattr(exc, "status_code", None) == 409:
            return {"deposit_id": doc["_id"], "notification": note_id, "skipped": "already notified"}
        raise
    try:
        channel = send_email(ctx.settings, config.notify_from, recipient(doc), subject, text)
        note.update(channel=channel, sent=channel != "outbox", _rev=rev)
    except Exception as exc:  # the outbox keeps the message; a person or a retry can send it
        log(f"notify-customer: sending failed: {type(exc).__name__}")
        note.update(error=f"sending failed ({type(exc).__name__})", _rev=rev)
    if note.get("sent") or note.get("error"):
        client.put_document(db=db, doc_id=note_id, document=note).get_result()
    return {"deposit_id": doc["_id"], "notification": note_id, "channel": note["channel"], "status": status}
