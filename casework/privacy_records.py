"""What the casework app holds on people, for the records of processing. Casework is the elected
representative's data (a separate controller): campaign roles never see it."""

DEFAULTS = {
    "purpose": "Helping constituents with their problems, on behalf of the elected representative",
    "lawful_basis": "Public task of the elected representative (DPA 2018 schedule 1 paragraph 23, "
    "elected representatives responding to requests); explicit consent to share where recorded",
    "source": "The constituent, and agencies replying to the office",
    "retention": "As the office's casework retention schedule sets, after the case is closed",
    "recipients": "Agencies the constituent asked the office to contact (councils, departments)",
}

PROCESSING = {
    "Case": {"data": "The constituent's name, contact details, the problem, its status and deadlines"},
    "CaseAssignment": {"data": "Which caseworker handles a case"},
    "TimelineEntry": {"data": "Letters, emails, calls and notes on a case"},
    "CaseConsent": {"data": "What the constituent agreed the office may share, with whom"},
    "InboundMessage": {
        "data": "Emails taken in from the office's mailbox or uploaded: sender, subject, text"
    },
    "Attachment": {"data": "Files on a case (letters, forms, photos), from emails or uploaded"},
    "Letter": {
        "data": "Letters and emails the office sent on a case: recipient, address, text",
        "recipients": "The constituent, and the agency a referral or chaser was addressed to",
    },
    "CaseConstituent": {"data": "Further constituents on a case: name, address, contact, register link"},
    "ThirdParty": {
        "data": "People acting for a constituent (relatives, advocates, solicitors): name, relationship, "
        "contact details, the authority they hold and when it was given, expires or was withdrawn",
        "source": "The constituent, and the third party",
    },
    "CaseLink": {"data": "Which cases of an office are linked (related, duplicate, same family), and why"},
    "Chaser": {"data": "Reminders to chase an agency that is late replying on a case"},
    "OfficeMembership": {
        "data": "Which caseworkers belong to which office",
        "who": "The office's caseworkers; the platform operator",
    },
}
