"""Choosing doors for a walk list or people for a call list, and putting doors in walking order.

Criteria (a dict, stored on the list so it can be read back and rebuilt):
    polling_districts  [pd ids]              within the campaign's CLP (all of it when empty)
    streets            ["High Street", ...]  case-insensitive
    score              {"model_version": id, "name": "support", "min": 0.3, "max": 0.7}
    intentions         ["L soft", "D", ...]  latest voting intention (code, optionally strength)
    not_contacted_days 21                    on top of the CLP's contact-frequency rule
Every list leaves out do-not-contact electors and anyone inside the CLP's quiet period (the
contact-frequency rule, voters.contact_rule); `skipped_by_rule` counts who the rule left out.
"""

import re
from datetime import timedelta
from itertools import groupby

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Upper
from django.utils import timezone

from campaigns.models import IntentionCode, LatestIntention, PhoneNumber
from labourhub.models import PollingDistrict
from members.models import Member
from voters import contact_rule
from voters.models import Channel, ElectorScore, ModelVersion, Property
from voters.models import Elector as ElectorModel

_INTENTION_RE = re.compile(r"^([A-Z]{1,5})(?: (hard|soft))?$")


def criteria_clean(campaign, raw):
    """Check criteria against the campaign's CLP; raise naming the bad field."""
    criteria = {}
    pds = [int(p) for p in raw.get("polling_districts") or []]
    if pds:
        found = set(
            PollingDistrict.objects.filter(constituency=campaign.constituency, pk__in=pds).values_list(
                "pk", flat=True
            )
        )
        if set(pds) - found:
            raise ValidationError(
                f"polling_districts: {sorted(set(pds) - found)} are not in {campaign.constituency}."
            )
        criteria["polling_districts"] = sorted(found)
    streets = [s.strip() for s in raw.get("streets") or [] if s.strip()]
    if streets:
        criteria["streets"] = streets
    score = raw.get("score")
    if score:
        version = ModelVersion.unscoped.filter(
            constituency=campaign.constituency, pk=score.get("model_version")
        ).first()
        if version is None:
            raise ValidationError(
                f"score: model version {score.get('model_version')!r} is not one of this CLP's."
            )
        if score.get("name") not in version.score_names:
            raise ValidationError(f"score: {version} has no score named {score.get('name')!r}.")
        low, high = score.get("min"), score.get("max")
        if low is not None and high is not None and float(low) > float(high):
            raise ValidationError("score: the minimum is above the maximum.")
        criteria["score"] = {
            "model_version": version.pk,
            "name": score["name"],
            "min": None if low is None else float(low),
            "max": None if high is None else float(high),
        }
    intentions = [i.strip() for i in raw.get("intentions") or [] if i.strip()]
    if intentions:
        known = set(IntentionCode.objects.values_list("code", flat=True))
        for value in intentions:
            match = _INTENTION_RE.match(value)
            if not match or match.group(1) not in known:
                raise ValidationError(f"intentions: {value!r} is not a code such as 'L soft' or 'D'.")
        criteria["intentions"] = intentions
    days = raw.get("not_contacted_days")
    if days not in (None, ""):
        if int(days) < 0:
            raise ValidationError("not_contacted_days: must be 0 or more.")
        criteria["not_contacted_days"] = int(days)
    return criteria


def electors_matching(campaign, criteria, channel=Channel.DOOR, *, rule=True):
    """Electors in the campaign's CLP meeting `criteria`, contactable and outside the quiet period
    (with rule=False, inside it too: what `skipped_by_rule` counts from)."""
    electors = ElectorModel.unscoped.filter(
        polling_district__constituency=campaign.constituency
    ).on_register()
    electors = electors.due_for(channel) if rule else electors.contactable()
    if criteria.get("polling_districts"):
        electors = electors.filter(polling_district__in=criteria["polling_districts"])
    if criteria.get("streets"):
        electors = electors.annotate(street_upper=Upper("home__street")).filter(
            street_upper__in=[s.upper() for s in criteria["streets"]]
        )
    score = criteria.get("score")
    if score:
        scores = ElectorScore.unscoped.filter(
            elector=OuterRef("pk"), model_version=score["model_version"], name=score["name"]
        )
        if score.get("min") is not None:
            scores = scores.filter(value__gte=score["min"])
        if score.get("max") is not None:
            scores = scores.filter(value__lte=score["max"])
        electors = electors.filter(Exists(scores))
    if criteria.get("intentions"):
        wanted = Q()
        for value in criteria["intentions"]:
            code, strength = _INTENTION_RE.match(value).groups()
            wanted |= Q(intention__code=code, **({"strength": strength} if strength else {}))
        electors = electors.filter(Exists(LatestIntention.unscoped.filter(wanted, elector=OuterRef("pk"))))
    if criteria.get("not_contacted_days"):
        electors = electors.not_contacted_since(
            timezone.now() - timedelta(days=criteria["not_contacted_days"])
        )
    if channel == Channel.PHONE:
        electors = electors.filter(
            Exists(PhoneNumber.unscoped.callable().filter(elector=OuterRef("pk")))
            | (
                Exists(member_phones().filter(elector=OuterRef("pk")))
                & ~Exists(
                    PhoneNumber.unscoped.exclude(tps=False, objected=False).filter(elector=OuterRef("pk"))
                )
            )
        )
    return electors


def skipped_by_rule(campaign, criteria, channel=Channel.DOOR):
    """How many electors meeting `criteria` the contact-frequency rule leaves out, now."""
    return contact_rule.resting(electors_matching(campaign, criteria, channel, rule=False), channel).count()


def member_phones():
    """Members matched to the register who said yes to phone calls and gave a number."""
    return Member.unscoped.filter(elector__isnull=False, consent_phone=True).exclude(mobile="", phone="")


def doors_in_walking_order(electors):
    """The properties of `electors` along each street: up the odd side, back down the even side,
    flats in one block together; named houses (no number) after the numbered ones."""
    rows = list(
        Property.unscoped.filter(pk__in=electors.values("home"))
        .values_list("pk", "street", "house_number", "address")
        .order_by()
    )

    def street_key(row):
        return (row[1] or "").upper()

    def door_key(row):
        number = row[2]
        if number is None:
            return (2, 0, row[3])
        if number % 2:
            return (0, number, row[3])  # odd side, going up
        return (1, -number, row[3])  # even side, coming back down

    ordered = []
    for _, street_rows in groupby(sorted(rows, key=street_key), key=street_key):
        ordered.extend(sorted(street_rows, key=door_key))
    return ordered


def split_into_packs(doors, size):
    """Chunks of about `size` doors that never split a block of flats (same street and number)."""
    packs, current = [], []
    for index, door in enumerate(doors):
        current.append(door)
        following = doors[index + 1] if index + 1 < len(doors) else None
        same_block = (
            following is not None
            and door[2] is not None
            and (following[1] or "").upper() == (door[1] or "").upper()
            and following[2] == door[2]
        )
        if len(current) >= size and not same_block:
            packs.append(current)
            current = []
    if current:
        packs.append(current)
    return packs
