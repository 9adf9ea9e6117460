import io

from django.core import mail

from labourhub import demo as core_demo
from labourhub.models import PollingDistrict
from members import demo
from members.models import ElectorMatch, EmailSend, Member, Volunteer
from tests.voters.factories import ElectorFactory, PropertyFactory


def test_demo_seeds_members_volunteers_and_a_sent_email_once(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = io.StringIO()
    core_demo.seed(out)
    district = PollingDistrict.objects.filter(constituency__gss_code=core_demo.ANYTOWN_CODE).first()
    for first, last in [("Zoë Anne", "O'Neill"), ("Raj", "Anytownson"), ("", "Smith")]:
        ElectorFactory(
            home=PropertyFactory(polling_district=district, postcode="AN11AA", postcode_display="AN1 1AA"),
            first_names=first,
            surname=last,
        )
    demo.seed(out)
    # 3,000 generated members and the demo canvasser's own record (members.demo._link_demo_accounts)
    assert Member.unscoped.filter(constituency__gss_code=core_demo.ANYTOWN_CODE).count() == 3001
    assert Member.unscoped.without_email().count() > 300
    assert set(Member.unscoped.values_list("status", flat=True)) == {"current", "arrears", "lapsed"}
    assert Volunteer.unscoped.filter(help_other_clps=True).exists()
    sent = EmailSend.unscoped.get(state=EmailSend.State.DONE)
    report = sent.report()
    assert report["sent"] > 1000 and report["unsubscribed"] == 8 and report["bounced"] == 4
    assert len(mail.outbox) == report["sent"]
    assert EmailSend.unscoped.filter(state=EmailSend.State.DRAFT).count() == 1
    # Matched by the importer: two for certain; the elector with no first name waits for review.
    assert Member.unscoped.filter(elector__isnull=False).count() == 2
    assert ElectorMatch.unscoped.to_review().count() == 1
    demo.seed(out)
    assert "already loaded" in out.getvalue()
    assert Member.unscoped.count() == 3301  # and the demo canvasser's own record
