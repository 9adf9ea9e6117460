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
    _events_seeded(anytown)
    demo.seed(out)
    assert "already seeded" in out.getvalue()
    assert Visit.unscoped.count() == 30


def _events_seeded(anytown):
    """Issue 17, item 8: upcoming sessions with sign-ups, a past one with check-ins, and a
    target-seat weekend with a visitor from Otherton let in today through the access rule."""
    from django.utils import timezone

    from campaigns.models import Event, Signup
    from labourhub.models import Grant, Role

    now = timezone.now()
    upcoming = Event.unscoped.filter(constituency=anytown, shifts__starts_at__gt=now).distinct()
    assert upcoming.count() >= 4
    assert Signup.unscoped.filter(shift__event__in=upcoming, status=Signup.Status.BOOKED).count() >= 12
    past = Event.unscoped.get(title="Last Saturday's doors")
    assert Signup.unscoped.filter(shift__event=past, attendance="attended", pack__isnull=False).count() == 1
    assert Signup.unscoped.filter(shift__event=past, attendance="attended").count() == 4
    visitor = Signup.unscoped.get(
        shift__event__title="Target seat: day of action", contact__email="visitor@otherton.demo"
    )
    grant = Grant.objects.get(pk=visitor.visitor_grant_id)
    assert grant.role == Role.VISITING_ACTIVIST and grant.constituency_id == anytown.pk
    assert (
        Event.unscoped.filter(
            title__startswith="Target seat weekend", visiting_constituencies__isnull=False
        ).count()
        == 2
    )
