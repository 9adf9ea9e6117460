"""What a phone downloads for a pack: compact, so 300 doors stay well under 150 KB gzipped."""

from django.utils import timezone

from campaigns.models import DoorOutcome, IntentionCode, LatestIntention, Pack, Question
from labourhub.scoping import Action, constituencies_for
from voters.models import Channel, Elector


def phone_order(questions):
    """The survey's questions in the order the phone asks them: voting intention first (the answer
    every door is for), then the rest in the survey's own order.

    Not by how often each is answered: the organiser orders the survey as the conversation goes,
    a canvasser learns where each question sits on the screen, and an order that moved as answers
    came in would move it under their thumb from one session to the next (and bury for good the
    questions that are rarely answered because they sit low)."""
    questions = list(questions)
    return [q for q in questions if q.kind == Question.Kind.INTENTION] + [
        q for q in questions if q.kind != Question.Kind.INTENTION
    ]


def _survey(version):
    if version is None:
        return None
    return {
        "id": version.pk,
        "number": version.number,
        "questions": [
            {
                "key": q.key,
                "kind": q.kind,
                "text": q.text,
                "party": q.party.code if q.party_id else None,
                "options": q.options,
            }
            for q in phone_order(version.questions.all())
        ],
    }


# What a pack's download (pack_download below, compact JSON) takes, measured on factory and demo
# packs: the survey, codes and outcomes, then each door and each person on it.
_DOWNLOAD_BYTES = {"fixed": 1900, "door": 80, "person": 60}


def download_kb(*, doors: int, people: int) -> int:
    """About how many KB a pack of `doors` doors and `people` people takes on the phone (the pack
    list shows it before downloading; within a third of the real size for ordinary packs)."""
    size = _DOWNLOAD_BYTES["fixed"] + doors * _DOWNLOAD_BYTES["door"] + people * _DOWNLOAD_BYTES["person"]
    return max(1, round(size / 1024))


def pack_to_claim(user, token):
    """The pack an organiser's sheet or link hands out (`token`), if nobody has it yet, in a CLP
    where `user` may canvass. A pack given to someone else stays theirs. (Pack.objects.for_user
    with CANVASS shows a canvasser only the packs already given to them.)"""
    return Pack.unscoped.filter(
        share_token=token,
        assigned_to__isnull=True,
        walk_list__campaign__constituency__in=constituencies_for(user, Action.CANVASS),
    ).first()


def pack_doors(pack):
    """[(property, [electors])] in walking order; do-not-contact and off-register electors left out."""
    doors = list(pack.doors.select_related("property").order_by("position"))
    electors = (
        Elector.unscoped.filter(home__in=[d.property_id for d in doors])
        .on_register()
        .contactable()
        .order_by("surname", "first_names")
    )
    by_home = {}
    for elector in electors:
        by_home.setdefault(elector.home_id, []).append(elector)
    return [(door.property, by_home.get(door.property_id, [])) for door in doors]


def pack_download(*, pack, token):
    """`token` comes back with each answer (see campaigns.offline)."""
    campaign = pack.walk_list.campaign
    doors = pack_doors(pack)
    elector_ids = [e.pk for _, electors in doors for e in electors]
    latest = {
        li.elector_id: li.display
        for li in LatestIntention.unscoped.filter(elector_id__in=elector_ids).select_related("intention")
    }
    return {
        "pack": {
            "id": pack.pk,
            "name": pack.name,
            "sheet": pack.sheet_id,
            "campaign": campaign.name,
        },
        "token": token,
        "survey": _survey(campaign.current_survey_version()),
        "codes": [[c.code, c.label, c.takes_strength, c.colour] for c in IntentionCode.objects.active()],
        "outcomes": [
            [o.code, o.label, o.spoke] for o in DoorOutcome.objects.active().filter(channel=Channel.DOOR)
        ],
        "doors": [
            {
                "id": home.pk,
                "a": home.address,
                "pc": home.postcode_display,
                "ll": [round(home.latitude, 5), round(home.longitude, 5)]
                if home.latitude is not None and home.longitude is not None
                else None,
                "e": [[e.pk, e.full_name, e.elector_number_raw, latest.get(e.pk, "")] for e in electors],
            }
            for home, electors in doors
        ],
        "at": timezone.now().isoformat(),
    }
