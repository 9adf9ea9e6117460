"""What the access app holds on people, for the records of processing."""

DEFAULTS = {
    "purpose": "Granting people access to the party's tools and data, and taking it away",
    "lawful_basis": "Legitimate interests (security of the party's data); membership standing checks",
    "source": "The person asking for access, their endorser and the approving regional staff",
    "retention": "While access is held, then as the retention schedule sets",
    "recipients": "None outside the party",
}

PROCESSING = {
    "Holding": {
        "data": "Who holds which tool where, until when, who approved it",
        "who": "Regional staff (their region); the public register of holdings shows names and tools",
    },
    "AccessRequest": {
        "data": "Who asked for which tool, why, the decisions on it",
        "who": "The requester; their CLP's secretary and officers; regional staff (their region)",
    },
    "TrainingRecord": {
        "data": "Training a person has completed",
        "who": "The person; regional staff (their region)",
    },
    "Notification": {
        "data": "Emails sent about access requests and other CLPs' requests to invite volunteers: to whom, what",
        "who": "The platform operator",
    },
}
