import io

from campaigns import demo
from campaigns.models import CallList, Campaign, Relation, Visit
from labourhub import demo as core_demo
from labourhub.models import Constituency
from tests.voters.factories import ElectorFactory, PropertyFactory


def test_demo_seeds_a_campaign_through_the_real_paths_and_is_idempotent(db):
    core_demo.seed(io.StringIO())
    anytown = Constituency.objects.get(gss_code=core_demo.ANYTOWN_CODE)
    for pd in anytown.polling_districts.order_by("code")[:3]:
        for n in range(1, 31):
            ElectorFactory(
                home=PropertyFactory(polling_district=pd, street=f"{pd.code} Street", house_number=n)
            )
    out = io.StringIO()
    demo.seed(out)
    campaign = Campaign.unscoped.get(name=demo.CAMPAIGN)
    assert campaign.walk_lists.count() == 2
    assert Visit.unscoped.filter(campaign=campaign).count() == 30
    assert Relation.unscoped.exists() and CallList.unscoped.get().entry_count > 0
    demo.seed(out)
    assert "already seeded" in out.getvalue()
    assert Visit.unscoped.count() == 30
