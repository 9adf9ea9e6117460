"""Member email limits that are rules, not deployment choices (those are MEMBER_EMAIL_* in settings)."""

HARD_BOUNCE_LIMIT = 2  # hard bounces before an address gets no more email
MAX_ROW_DEFERRALS = 6  # times the server may defer one recipient (4xx, with back-off) before the row fails
