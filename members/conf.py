"""Member email limits that are rules, not deployment choices (those are MEMBER_EMAIL_* in settings)."""

from datetime import timedelta

HARD_BOUNCE_LIMIT = 2  # hard bounces before an address gets no more email
# A recipient the mail server keeps deferring (4xx) is retried, with back-off up to an hour, for this long
# after the send was planned, then failed with the server's answer (mail servers give up after 4-5 days).
DEFERRED_RECIPIENT_GIVES_UP_AFTER = timedelta(days=3)
