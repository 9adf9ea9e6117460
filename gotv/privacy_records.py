"""What the polling-day app holds on people, for the records of processing."""

DEFAULTS = {
    "purpose": "Getting out the vote on polling day: who has voted, who to knock up",
    "lawful_basis": "Public task / democratic engagement (DPA 2018 s.8(e)); political opinions under "
    "DPA 2018 schedule 1 paragraph 22 (political parties)",
    "source": "Tellers at polling stations (elector numbers of people who voted), canvassers",
    "retention": "Until the marked register replaces it, and no longer than the electoral cycle",
    "recipients": "None outside the party",
}

PROCESSING = {
    "PromiseAdjustment": {"data": "Officers' corrections to who promised to vote"},
    "Telling": {"data": "Poll numbers of people who have voted, as taken by tellers"},
    "TellingUndo": {"data": "Tellers' corrections to numbers taken"},
    "VoteRecord": {"data": "Which electors have voted today"},
    "KnockUpRound": {"data": "Rounds of knocking up: which committee room, who knocked"},
    "KnockUpRoundElector": {"data": "Which electors were in a knock-up round"},
    "KnockUpOutcome": {"data": "What happened at each door knocked up"},
    "Driver": {"data": "Volunteer drivers: name, phone, car"},
    "LiftRequest": {"data": "Voters who asked for a lift to the polling station, their address and time"},
    "PostalChaseContact": {"data": "Contacts chasing postal voters to return their ballot"},
}

NOT_PERSONAL = {
    "Election": "an election's id and date: no person",
    "PollingStation": "a polling station's address: no person",
    "BallotBox": "a ballot box's number: no person",
    "CommitteeRoom": "a committee room's address: no person",
    "BoxTurnoutCount": "counts of votes per box: no person",
    "WarpCount": "counts of votes per ward: no person",
    "RotaSlot": "which station or room a shift staffs: the people are the shift's sign-ups (campaigns)",
}
