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


def test_question_edits_are_services_that_edit_the_latest_version(anytown):
    """Issue #12 item 4: the survey page's add/remove/reword are services, each reading the current
    questions under the survey's lock (so an edit never starts from an older copy)."""
    from campaigns.services import survey_question_add, survey_question_remove, survey_question_reword

    campaign = CampaignFactory(constituency=anytown.constituency)
    survey = survey_create(campaign=campaign, name="Doorstep")
    stale = survey.current_version
    survey_question_add(survey=survey, key="school-run", kind="yes_no", text="Is the school run safe?")
    survey_question_reword(survey=survey, key="vi", text="Who gets your vote?")
    third = survey.current_version
    assert third.number == 3 and stale.number == 1
    assert set(third.questions.values_list("key", flat=True)) >= {"school-run", "vi"}
    assert third.questions.get(key="vi").text == "Who gets your vote?"
    fourth = survey_question_remove(survey=survey, key="school-run")
    assert not fourth.questions.filter(key="school-run").exists() and fourth.note == "Removed school-run"
    assert fourth.questions.get(key="vi").text == "Who gets your vote?"


@pytest.mark.parametrize("edit", ["remove", "reword"])
def test_editing_a_question_the_survey_lacks_says_so_and_makes_no_version(anytown, edit):
    from campaigns import services

    campaign = CampaignFactory(constituency=anytown.constituency)
    survey = survey_create(campaign=campaign, name="Doorstep")
    with pytest.raises(ValidationError, match="no question “nope”"):
        if edit == "remove":
            services.survey_question_remove(survey=survey, key="nope")
        else:
            services.survey_question_reword(survey=survey, key="nope", text="x")
    assert survey.versions.count() == 1


def test_adding_a_question_whose_key_is_taken_is_refused_naming_it(anytown):
    from campaigns.services import survey_question_add

    campaign = CampaignFactory(constituency=anytown.constituency)
    survey = survey_create(campaign=campaign, name="Doorstep")
    with pytest.raises(ValidationError, match="twice"):
        survey_question_add(survey=survey, key="vi", kind="text", text="Again?")
    assert survey.versions.count() == 1
