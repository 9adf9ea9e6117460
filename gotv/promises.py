"""The promise list (the Shuttleworth list) and the knock-up list, as querysets, with counts.

promises(election)   electors on the election's register whose latest canvassed intention is ours
                     (IntentionCode.is_ours), plus manual adds, minus manual removes; annotated with
                     where they vote (district, number, box) and what we know today
knock_up(election)   promises − voted − won't vote − do not return; postal voters only where they
                     said their ballot is still at home (postal chase)
counts(election)     per district, box and committee room: promises, postal, in person, voted,
                     won't vote, do not return, to get out

Callers scope first: pass an election from `Election.objects.for_user(user)`.
The contact-frequency quiet period (voters ContactRule, ElectorQuerySet.due_for) does NOT apply
here: on polling day every promise not yet voted is knocked, however recently contacted.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)

from campaigns.models import LatestIntention
from gotv.models import (
    BallotBoxDistrict,
    CommitteeRoomBox,
    PostalChaseContact,
    PromiseAdjustment,
    VoteRecord,
)
from voters.models import Elector, ElectorMark


def _in_force(queryset, *group):
    """Rows of `queryset` with no later row for the same `group` fields: the latest per group
    (events as rows; ties on time go to the higher id)."""
    later = queryset.model._default_manager.filter(**{name: OuterRef(name) for name in group}).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    )
    return queryset.filter(~Exists(later))


def _adjusted(election, kind, value=True):
    """Electors whose latest adjustment of `kind` in this election is `value` (a subquery)."""
    rows = PromiseAdjustment.unscoped.filter(election=election, kind=kind)
    return _in_force(rows, "election", "elector", "kind").filter(value=value).values("elector_id")


def _member_of(subquery):
    """pk IN (subquery) as a boolean column: Postgres hashes the subquery once (a "hashed
    SubPlan"), instead of probing it again for every row as EXISTS would."""
    return ExpressionWrapper(Q(pk__in=subquery), output_field=BooleanField())


def box_links(election):
    """The election's box districts with their polling districts, in the order `_box_case` reads
    them (a caller that already has them passes them on rather than reading them again)."""
    return list(
        BallotBoxDistrict.objects.filter(box__election=election)
        .select_related("polling_district")
        .order_by("first_number", "last_number", "pk")
    )


def _box_case(election, links=None):
    """The box each (district, number) votes at, as a CASE over the election's box districts
    (`links`: box_links(election), read here unless given)."""
    whens = []
    if links is None:
        links = BallotBoxDistrict.objects.filter(box__election=election).order_by(
            "first_number", "last_number", "pk"
        )
    ranged = [link for link in links if link.first_number is not None or link.last_number is not None]
    whole = [link for link in links if link.first_number is None and link.last_number is None]
    for link in ranged:  # a split district's ranges first
        condition = Q(poll_district_id=link.polling_district_id)
        if link.first_number is not None:
            condition &= Q(poll_number__gte=link.first_number)
        if link.last_number is not None:
            condition &= Q(poll_number__lte=link.last_number)
        whens.append(When(condition, then=Value(link.box_id)))
    for link in whole:
        whens.append(When(poll_district_id=link.polling_district_id, then=Value(link.box_id)))
    if not whens:
        return Value(None, output_field=IntegerField())
    return Case(*whens, default=Value(None), output_field=IntegerField())


def on_register(election):
    """Electors in the election's register publication, with where they vote; for a local
    election with wards named, only those wards."""
    electors = (
        Elector.unscoped.annotate(
            entry=FilteredRelation(
                "register_entries", condition=Q(register_entries__publication=election.publication_id)
            )
        )
        .filter(entry__isnull=False)
        .annotate(
            poll_district_id=F("entry__polling_district"),
            poll_number=F("entry__elector_number"),
            poll_suffix=F("entry__elector_suffix"),
            poll_number_raw=F("entry__elector_number_raw"),
        )
    )
    ward_ids = list(election.wards.values_list("pk", flat=True))
    if ward_ids:
        electors = electors.filter(entry__polling_district__ward__in=ward_ids)
    return electors


def promises(election, *, links=None):
    """The promise list: see the module docstring (`links`: box_links(election), if the caller
    has them already). Hard promises first, then by district and
    number. Annotations: poll_district_id, poll_number, poll_suffix, poll_number_raw, box_id,
    intention_code, strength, promise_source ("canvass" or "added"), postal, proxy, voted,
    wont_vote, do_not_return, postal_at_home.

    Sized for 80k electors: the candidates come from two hashed subqueries (intentions that are
    ours, manual adds), and every flag is one hashed subquery, so Postgres reads each source
    table once rather than probing it per elector."""
    kind = PromiseAdjustment.Kind
    ours = LatestIntention.unscoped.filter(intention__is_ours=True).values("elector_id")
    added, removed = _adjusted(election, kind.PROMISE, True), _adjusted(election, kind.PROMISE, False)
    latest = LatestIntention.unscoped.filter(elector=OuterRef("pk"))
    if election.democracy_club_id:
        marks = ElectorMark.unscoped.filter(election=election.democracy_club_id)
        postal = _member_of(marks.filter(kind=ElectorMark.Kind.POSTAL).values("elector_id"))
        proxy = _member_of(marks.filter(kind=ElectorMark.Kind.PROXY).values("elector_id"))
    else:  # no postal or proxy list for this election
        postal = proxy = Value(False, output_field=BooleanField())
    chases = _in_force(PostalChaseContact.unscoped.filter(election=election), "election", "elector")
    return (
        on_register(election)
        .filter((Q(pk__in=ours) & ~Q(pk__in=removed)) | Q(pk__in=added))
        .annotate(
            intention_code=Subquery(latest.values("intention__code")[:1]),
            strength=Subquery(latest.values("strength")[:1]),
            promise_source=Case(
                When(Q(pk__in=ours) & ~Q(pk__in=removed), then=Value("canvass")), default=Value("added")
            ),
            box_id=_box_case(election, links),
            postal=postal,
            proxy=proxy,
            voted=_member_of(VoteRecord.unscoped.filter(election=election).values("elector_id")),
            wont_vote=_member_of(_adjusted(election, kind.WONT_VOTE)),
            do_not_return=_member_of(_adjusted(election, kind.DO_NOT_RETURN)),
            postal_at_home=_member_of(
                chases.filter(outcome=PostalChaseContact.Outcome.AT_HOME).values("elector_id")
            ),
        )
        .annotate(
            strength_rank=Case(
                When(strength="hard", then=Value(0)),
                When(strength="soft", then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("strength_rank", "poll_district_id", "poll_number", "poll_suffix")
    )


def knock_up(election):
    """Who to knock up now: promises not voted, not won't vote, not do-not-return; postal voters
    only where they said their ballot is still at home. In the promise list's order."""
    return promises(election).filter(
        Q(voted=False),
        Q(wont_vote=False),
        Q(do_not_return=False),
        Q(postal=False) | Q(postal_at_home=True),
    )


@dataclass
class Tally:
    promises: int = 0
    postal: int = 0
    in_person: int = 0
    voted: int = 0
    wont_vote: int = 0
    do_not_return: int = 0
    to_get_out: int = 0

    def add(self, other):
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PromiseCounts:
    total: Tally = field(default_factory=Tally)
    by_district: dict = field(default_factory=lambda: defaultdict(Tally))  # polling district id -> Tally
    by_box: dict = field(default_factory=lambda: defaultdict(Tally))  # box id (None: no box) -> Tally
    by_room: dict = field(default_factory=lambda: defaultdict(Tally))  # committee room id (None: none)


def counts(election):
    """Promise counts per district, box and committee room in one GROUP BY (see Tally)."""
    get_out = Q(voted=False, wont_vote=False, do_not_return=False) & (
        Q(postal=False) | Q(postal_at_home=True)
    )
    rows = (
        promises(election)
        .order_by()
        .values("poll_district_id", "box_id")
        .annotate(
            n=Count("pk"),
            n_postal=Count("pk", filter=Q(postal=True)),
            n_voted=Count("pk", filter=Q(voted=True)),
            n_wont=Count("pk", filter=Q(wont_vote=True)),
            n_dnr=Count("pk", filter=Q(do_not_return=True)),
            n_out=Count("pk", filter=get_out),
        )
    )
    room_of = dict(
        CommitteeRoomBox.objects.filter(committee_room__election=election).values_list(
            "box_id", "committee_room_id"
        )
    )
    result = PromiseCounts()
    for row in rows:
        tally = Tally(
            promises=row["n"],
            postal=row["n_postal"],
            in_person=row["n"] - row["n_postal"],
            voted=row["n_voted"],
            wont_vote=row["n_wont"],
            do_not_return=row["n_dnr"],
            to_get_out=row["n_out"],
        )
        result.total.add(tally)
        result.by_district[row["poll_district_id"]].add(tally)
        result.by_box[row["box_id"]].add(tally)
        result.by_room[room_of.get(row["box_id"])].add(tally)
    return result
