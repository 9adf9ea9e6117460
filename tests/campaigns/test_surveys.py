import pytest
from django.core.exceptions import ValidationError

from campaigns.models import DoorOutcome, IntentionCode, Issue
from campaigns.services import survey_create, survey_revise, survey_spec
from tests.campaigns.factories import CampaignFactory


def test_reference_tables_are_seeded_by_migration(db):
    assert set(IntentionCode.objects.values_list("code", flat=True)) >= {"L", "T", "LD", "G", "D", "W", "A"}
    assert not IntentionCode.objects.get(code="D").takes_strength
    assert DoorOutcome.objects.get(code="moved").review == "moved"
    assert DoorOutcome.objects.filter(channel="phone", code="no_answer", try_again=True).exists()
    assert Issue.objects.filter(code="housing").exists()


def test_revising_a_survey_makes_a_new_version_and_keeps_the_old_one(anytown):
    campaign = CampaignFactory(constituency=anytown.constituency)
    survey = survey_create(campaign=campaign, name="Doorstep")
    first = survey.current_version
    spec = survey_spec(first)
    spec[0]["text"] = "Who will you vote for on 7 May?"
    second = survey_revise(survey=survey, questions=spec, note="Election date")
    first.refresh_from_db()
    assert (first.number, second.number) == (1, 2)
    assert first.questions.get(key="vi").text == "How will you vote?"
    assert second.questions.get(key="vi").text == "Who will you vote for on 7 May?"
    assert survey.current_version == second


def test_issue_options_are_frozen_into_the_version(anytown):
    campaign = CampaignFactory(constituency=anytown.constituency)
    survey = survey_create(campaign=campaign, name="Doorstep")
    Issue.objects.filter(code="housing").update(label="Housing and rents")
    issues = survey.current_version.questions.get(key="issues")
    assert ["housing", "Housing"] in issues.options


@pytest.mark.parametrize(
    "questions, message",
    [
        ([], "at least one question"),
        ([{"key": "a b", "kind": "text", "text": "x"}], "key 'a b'"),
        ([{"key": "a", "kind": "poll", "text": "x"}], "kind 'poll'"),
        ([{"key": "a", "kind": "likelihood", "text": "x", "party": "ZZ"}], "party 'ZZ'"),
        ([{"key": "a", "kind": "text", "text": "x"}, {"key": "a", "kind": "text", "text": "y"}], "twice"),
    ],
)
def test_bad_questions_are_refused_naming_the_question(anytown, questions, message):
    campaign = CampaignFactory(constituency=anytown.constituency)
    with pytest.raises(ValidationError, match=message):
        survey_create(campaign=campaign, name="Doorstep", questions=questions)
    assert not campaign.surveys.exists()
