"""What the register app holds on people, for the records of processing."""

DEFAULTS = {
    "purpose": "Democratic engagement: contacting voters at elections and between them",
    "lawful_basis": "Public task / democratic engagement (DPA 2018 s.8(e)); political opinions under "
    "DPA 2018 schedule 1 paragraph 22 (political parties)",
    "source": "The full electoral register, supplied by the council's Electoral Registration Officer",
    "retention": "While the person is on the register; contact history for the current and previous "
    "electoral cycle",
    "recipients": "None outside the party; the party's printers and mailing houses under contract",
}

PROCESSING = {
    "Elector": {"data": "Name, elector number, franchise markers, attainment date, address"},
    "Property": {"data": "Addresses on the register"},
    "RegisterEntry": {"data": "Each published register line about an elector (as supplied)"},
    "ElectorMark": {
        "data": "Whether the elector voted at a past election, whether they vote by post",
        "source": "The marked register and absent voters lists bought after an election",
        "purpose": "Electoral purposes only, as the regulations on the marked register allow",
    },
    "NameChangeReview": {"data": "Possible changes of name between two registers, for an officer to confirm"},
    "RegisterImport": {"data": "Register files uploaded, who uploaded them, the import's report"},
    "Contact": {
        "data": "Every contact with the voter on every channel, with the answers and notes",
        "source": "Canvassers on the doorstep and the phone, officers, the voter",
    },
    "Suppression": {
        "data": "A hash of an elector's identifying fields, the reason they are not to be contacted",
        "purpose": "Keeping a do-not-contact or erasure wish through every re-import",
        "lawful_basis": "Legal obligation (honouring an objection or erasure)",
        "source": "The voter's request",
        "retention": "While the party holds the register",
    },
    "ModelVersion": {
        "data": "A targeting model's name, version and what its scores mean",
        "source": "The party's data team (model imports)",
    },
    "ElectorScore": {
        "data": "Model scores about an elector (e.g. likelihood to support), the model that made them",
        "source": "Targeting models imported by the data team (profiling)",
    },
}
