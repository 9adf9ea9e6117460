import io

from gotv import demo
from gotv.models import BallotBox, CommitteeRoom, Election
from labourhub import demo as core_demo
from labourhub.models import Constituency
from tests.gotv.factories import RegisterPublicationFactory


def test_demo_sets_up_an_election_today_and_is_idempotent(db):
    core_demo.seed(io.StringIO())
    out = io.StringIO()
    demo.seed(out)
    assert "no register loaded" in out.getvalue()
    anytown = Constituency.objects.get(gss_code=core_demo.ANYTOWN_CODE)
    RegisterPublicationFactory(constituency=anytown)
    demo.seed(out)
    election = Election.objects.get(name=demo.ELECTION)
    assert BallotBox.objects.filter(election=election).count() == anytown.polling_districts.count()
    assert CommitteeRoom.objects.filter(election=election, is_main=True).count() == 1
    assert CommitteeRoom.objects.filter(election=election).count() == 2
    assert election.campaign is not None  # the polling-day campaign for knock-up walk lists
    demo.seed(out)
    assert "already seeded" in out.getvalue()
    assert Election.objects.filter(name=demo.ELECTION).count() == 1
