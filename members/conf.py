"""Member email limits, read strictly from the environment (see labourhub.env).

Kept here rather than in labourhub/settings.py because only the members app reads them.
"""

from labourhub.env import env_int, env_str

# Messages a second that one worker sends; 0 means as fast as the SMTP server takes them.
RATE_PER_SECOND = env_int("MEMBER_EMAIL_RATE_PER_SECOND", 20, minimum=0)
# Recipients per task: each batch is sent over one SMTP connection.
BATCH_SIZE = env_int("MEMBER_EMAIL_BATCH_SIZE", 200, minimum=1, maximum=10000)
# A batch with no sign of a worker for this long is queued again by the sweeper.
STALE_AFTER_SECONDS = env_int("MEMBER_EMAIL_STALE_AFTER_SECONDS", 600, minimum=1)
# The envelope and From address of member emails (the display name is the CLP's).
FROM_ADDRESS = env_str("MEMBER_EMAIL_FROM", "members@labourhub.localhost")
HARD_BOUNCE_LIMIT = 2  # hard bounces before an address gets no more email
MAX_BATCH_FAILURES = 6  # temporary failures of a batch (with back-off) before its rows are failed
