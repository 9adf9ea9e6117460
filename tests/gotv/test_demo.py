import io

from django.utils import timezone

from gotv import demo
from gotv.models import (
    BallotBox,
    CommitteeRoom,
    Driver,
    Election,
    KnockUpRound,
    LiftRequest,
    Telling,
    VoteRecord,
)
from labourhub import demo as core_demo
from labourhub.models import Constituency
from tests.campaigns.factories import CampaignFactory
from tests.gotv.factories import RegisterPublicationFactory, canvassed, enter
from tests.voters.factories import ElectorFactory, PropertyFactory


def _register_with_promises(anytown):
    """A small Anytown register: 12 electors per district, a third canvassed as ours."""
    publication = RegisterPublicationFactory(constituency=anytown)
    campaign = CampaignFactory(constituency=anytown, name="Anytown doorstep")
    promised = []
    for district in anytown.polling_districts.order_by("code"):
        for n in range(12):
            elector = ElectorFactory(home=PropertyFactory(polling_district=district), surname=f"Voter{n}")
            enter(publication, elector, number=n + 1, polling_district=district)
            if n % 3 == 0:
                canvassed(elector, "L", "hard", campaign=campaign)
                promised.append(elector.pk)
    return publication, promised


def test_demo_without_a_register_seeds_nothing(db):
    core_demo.seed(io.StringIO())
    out = io.StringIO()
    demo.seed(out)
    assert "no register loaded" in out.getvalue()
    assert not Election.unscoped.exists()


def test_demo_polling_day_is_alive_today_and_idempotent(db):
    core_demo.seed(io.StringIO())
    anytown = Constituency.objects.get(gss_code=core_demo.ANYTOWN_CODE)
    _register_with_promises(anytown)
    out = io.StringIO()
    demo.seed(out)

    election = Election.unscoped.get(name=demo.ELECTION)
    assert election.poll_date == timezone.localdate()
    assert election.opens_at <= timezone.now() <= election.closes_at  # the poll is open on first look
    boxes = BallotBox.unscoped.filter(election=election)
    assert boxes.count() == anytown.polling_districts.count()
    assert CommitteeRoom.unscoped.filter(election=election, is_main=True).count() == 1
    assert CommitteeRoom.unscoped.filter(election=election).count() == 2
    assert election.campaign is not None

    # Tellings arrived through the telling service, spread over the hours so far, each with its voted.
    tellings = Telling.unscoped.filter(election=election)
    assert tellings.count() > 0
    assert VoteRecord.unscoped.filter(election=election).count() == tellings.count()
    times = sorted(tellings.values_list("recorded_at", flat=True))
    assert election.opens_at <= times[0] and times[-1] <= timezone.now()
    assert len({t.replace(second=0, microsecond=0) for t in times}) > 1  # not all in one minute
    assert not VoteRecord.unscoped.filter(election=election).exclude(at__in=times).exists()
    # Some boxes had no teller, so the board can say "not seen" there.
    assert boxes.exclude(pk__in=tellings.values("box")).exists()

    assert KnockUpRound.unscoped.filter(committee_room__election=election, closed_at__isnull=True).exists()
    lifts = LiftRequest.unscoped.filter(election=election)
    assert lifts.count() == len(demo.LIFTS)
    assert lifts.filter(status=LiftRequest.Status.OPEN).exists()
    assert lifts.filter(status=LiftRequest.Status.DONE).exists()
    canvasser_driver = Driver.unscoped.get(election=election, user__email="canvasser@anytown.demo")
    assert lifts.filter(driver=canvasser_driver, status=LiftRequest.Status.ASSIGNED).count() == 2
    assert "tellings" in out.getvalue()

    counts = (tellings.count(), lifts.count(), KnockUpRound.unscoped.count())
    demo.seed(out)
    assert "already seeded" in out.getvalue()
    assert Election.unscoped.filter(name=demo.ELECTION).count() == 1
    assert (Telling.unscoped.count(), LiftRequest.unscoped.count(), KnockUpRound.unscoped.count()) == counts
