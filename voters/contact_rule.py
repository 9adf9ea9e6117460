"""The contact-frequency rule: ONE rule, checked wherever contact with a person is planned.

The rule. A CLP sets a quiet period per channel (`voters.ContactRule`, in the office admin; a door
knock and a call default to 14 days, the other channels to none). A person last contacted, on any
channel, within the quiet period of the channel about to be used is *resting*: they are left out
of what is being planned, and the page that plans it says how many were left out ("N skipped:
contacted in the last D days"). Do-not-contact is a separate, absolute suppression
(`ElectorQuerySet.contactable`), not counted as skipped here.

Where it is checked (every channel that contacts a person), and where the count shows:

    door   walk lists (campaigns.walklists.electors_matching)        the walk list's page
           a pack printed or re-opened/refreshed on a phone           each resting person marked
           (campaigns.packs): contacted since, other than through    "contacted recently, skip"
           the pack itself
    phone  call lists, and the next call (campaigns.services         the call list's page (skipped,
           .call_list_create / call_claim_next)                       and closed as skipped)
    email  member email to members matched to an elector             the confirmation page and the
           (members.services.email_audience_due)                      send's report
    post   letters to members matched to an elector                  the letters page
           (members.views.member_letters, through members_due)

Not applied, on purpose:

- Recording a contact that happened. A returned paper sheet is keyed in whole even when someone
  else has called the voter since the sheet was printed; a phone's queue syncs whatever was knocked;
  a contact logged by hand is logged. The rule is about planning contact, never about refusing to
  record one: the door was knocked, and the voter's history must say so.
- POLLING DAY IS EXEMPT. Knock-up rounds (gotv.knockup, gotv.promises, gotv.services) knock every
  promise who has not voted, however recently they were contacted: that is the point of knocking
  up. They never call this module, and `campaigns.packs.pack_is_exempt` says so for their packs wherever a
  campaigns page shows one.
- The postal chase (gotv.views_postal, from the day postal ballots go out to the close of poll)
  does not check it either: like knock-up it is getting out the vote of promises, where chasing
  again is the point.
- Members not matched to an elector: there is no contact history to check them against.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from voters.models import Channel, Contact, ContactRule

if TYPE_CHECKING:
    from typing import Any

    from django.db.models import QuerySet

    from labourhub.models import Constituency
    from voters.models import ElectorQuerySet


def quiet_days(*, constituency: Constituency | int, channel: str) -> int:
    """The CLP's quiet period for `channel`, in days (0: the rule is off for that channel)."""
    constituency_id = constituency if isinstance(constituency, int) else constituency.pk
    days = (
        ContactRule.objects.filter(constituency_id=constituency_id, channel=channel)
        .values_list("quiet_days", flat=True)
        .first()
    )
    return ContactRule.DEFAULT_QUIET_DAYS.get(Channel(channel), 0) if days is None else days


def quiet_since(
    *, constituency: Constituency | int, channel: str, at: datetime.datetime | None = None
) -> datetime.datetime | None:
    """Contacts at or after this time make a person resting for `channel`; None when the rule is off."""
    days = quiet_days(constituency=constituency, channel=channel)
    if not days:
        return None
    return (at or timezone.now()) - datetime.timedelta(days=days)


def _quiet_since_expression(channel: str, at: datetime.datetime) -> models.ExpressionWrapper:
    """Per elector, from the rule of their own CLP: the start of the quiet period at `at`."""
    days = Coalesce(
        models.Subquery(
            ContactRule.objects.filter(
                constituency=models.OuterRef("polling_district__constituency"), channel=channel
            ).values("quiet_days")[:1]
        ),
        models.Value(ContactRule.DEFAULT_QUIET_DAYS.get(Channel(channel), 0)),
    )
    return models.ExpressionWrapper(
        models.Value(at) - days * models.Value(datetime.timedelta(days=1)),
        output_field=models.DateTimeField(),
    )


def _resting_q() -> Q:
    return Q(last_contact_at__isnull=False, last_contact_at__gte=models.F("quiet_since"))


def due(electors: ElectorQuerySet, channel: str, at: datetime.datetime | None = None) -> ElectorQuerySet:
    """`electors` that may be contacted on `channel` now: contactable and not resting."""
    at = at or timezone.now()
    return (
        electors.contactable()
        .alias(quiet_since=_quiet_since_expression(channel, at))
        .filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=models.F("quiet_since")))
    )


def resting(electors: ElectorQuerySet, channel: str, at: datetime.datetime | None = None) -> ElectorQuerySet:
    """`electors` left out by the rule (contactable, but contacted inside the quiet period): what the
    skipped counts count."""
    at = at or timezone.now()
    return electors.contactable().alias(quiet_since=_quiet_since_expression(channel, at)).filter(_resting_q())


def member_due_q(since: datetime.datetime | None, prefix: str = "") -> Q:
    """For a Member queryset (or one reaching members through `prefix`): members not resting, given
    `quiet_since(...)` of their CLP. Members not matched to an elector are never resting."""
    if since is None:
        return Q()
    return (
        Q(**{f"{prefix}elector__isnull": True})
        | Q(**{f"{prefix}elector__last_contact_at__isnull": True})
        | Q(**{f"{prefix}elector__last_contact_at__lt": since})
    )


def member_resting_q(since: datetime.datetime, prefix: str = "") -> Q:
    """For a Member queryset: members the rule skips (matched to an elector contacted since `since`)."""
    return Q(**{f"{prefix}elector__last_contact_at__gte": since})


def members_due(members: QuerySet[Any], channel: str) -> tuple[QuerySet[Any], int, list[int]]:
    """(`members` less those the rule skips for `channel`, how many it skipped, the quiet periods
    applied in days): each member judged by their own CLP's rule."""
    skipped, days_applied = 0, set()
    for constituency_id in members.values_list("constituency_id", flat=True).distinct().order_by():
        since = quiet_since(constituency=constituency_id, channel=channel)
        if since is None:
            continue
        days_applied.add(quiet_days(constituency=constituency_id, channel=channel))
        resting = members.filter(member_resting_q(since), constituency_id=constituency_id)
        skipped += resting.count()
        members = members.exclude(pk__in=resting.values("pk"))
    return members, skipped, sorted(days_applied)


def contacted_recently(
    *,
    elector_ids: list[int],
    constituency: Constituency | int,
    channel: str,
    not_through: Q | None = None,
    at: datetime.datetime | None = None,
) -> dict[int, datetime.datetime]:
    """{elector id: their latest contact inside the quiet period} for those of `elector_ids` who are
    resting for `channel`, leaving out contacts matching `not_through` (a Q on voters.Contact: e.g.
    the visits made through the very pack being re-opened, which show as done, not as resting)."""
    since = quiet_since(constituency=constituency, channel=channel, at=at)
    if since is None or not elector_ids:
        return {}
    contacts = Contact.unscoped.filter(elector_id__in=elector_ids, at__gte=since)
    if not_through is not None:
        contacts = contacts.exclude(not_through)
    return dict(contacts.values("elector_id").annotate(last=Max("at")).values_list("elector_id", "last"))
