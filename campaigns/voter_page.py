"""What canvassing learnt from a voter, for the register's pages (voters/learnt.py): the latest voting
intention with when and how, the survey answers given at each door or call, and a summary for search
results. Everything is read as the voter's page reads (VIEW_VOTERS, roles with MFA); a fixed number
of queries each."""

from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.timezone import localtime

from campaigns.models import Answer, LatestIntention, Question, Visit
from labourhub.scoping import Action
from voters.learnt import Learnt, Line

VOIDED = "voided by an organiser: reports leave it out"


def latest(user, elector):
    """The elector's latest voting intention (newest by server time, as knock-up lists use it) and the
    other answers given at that contact. Two queries."""
    found = (
        LatestIntention.objects.for_user(user, Action.VIEW_VOTERS)
        .filter(elector=elector)
        .select_related("intention", "visit__canvasser", "visit__campaign", "visit__contact")
        .prefetch_related(Prefetch("visit__answers", _answers()))
        .first()
    )
    if found is None:
        return None
    visit = found.visit
    return Learnt(
        label="Voting intention",
        value=_intention(found.intention, found.strength),
        at=visit.contact.at if visit.contact else found.at,
        how=visit.get_channel_display(),
        by=str(visit.canvasser),
        campaign=visit.campaign.name,
        lines=[_line(a) for a in visit.answers.all() if a.question.kind != Question.Kind.INTENTION],
    )


def on_contacts(user, contact_ids):
    """{contact id: answers given} for the contacts that were canvassing visits. One query."""
    visits = Visit.objects.for_user(user, Action.VIEW_VOTERS).filter(contact_id__in=contact_ids)
    answers = _answers().filter(visit__in=visits).select_related("visit")
    lines = {}
    for answer in answers:
        found = lines.setdefault(answer.visit.contact_id, [])
        if not found and answer.visit.voided:
            found.append(Line("Visit", VOIDED))
        found.append(_line(answer))
    return lines


def summaries(user, elector_ids):
    """{elector id: "Labour (L), hard, 3 Nov 2026"} for search results. One query."""
    latest_ones = (
        LatestIntention.objects.for_user(user, Action.VIEW_VOTERS)
        .filter(elector_id__in=elector_ids)
        .select_related("intention")
    )
    return {
        li.elector_id: f"{_intention(li.intention, li.strength)}, {date_format(localtime(li.at), 'j M Y')}"
        for li in latest_ones
    }


def _answers():
    return Answer.objects.select_related("question__party", "intention").order_by(
        "question__position", "question_id"
    )


def _intention(code, strength):
    return f"{code.label} ({code.code}){', ' + strength if strength else ''}"


def _line(answer):
    question, value = answer.question, answer.value
    Kind = Question.Kind
    if question.kind == Kind.INTENTION and answer.intention is not None:
        text = _intention(answer.intention, answer.strength)
    elif question.kind == Kind.LIKELIHOOD:
        text = f"{value} out of 10"
    elif question.kind == Kind.ISSUES and isinstance(value, dict):
        labels = dict(question.options)
        named = [labels.get(code, code) for code in value.get("codes", [])]
        if value.get("other"):
            named.append(f"also: {value['other']}")
        text = ", ".join(named) or "none"
    elif question.kind == Kind.YES_NO:
        text = "Yes" if value is True else "No"
    else:
        text = str(value)
    return Line(question.text, text)
