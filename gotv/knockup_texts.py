"""Knock-up texts (issue 17, item 3: "polling-day knock-up messages can then use the same path"):
a committee room texts the promises not yet voted in one of its polling districts, through
labourhub/sms.py's `sms_bulk_queue` (the page says how many and asks first).

Who may be texted: only promises who are members of the CLP and gave the CLP their own SMS consent
on their membership record (matched to their elector), with a mobile number. A get-out-the-vote
text is direct marketing (PECR reg. 22: prior consent for texts), and the register carries no
consent, so electors who are not such members are never texted; STOP (labourhub/sms.py) withdraws
the member's consent and blocks the number. Each person is texted at most once an hour (the key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gotv.models import BallotBoxDistrict, CommitteeRoomBox
from gotv.promises import knock_up
from labourhub import sms
from members.models import Member

if TYPE_CHECKING:
    from gotv.models import CommitteeRoom
    from labourhub.models import PollingDistrict, User

DEFAULT_TEXT = (
    "Polls are open until 10pm today and every vote counts. If you have not voted yet, your polling "
    "station is on your poll card. Thank you! Reply STOP to stop texts."
)


def districts_of(room: CommitteeRoom) -> list[PollingDistrict]:
    from labourhub.models import PollingDistrict

    boxes = CommitteeRoomBox.objects.filter(committee_room=room).values("box_id")
    return list(
        PollingDistrict.objects.filter(
            pk__in=BallotBoxDistrict.objects.filter(box_id__in=boxes).values("polling_district")
        ).order_by("code")
    )


def recipients(room: CommitteeRoom, district: PollingDistrict) -> list[tuple[str, str]]:
    """(key, mobile) for the room's promises not yet voted in `district` who are members of the CLP
    with their own SMS consent: one query. The key is per election, elector and hour."""
    election = room.election
    boxes = CommitteeRoomBox.objects.filter(committee_room=room).values("box_id")
    electors = knock_up(election).filter(box_id__in=boxes, poll_district_id=district.pk).values("pk")
    hour = timezone.localtime().strftime("%Y%m%d%H")
    rows = (
        Member.unscoped.filter(
            constituency_id=election.constituency_id,
            elector__in=electors,
            consent_sms=True,
        )
        .exclude(mobile="")
        .order_by("elector_id", "pk")
        .distinct("elector_id")
        .values_list("elector_id", "mobile")
    )
    return [(f"knockup:{election.pk}:{elector}:{hour}", mobile) for elector, mobile in rows]


@transaction.atomic
def knock_up_text(
    *, user: User, room: CommitteeRoom, district: PollingDistrict, body: str, expected: int
) -> int:
    """Text the room's promises not yet voted in `district` (see `recipients`): the count the page
    showed is `expected`; if the list changed since, nothing is sent (sms_bulk_queue)."""
    if district.pk not in {d.pk for d in districts_of(room)}:
        raise ValidationError(f"district: {district} is not run from {room}.")
    try:
        return sms.sms_bulk_queue(
            user=user,
            constituency=room.election.constituency,
            recipients=recipients(room, district),
            body=body,
            purpose=f"knock-up text, {room}, {district.code}",
            expected=expected,
        )
    except sms.SmsNumberError as error:
        raise ValidationError(str(error)) from error
