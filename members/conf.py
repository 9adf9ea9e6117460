"""Member email limits that are rules, not deployment choices (those are MEMBER_EMAIL_* in settings)."""

HARD_BOUNCE_LIMIT = 2  # hard bounces before an address gets no more email
MAX_BATCH_FAILURES = 6  # temporary failures of a batch (with back-off) before its rows are failed
