"""What a phone downloads for a pack: compact, so 300 doors stay well under 150 KB gzipped."""

from django.db.models import Q
from django.utils import timezone

from campaigns import door_map
from campaigns.models import DoorOutcome, IntentionCode, LatestIntention, Pack, Question, Visit, WalkList
from labourhub.scoping import Action, constituencies_for
from voters import contact_rule
from voters.models import Channel, Elector

SKIP_TEXT = "contacted recently, skip"


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


def pack_is_exempt(pack):
    """A knock-up round's pack (polling day): the contact-frequency rule does not apply to it."""
    return WalkList.unscoped.filter(pk=pack.walk_list_id, knock_up_round__isnull=False).exists()


def pack_resting(pack, doors):
    """{elector id: their latest such contact} for the people on `doors` (from `pack_doors`) whom the
    contact-frequency rule (voters.contact_rule) now says to skip: contacted inside the CLP's quiet
    period for door knocking (the list was built without them, so: contacted since it was built or
    printed; or a household member who was resting already), other than through this pack (its own
    doors show as done, not as resting). Asked each time a pack is printed, or opened or
    refreshed on a phone. Empty for a knock-up pack: polling day is exempt.

    Only marks: nobody is taken off the sheet, so a door knocked anyway (the paper sheet was
    printed before the quiet period started) is still keyed in (see paper_sheet_record)."""
    if pack_is_exempt(pack):
        return {}
    return contact_rule.contacted_recently(
        elector_ids=[e.pk for _, electors in doors for e in electors],
        constituency=pack.walk_list.campaign.constituency_id,
        channel=Channel.DOOR,
        not_through=Q(visit__pack=pack),
    )


def doors_marked(doors, resting):
    """`doors` as [(property, [(elector, last contact or None)], every person resting)] for pages."""
    marked = []
    for home, electors in doors:
        people = [(e, resting.get(e.pk)) for e in electors]
        marked.append((home, people, bool(people) and all(at is not None for _, at in people)))
    return marked


def _day(at):
    return f"{timezone.localtime(at):%-d %b}" if at is not None else ""


def pack_map(pack, doors):
    """The pack's map, sent with its download so the map works offline too: each door's position
    spread around its postcode's point in street order (campaigns.door_map), the points shared by
    several doors (drawn with their count), and the doors done on the server: an answer recorded
    for the door in this pack, from any phone or keyed in from paper (not voided)."""
    homes = [home for home, _ in doors]
    spread = door_map.spread(
        [(home.latitude, home.longitude) for home in homes],
        [door_map.street_order(home.street, home.house_number, home.address) for home in homes],
    )
    postcodes = {}
    for home in homes:
        if home.latitude is not None and home.longitude is not None:
            point = (
                round(home.latitude, door_map.POINT_DIGITS),
                round(home.longitude, door_map.POINT_DIGITS),
            )
            postcodes.setdefault(point, set()).add(home.postcode_display)
    done = set(
        Visit.unscoped.filter(pack=pack, voided=False).values_list("elector__home_id", flat=True).distinct()
    )
    return {
        "positions": [list(p) if p else None for p in spread.positions],
        "places": [
            {
                "ll": [place.latitude, place.longitude],
                "doors": place.doors,
                "r": place.radius_m,
                "pc": " / ".join(sorted(postcodes[(place.latitude, place.longitude)] - {""})),
            }
            for place in spread.places
        ],
        "done": [home.pk for home in homes if home.pk in done],
    }


def pack_download(*, pack, token):
    """`token` comes back with each answer (see campaigns.offline). Each person carries the day of
    their last contact when the contact-frequency rule says to skip them ("" otherwise), and a door
    whose every person is resting says so in `skip`."""
    campaign = pack.walk_list.campaign
    doors = pack_doors(pack)
    resting = pack_resting(pack, doors)
    on_map = pack_map(pack, doors)
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
                # Where the map draws the door: spread round a point shared with other doors.
                "m": on_map["positions"][index],
                "e": [
                    [e.pk, e.full_name, e.elector_number_raw, latest.get(e.pk, ""), _day(resting.get(e.pk))]
                    for e in electors
                ],
                "skip": SKIP_TEXT if electors and all(e.pk in resting for e in electors) else "",
            }
            for index, (home, electors) in enumerate(doors)
        ],
        "places": on_map["places"],
        "done": on_map["done"],
        "at": timezone.now().isoformat(),
    }
