"""What a phone downloads for a pack: compact, so 300 doors stay well under 150 KB gzipped."""

from django.utils import timezone

from campaigns import door_map
from campaigns.models import DoorOutcome, IntentionCode, LatestIntention, Pack, Visit
from labourhub.scoping import Action, constituencies_for
from voters.models import Channel, Elector


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
            for q in version.questions.all()
        ],
    }


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
    """`token` comes back with each answer (see campaigns.offline)."""
    campaign = pack.walk_list.campaign
    doors = pack_doors(pack)
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
                "e": [[e.pk, e.full_name, e.elector_number_raw, latest.get(e.pk, "")] for e in electors],
            }
            for index, (home, electors) in enumerate(doors)
        ],
        "places": on_map["places"],
        "done": on_map["done"],
        "at": timezone.now().isoformat(),
    }
