"""What the core holds on people, for the records of processing (labourhub/dataprotection/records.py)."""

DEFAULTS = {
    "purpose": "Running the platform: who signs in, what they may do where, and accountability for it",
    "lawful_basis": "Legitimate interests (security and accountability of the party's systems)",
    "source": "The person, and the officers or approvals that gave them access",
    "retention": "While the account is in use, then as the retention schedule sets",
    "recipients": "None outside the party",
}

PROCESSING = {
    "User": {
        "data": "Sign-in email, name, password hash, MFA devices, when they joined",
        "who": "The person themself; the platform operator",
    },
    "Grant": {
        "data": "Which role a user holds where, from when to when, who gave it and why",
        "who": "The user; officers and regional staff in the office admin for their area; the operator",
    },
    "AuditEvent": {
        "data": "Who looked at or changed what, when, from which address (internal ids, never names)",
        "purpose": "Accountability: answering 'who saw this person's data' and investigating breaches",
        "retention": "N years, as the retention schedule sets; kept intact by erasure (ids only)",
        "who": "CLP secretaries and administrators (their CLP), regional staff (their region)",
    },
    "SubjectRequest": {
        "data": "Who asked to exercise a data protection right, how to reach them, the identity check, "
        "what was sent",
        "purpose": "Answering data-subject requests within the legal time limit, and showing that we did",
        "lawful_basis": "Legal obligation (UK GDPR articles 12 to 22)",
        "source": "The requester",
        "retention": "Two years after the request is closed",
        "recipients": "The requester; the ICO if it asks",
    },
    "SubjectRequestEvent": {
        "data": "Each change to a data-subject request: when, by whom, what",
        "purpose": "The request's timeline, to show the legal clock was respected",
        "lawful_basis": "Legal obligation (UK GDPR article 5(2), accountability)",
        "source": "Officers handling the request",
        "retention": "As its request",
        "recipients": "The ICO if it asks",
    },
    "Breach": {
        "data": "What happened in a personal data breach, numbers of people and records affected, "
        "kinds of data, who found it, the decision and who was told",
        "purpose": "Recording and reporting personal data breaches",
        "lawful_basis": "Legal obligation (UK GDPR articles 33 and 34)",
        "source": "Whoever found it; the data protection lead",
        "retention": "Six years",
        "recipients": "The ICO when reported; the people affected when told",
        "who": "CLP secretary and data protection lead (their CLP) record and edit it; "
        "regional staff read it (their region)",
    },
    "Subscription": {
        "data": "A webhook: who set it up, where it sends, which events, its signing secret (encrypted)",
        "purpose": "Sending the CLP's events to an integration its officers chose",
        "source": "The officer who subscribed",
        "retention": "Until deleted; it stops when its owner's role ends",
        "recipients": "The integration at its address",
    },
    "Delivery": {
        "data": "One event sent to a webhook: ids, a member's or sign-up's name, status and dates, "
        "a contact's channel and outcome, a telling's elector number (never notes, answers or "
        "contact details)",
        "purpose": "Sending the CLP's events to an integration, once, with retries",
        "source": "The services that recorded the contact, membership, sign-up or telling",
        "retention": "As the retention schedule sets (webhook deliveries)",
        "recipients": "The integration the CLP's officers subscribed",
    },
    "Attempt": {
        "data": "When a webhook delivery was tried, the answer's status code and first characters",
        "purpose": "The delivery log: showing what the integration answered",
        "source": "The integration's answer",
        "retention": "As its delivery",
        "recipients": "None outside the party",
    },
    "ApiToken": {
        "data": "A named API token: its owner, name, scopes, expiry, when last used, when revoked, "
        "and a hash of its secret (the secret itself is shown once and never stored)",
        "purpose": "Letting an officer's scripts and integrations use the API with no more than "
        "the officer may do",
        "source": "The officer who created it",
        "retention": "Until revoked or expired, then as its owner's account",
        "recipients": "None outside the party",
        "who": "Its owner; the platform operator",
    },
    "IdempotentRequest": {
        "data": "One API write sent with an Idempotency-Key: the key, who sent it, a hash of what "
        "was sent, and the answer given (which may name the person written about)",
        "purpose": "Giving a retried write the same answer, so it is applied once",
        "source": "The API client's request and our answer to it",
        "retention": "IDEMPOTENCY_KEEP_HOURS (24 hours by default), then deleted by the worker's "
        "hourly prune",
        "recipients": "None outside the party",
        "who": "The platform operator",
    },
    "SmsMessage": {
        "data": "Each text message sent: the mobile number, the text, the provider's id, delivery status",
        "purpose": "Sending event reminders (and polling-day messages) to people who agreed to texts, "
        "sending each once, and knowing whether it arrived",
        "lawful_basis": "Consent (the SMS box on the sign-up form, or the member's SMS consent)",
        "source": "The person's own number and consent; delivery receipts from the SMS provider",
        "retention": "As the reminders it belongs to (event attendance in the retention schedule)",
        "recipients": "The SMS provider (Twilio), as processor, to deliver it",
        "who": "Organisers of the CLP (their CLP); the platform operator",
    },
    "SmsOptOut": {
        "data": "A mobile number that texted STOP, and when (and START, if it did)",
        "purpose": "Never texting a number that asked us to stop, in any CLP",
        "lawful_basis": "Legal obligation (PECR regulation 22: respecting an opt-out)",
        "source": "The person, by text message",
        "retention": "While the opt-out stands; kept as a suppression record, never used to contact",
        "recipients": "None outside the party",
        "who": "The platform operator",
    },
}
