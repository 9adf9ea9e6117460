"""What the day's facts add up to, per box: telling coverage, voted by hour, agents' counts, WARP.

coverage(election)        {box id: [hours (local, 0-23) in which a teller recorded anything]}: the
                          board says "not seen" rather than "not voted" where nobody stood
voted_by_hour(election)   {(polling district id, hour): voters marked voted} from VoteRecord
latest_counts(election)   {box id: the latest BoxTurnoutCount} (snapshots: the latest wins)
warp_totals(election)     {box id: {party or label: votes}} over the valid WARP counts

Callers scope first: pass an election from `Election.objects.for_user(user)`.
"""

from collections import defaultdict

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, ExtractHour
from django.utils import timezone

from gotv.models import BoxTurnoutCount, Telling, VoteRecord, WarpCount


def coverage(election):
    rows = (
        Telling.unscoped.filter(box__election=election)
        .annotate(hour=ExtractHour("recorded_at", tzinfo=timezone.get_current_timezone()))
        .values_list("box_id", "hour")
        .distinct()
        .order_by("box_id", "hour")
    )
    hours = defaultdict(list)
    for box_id, hour in rows:
        hours[box_id].append(hour)
    return dict(hours)


def voted_by_hour(election):
    rows = (
        VoteRecord.unscoped.filter(election=election)
        .annotate(hour=ExtractHour("at", tzinfo=timezone.get_current_timezone()))
        .values_list("polling_district_id", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(district, hour): n for district, hour, n in rows}


def latest_counts(election):
    latest = (
        BoxTurnoutCount.unscoped.filter(box__election=election)
        .order_by("box_id", "-as_of", "-received_at")
        .distinct("box_id")
    )
    return {count.box_id: count for count in latest}


def warp_totals(election):
    rows = (
        WarpCount.unscoped.filter(box__election=election, invalid=False)
        .annotate(name=Coalesce("party__code", "label"))
        .values_list("box_id", "name")
        .annotate(votes=Sum("votes"))
        .order_by()
    )
    totals = defaultdict(dict)
    for box_id, name, votes in rows:
        totals[box_id][name] = votes
    return dict(totals)
