"""E-mail delivery of the outbox's notification requests.

Modules: `config` (settings), `context` (what each row says and to whom, built per
batch), `templating` (jinja2 files), `message` (MIME, .ics, Message-ID), `transport`
(SMTP pool, .eml folder), `sender` (claim, deliver, record, retry), `samples` (preview).
"""
