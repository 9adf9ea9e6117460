import io

from django.core import mail

from labourhub import demo as core_demo
from members import demo
from members.models import EmailSend, Member, Volunteer


def test_demo_seeds_members_volunteers_and_a_sent_email_once(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = io.StringIO()
    core_demo.seed(out)
    demo.seed(out)
    assert Member.objects.filter(constituency__gss_code=core_demo.ANYTOWN_CODE).count() == 3000
    assert Member.objects.without_email().count() > 300
    assert set(Member.objects.values_list("status", flat=True)) == {"current", "arrears", "lapsed"}
    assert Volunteer.objects.filter(help_other_clps=True).exists()
    sent = EmailSend.objects.get(state=EmailSend.State.DONE)
    report = sent.report()
    assert report["sent"] > 1000 and report["unsubscribed"] == 8 and report["bounced"] == 4
    assert len(mail.outbox) == report["sent"]
    assert EmailSend.objects.filter(state=EmailSend.State.DRAFT).count() == 1
    demo.seed(out)
    assert "already loaded" in out.getvalue()
    assert Member.objects.count() == 3300
