"""What the campaigns app holds on people, for the records of processing."""

DEFAULTS = {
    "purpose": "Democratic engagement: canvassing voters on the doorstep and the phone",
    "lawful_basis": "Public task / democratic engagement (DPA 2018 s.8(e)); political opinions under "
    "DPA 2018 schedule 1 paragraph 22 (political parties)",
    "source": "Canvassers and phone bankers, from what the voter says",
    "retention": "The current and previous electoral cycle",
    "recipients": "None outside the party",
}

PROCESSING = {
    "WalkList": {"data": "Which electors and doors are in a walk list, who made it"},
    "Pack": {"data": "The doors given to a canvasser, and which canvasser"},
    "Visit": {"data": "Each doorstep or phone visit: the elector, the canvasser, the outcome, notes"},
    "LatestIntention": {"data": "The latest voting intention recorded for an elector"},
    "SyncProblem": {"data": "Answers from the doorstep that could not be applied, for an organiser"},
    "FollowUp": {"data": "Things a voter asked for on the doorstep (a poster, a postal vote form)"},
    "Relation": {"data": "Relations recorded between electors (same household, family)"},
    "PhoneNumber": {
        "data": "Voters' phone numbers",
        "source": "The voter, or a canvasser on the doorstep",
    },
    "CallList": {"data": "Which electors are on a phone bank's call list"},
    "CallEntry": {"data": "Each call: elector, caller, outcome"},
    "EventContact": {
        "data": "People who signed up to events: name, email, phone, their consents, the member matched",
        "purpose": "Organising canvass sessions, phone banks and meetings, and reminding people who booked",
        "lawful_basis": "Consent (given on the sign-up form) and legitimate interests for the booking",
        "source": "The person, on the event's sign-up form or their member page",
        "retention": "As event attendance in the retention schedule",
    },
    "Signup": {
        "data": "Who booked which shift, and whether they came",
        "purpose": "Organising events and recording attendance",
        "lawful_basis": "Legitimate interests for the booking",
        "source": "The person, and the organiser at check-in",
        "retention": "As event attendance in the retention schedule",
    },
    "EventMessage": {
        "data": "Which reminder emails were sent to whom, and when",
        "purpose": "Sending each reminder once",
        "lawful_basis": "Consent (given on the sign-up form)",
        "source": "The worker sending the reminders",
        "retention": "As email logs in the retention schedule",
    },
}

NOT_PERSONAL = {
    "Event": "an event's title, place and times; its contact person is a user of the site",
    "Shift": "a slot's times and role: no person",
    "EventInvitation": "which CLP's members an event's invitation went to and the email send that "
    "carried it (the recipients are the send's); who asked and decided are users of the site",
    "Campaign": "a campaign's name and dates: no person",
    "Survey": "a survey's title: no person",
    "SurveyVersion": "a survey's questions: no person",
}
