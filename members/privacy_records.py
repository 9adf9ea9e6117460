"""What the members app holds on people, for the records of processing."""

DEFAULTS = {
    "purpose": "Running the CLP's membership: contacting members, meetings, volunteering",
    "lawful_basis": "Legitimate interests of the party in its members; political opinions under "
    "DPA 2018 schedule 1 paragraph 22; consent for each email channel",
    "source": "The party's membership system export (member imports), and the member",
    "retention": "While a member; lapsed members N years, as the retention schedule sets",
    "recipients": "None outside the party; the email provider that delivers members' emails",
}

PROCESSING = {
    "Member": {"data": "Name, membership number, contact details, branch, standing, dates"},
    "Consent": {"data": "Each channel the member agreed or refused to be contacted on, and when"},
    "Volunteer": {"data": "What the member offers to help with, availability"},
    "EmailSend": {"data": "Emails sent to members: who sent them, subject and content"},
    "EmailRecipient": {"data": "Who each email went to and whether it was delivered"},
    "BounceEvent": {"data": "Bounces and unsubscribes reported for a member's address"},
    "MemberImport": {"data": "Member files uploaded, who uploaded them, the import's report"},
    "ElectorMatch": {
        "data": "Which elector on the register a member is believed to be, and how sure",
        "source": "Matching members against the register",
    },
}

NOT_PERSONAL = {"ImportMapping": "how a CLP's member file's columns map to fields: no person"}
