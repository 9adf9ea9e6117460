"""The register's part of the privacy notice (labourhub.privacy_notice): where its data comes from."""

from __future__ import annotations

from labourhub.models import Constituency
from voters.models import ModelVersion


def model_names(constituency: Constituency) -> list[str]:
    """The scoring models the CLP holds scores from, by name."""
    return list(
        ModelVersion.unscoped.filter(constituency=constituency)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )


def data_sources(constituency: Constituency) -> list[tuple[str, str]]:
    names = model_names(constituency)
    models_line = (
        f"The CLP holds scores from these models: {', '.join(names)}."
        if names
        else "The CLP holds no model scores at present."
    )
    return [
        (
            "The electoral register",
            "The full register, which the law gives political parties for electoral purposes, from the "
            "council's Electoral Registration Officer, with its monthly updates: your name, address, "
            "elector number and any franchise markers.",
        ),
        (
            "Who voted, and postal and proxy voters",
            "After an election, the marked register and the absent voters lists, bought from the council: "
            "whether you voted (never how) and whether you vote by post or proxy.",
        ),
        (
            "Model scores",
            "Estimates, from statistical models the party runs, of how likely someone is to support us or "
            f"to vote, worked out from the register, past contacts and published area statistics. {models_line}",
        ),
    ]
