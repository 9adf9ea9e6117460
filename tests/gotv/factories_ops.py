"""Helpers for the lifts and postal chase tests (gotv-ops)."""

from voters.models import ElectorMark, RegisterImport


def mark_postal(election, *electors):
    """Put `electors` on the election's postal list, as the postal list import does."""
    source = RegisterImport.unscoped.create(
        constituency=election.constituency, kind=RegisterImport.Kind.POSTAL, file_name="postal.csv"
    )
    for elector in electors:
        ElectorMark.unscoped.create(
            elector=elector, kind=ElectorMark.Kind.POSTAL, election=election.democracy_club_id, source=source
        )
