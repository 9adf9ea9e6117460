"""After the poll: the marked register (imported by voters, as ElectorMark kind "voted" under the
election's Democracy Club id) reconciled with the day's telling, for the next election.

report(election) -> AfterPoll, per box (the box each elector votes at, from the box districts):
    electors        on the election's register
    marked          marked as voted in person (marked, and not on the postal list)
    postal_marked   marked, and a postal voter (telling never sees these)
    told            told at the station (a live telling: undone ones do not count)
    told_marked     told and marked: the tellings that were right
    told_unmarked   told but not marked: mistyped numbers or wrongly told
    missed          marked in person but never told
    accuracy        told_marked / told: how far the telling could be trusted
    coverage        told_marked / marked: the share of in-person voters the tellers caught
    promises, promises_not_voted
    gap_hours       polling hours in which nobody told at the box (gotv.turnout.coverage)
promises_not_voted(election): the promises with no mark, for the CSV (names, addresses, box).

Callers scope first: pass an election from `Election.objects.for_user(user, ORGANISE)`.
"""

from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, ExpressionWrapper, Q

from gotv import promises as promise_lists
from gotv import turnout
from gotv.coverage import hours_label  # noqa: F401  (views_board reads it here)
from gotv.models import BallotBox, Telling
from voters.models import ElectorMark


def _member(subquery):
    return ExpressionWrapper(Q(pk__in=subquery), output_field=BooleanField())


@dataclass
class BoxLine:
    box: object
    electors: int = 0
    marked: int = 0
    postal_marked: int = 0
    told: int = 0
    told_marked: int = 0
    told_unmarked: int = 0
    missed: int = 0
    promises: int = 0
    promises_not_voted: int = 0
    gap_hours: list = field(default_factory=list)

    @property
    def accuracy(self):
        return round(100 * self.told_marked / self.told, 1) if self.told else None

    @property
    def coverage(self):
        return round(100 * self.told_marked / self.marked, 1) if self.marked else None

    @property
    def label(self):
        return self.box.label if self.box is not None else "No box"


@dataclass
class AfterPoll:
    election: object
    has_marked_register: bool
    boxes: list
    total: BoxLine


def _marks(election, kind):
    return ElectorMark.unscoped.filter(election=election.democracy_club_id, kind=kind).values("elector_id")


def report(election):
    voted = _marks(election, ElectorMark.Kind.VOTED)
    postal = _marks(election, ElectorMark.Kind.POSTAL)
    has_marked = (
        bool(election.democracy_club_id)
        and ElectorMark.unscoped.filter(
            election=election.democracy_club_id, kind=ElectorMark.Kind.VOTED
        ).exists()
    )
    told_ids = Telling.unscoped.live().filter(election=election).values("elector_id")
    in_person = Q(marked=True, postal=False)
    rows = (
        promise_lists.on_register(election)
        .annotate(
            box_id=promise_lists._box_case(election),
            marked=_member(voted),
            postal=_member(postal),
            told=_member(told_ids),
        )
        .order_by()
        .values("box_id")
        .annotate(
            electors=Count("pk"),
            marked_n=Count("pk", filter=in_person),
            postal_marked=Count("pk", filter=Q(marked=True, postal=True)),
            told_n=Count("pk", filter=Q(told=True)),
            told_marked=Count("pk", filter=Q(told=True, marked=True)),
            told_unmarked=Count("pk", filter=Q(told=True, marked=False)),
            missed=Count("pk", filter=in_person & Q(told=False)),
        )
    )
    promise_rows = (
        promise_lists.promises(election)
        .annotate(marked=_member(voted))
        .order_by()
        .values("box_id")
        .annotate(n=Count("pk"), not_voted=Count("pk", filter=Q(marked=False)))
    )
    boxes = {box.pk: box for box in BallotBox.unscoped.filter(election=election).select_related("station")}
    lines = {pk: BoxLine(box) for pk, box in sorted(boxes.items(), key=lambda item: item[1].label)}
    for row in rows:
        line = lines.setdefault(row["box_id"], BoxLine(None))
        line.electors, line.marked, line.postal_marked = (
            row["electors"],
            row["marked_n"],
            row["postal_marked"],
        )
        line.told, line.told_marked, line.told_unmarked = (
            row["told_n"],
            row["told_marked"],
            row["told_unmarked"],
        )
        line.missed = row["missed"]
    for row in promise_rows:
        line = lines.setdefault(row["box_id"], BoxLine(None))
        line.promises, line.promises_not_voted = row["n"], row["not_voted"]
    covered = turnout.coverage(election)
    hours = list(
        range(election.polls_open.hour, election.polls_close.hour + (1 if election.polls_close.minute else 0))
    )
    total = BoxLine(None)
    for pk, line in lines.items():
        if pk is not None:
            seen = set(covered.get(pk, []))
            line.gap_hours = [hour for hour in hours if hour not in seen]
        for name in ("electors", "marked", "postal_marked", "told", "told_marked", "told_unmarked", "missed",
                     "promises", "promises_not_voted"):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(line, name))
    return AfterPoll(election, has_marked, list(lines.values()), total)


def promises_not_voted(election):
    """Promises with no "voted" mark in the marked register, with where they live and vote."""
    voted = _marks(election, ElectorMark.Kind.VOTED)
    return (
        promise_lists.promises(election)
        .exclude(pk__in=voted)
        .select_related("home")
        .order_by("poll_district_id", "poll_number", "poll_suffix")
    )
