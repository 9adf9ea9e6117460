"""The organiser's and caller's pages, as Anytown's people use them."""

import csv
import gzip
import io
import json
import uuid

import pytest
from django.urls import reverse
from django.utils.html import escape

from campaigns.models import Campaign, FollowUp, Pack, Visit, VisitVoid
from campaigns.services import canvass_record_visit, walk_list_create
from labourhub.models import AuditEvent, Role
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory


@pytest.fixture
def organiser(anytown, client):
    user = anytown.user(Role.ORGANISER)
    client.force_login(user)
    return user


@pytest.fixture
def campaign(anytown):
    return campaign_with_survey(anytown.constituency)


def homes(anytown, count, street="Anytown Road"):
    made = []
    for n in range(1, count + 1):
        home = PropertyFactory(polling_district=anytown.polling_district, street=street, house_number=n)
        ElectorFactory(home=home, surname="Anytownson")
        made.append(home)
    return made


def visit(campaign, elector, user, answers=None, outcome="spoke"):
    return canvass_record_visit(
        canvasser=user,
        campaign=campaign,
        elector=elector,
        outcome=outcome,
        client_uuid=uuid.uuid4(),
        answers=answers,
        survey_version=campaign.current_survey_version() if answers else None,
    ).visit


def test_an_organiser_starts_a_campaign_with_the_standard_survey(client, anytown, organiser):
    response = client.post(
        reverse("campaigns:campaign_create"),
        {"name": "Anytown by-election", "constituency": anytown.constituency.pk, "starts_on": "2026-11-01"},
    )
    campaign = Campaign.unscoped.get(name="Anytown by-election")
    assert response.url == reverse("campaigns:campaign", args=[campaign.pk])
    page = client.get(response.url)
    assert b"How will you vote?" in page.content


def test_a_canvasser_cannot_start_or_see_the_organiser_pages(client, anytown_canvasser, campaign):
    client.force_login(anytown_canvasser)
    assert client.get(reverse("campaigns:campaign_create")).status_code == 403
    assert client.get(reverse("campaigns:campaign", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("campaigns:report", args=[campaign.pk])).status_code == 404


def test_adding_a_question_makes_version_two(client, organiser, campaign):
    response = client.post(
        reverse("campaigns:survey_edit", args=[campaign.pk]),
        {"action": "add", "key": "school-run", "kind": "yes_no", "text": "Is the school run safe?"},
    )
    assert response.status_code == 302
    version = campaign.current_survey_version()
    assert version.number == 2
    assert version.questions.filter(key="school-run").exists()


def test_build_assign_and_open_a_pack(client, anytown, organiser, anytown_canvasser, campaign):
    homes(anytown, 12)
    response = client.post(
        reverse("campaigns:walklist_create", args=[campaign.pk]),
        {"name": "Anytown Road", "pack_size": 6, "streets": "Anytown Road"},
    )
    walk_list = campaign.walk_lists.get()
    assert response.url == reverse("campaigns:walklist", args=[walk_list.pk])
    assert walk_list.packs.count() == 2
    pack = walk_list.packs.first()
    page = client.get(response.url)
    assert pack.sheet_id.encode() in page.content
    client.post(reverse("campaigns:pack_assign", args=[pack.pk]), {"canvasser": anytown_canvasser.pk})
    pack.refresh_from_db()
    assert pack.assigned_to == anytown_canvasser
    client.force_login(anytown_canvasser)
    assert pack.sheet_id.encode() in client.get(reverse("campaigns:index")).content
    data = client.get(reverse("campaigns:pack_data", args=[pack.pk])).json()
    assert [d["a"] for d in data["doors"]] == [f"{n} Anytown Road" for n in (1, 3, 5, 7, 9, 11)]
    assert data["survey"]["questions"][0]["key"] == "vi"


def test_a_pack_cannot_go_to_someone_outside_the_clp(client, anytown, otherton, organiser, campaign):
    pack = pack_with_doors(campaign, homes(anytown, 1))
    client.post(
        reverse("campaigns:pack_assign", args=[pack.pk]), {"canvasser": otherton.user(Role.CANVASSER).pk}
    )
    pack.refresh_from_db()
    assert pack.assigned_to is None


def test_the_printed_pack_has_its_sheet_id_qr_code_and_people(client, anytown, organiser, campaign):
    pack = pack_with_doors(campaign, homes(anytown, 3))
    page = client.get(reverse("campaigns:pack_print", args=[pack.pk])).content.decode()
    assert pack.sheet_id in page and "<svg" in page and "Anytownson" in page
    assert AuditEvent.objects.filter(action="pack.print").exists()


def test_a_300_door_pack_downloads_in_under_150_kb_gzipped(client, anytown, anytown_canvasser, campaign):
    pack = pack_with_doors(campaign, homes(anytown, 300))
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    client.force_login(anytown_canvasser)
    body = client.get(reverse("campaigns:pack_data", args=[pack.pk])).content
    assert len(json.loads(body)["doors"]) == 300
    assert len(gzip.compress(body)) < 150_000


def test_the_pack_download_takes_a_fixed_number_of_queries(
    client, anytown, anytown_canvasser, campaign, django_assert_max_num_queries
):
    pack = pack_with_doors(campaign, homes(anytown, 40))
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    client.force_login(anytown_canvasser)
    # 16, recording the download (its token), and the contact-frequency rule (is it a knock-up
    # pack; the CLP's quiet period; who was contacted inside it)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("campaigns:pack_data", args=[pack.pk]))
    assert len(json.loads(response.content)["doors"]) == 40  # every door is in the download


def test_a_canvasser_opens_only_the_packs_given_to_them(
    client, anytown, organiser, anytown_canvasser, campaign
):
    mine = pack_with_doors(campaign, homes(anytown, 2))
    theirs = pack_with_doors(campaign, homes(anytown, 2))
    client.post(reverse("campaigns:pack_assign", args=[mine.pk]), {"canvasser": anytown_canvasser.pk})
    client.force_login(anytown_canvasser)
    assert client.get(reverse("campaigns:pack_data", args=[mine.pk])).status_code == 200
    for name in ("pack_canvass", "pack_data", "pack_today", "pack_print", "pack_map"):
        assert client.get(reverse(f"campaigns:{name}", args=[theirs.pk])).status_code == 404, name


def test_a_handed_out_sheet_gives_its_pack_to_the_canvasser_who_opens_it(
    client, anytown, organiser, anytown_canvasser, campaign
):
    pack = pack_with_doors(campaign, homes(anytown, 2))
    client.force_login(anytown_canvasser)
    response = client.get(reverse("campaigns:pack_shared", args=[pack.share_token]))
    assert response.url == reverse("campaigns:pack_canvass", args=[pack.pk])
    pack.refresh_from_db()
    assert pack.assigned_to == anytown_canvasser
    assert AuditEvent.objects.filter(action="pack.assign", user=anytown_canvasser).exists()


def test_a_sheet_given_to_someone_else_stays_theirs(client, anytown, organiser, anytown_canvasser, campaign):
    pack = pack_with_doors(campaign, homes(anytown, 2))
    client.post(reverse("campaigns:pack_assign", args=[pack.pk]), {"canvasser": organiser.pk})
    client.force_login(anytown_canvasser)
    response = client.get(reverse("campaigns:pack_shared", args=[pack.share_token]))
    assert response.status_code == 403
    pack.refresh_from_db()
    assert pack.assigned_to == organiser


def test_the_service_worker_is_served_from_the_canvassing_scope(client):
    response = client.get(reverse("campaigns:service_worker"))
    assert response["Content-Type"] == "text/javascript"
    assert response["Service-Worker-Allowed"] == "/campaigns/"
    assert b"const SHELL = [" in response.content and b"/static/campaigns/canvass.js" in response.content


def test_reports_count_visits_by_area_and_exclude_voided_ones(
    client, anytown, organiser, anytown_canvasser, campaign, django_assert_max_num_queries
):
    electors = [h.electors.get() for h in homes(anytown, 4)]
    for elector in electors[:3]:
        visit(campaign, elector, anytown_canvasser, answers={"vi": "L", "issues": ["housing"]})
    voided = visit(campaign, electors[3], anytown_canvasser, answers={"vi": "T"})
    client.post(reverse("campaigns:visit_void", args=[voided.pk]), {"reason": "Anytown test: made up"})
    assert Visit.unscoped.get(pk=voided.pk).voided and VisitVoid.objects.count() == 1
    with django_assert_max_num_queries(20):
        page = client.get(reverse("campaigns:report", args=[campaign.pk]))
    data = page.context["data"]
    assert data["areas"][0]["spoke"] == 3 and data["areas"][0]["electors"] == 4
    assert [(i["intention__code"], i["n"]) for i in data["intentions"]] == [("L", 3)]
    client.post(reverse("campaigns:visit_void", args=[voided.pk]), {"reason": "Checked: it was real"})
    assert not Visit.unscoped.get(pk=voided.pk).voided


def test_csv_exports_escape_formulas_and_are_audited(client, anytown, organiser, anytown_canvasser, campaign):
    anytown.ward.name = "=HYPERLINK(evil)"
    anytown.ward.save(update_fields=["name"])
    visit(campaign, homes(anytown, 1)[0].electors.get(), anytown_canvasser, answers={"issues": ["nhs"]})
    for name in ("campaigns:report_csv", "campaigns:issues_csv"):
        response = client.get(reverse(name, args=[campaign.pk]))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[1][0] == "'=HYPERLINK(evil)"
    assert AuditEvent.objects.filter(action__in=["report.export", "issues.export"]).count() == 2


def test_the_issue_map_groups_issues_by_polling_district(
    client, anytown, organiser, anytown_canvasser, campaign
):
    for home in homes(anytown, 2):
        visit(campaign, home.electors.get(), anytown_canvasser, answers={"issues": ["housing", "nhs"]})
    page = client.get(reverse("campaigns:issues", args=[campaign.pk]) + "?from=not-a-date")
    assert {(r["pd"], r["code"], r["n"]) for r in page.context["rows"]} == {
        ("AN1", "housing", 2),
        ("AN1", "nhs", 2),
    }
    assert "not a date" in page.content.decode()


def test_follow_ups_from_the_doorstep_can_be_ticked_off(
    client, anytown, organiser, anytown_canvasser, campaign
):
    elector = homes(anytown, 1)[0].electors.get()
    visit(campaign, elector, anytown_canvasser, answers={"postal": True, "volunteer": True})
    visit(campaign, elector, anytown_canvasser, outcome="moved")
    assert set(FollowUp.unscoped.values_list("kind", flat=True)) == {"postal_vote", "volunteer", "review"}
    postal = FollowUp.unscoped.get(kind="postal_vote")
    page = client.get(reverse("campaigns:follow_ups", args=[campaign.pk]))
    assert b"Wants a postal vote" in page.content
    client.post(reverse("campaigns:follow_ups", args=[campaign.pk]), {"follow_up": postal.pk})
    assert FollowUp.unscoped.open().count() == 2


def test_the_sessions_page_shows_doors_per_canvasser_day(
    client, anytown, organiser, anytown_canvasser, campaign
):
    for home in homes(anytown, 3):
        visit(campaign, home.electors.get(), anytown_canvasser, outcome="not_in")
    page = client.get(reverse("campaigns:visits", args=[campaign.pk]))
    [session] = page.context["sessions"]
    assert session["doors"] == 3 and session["spoke"] == 0


def test_walk_list_packs_know_how_many_doors_were_knocked(
    client, anytown, organiser, anytown_canvasser, campaign
):
    homes(anytown, 4)
    walk_list = walk_list_create(campaign=campaign, name="All", criteria={})
    pack = Pack.unscoped.get(walk_list=walk_list)
    elector = pack.doors.first().property.electors.get()
    canvass_record_visit(
        canvasser=anytown_canvasser,
        campaign=campaign,
        elector=elector,
        outcome="not_in",
        client_uuid=uuid.uuid4(),
        pack=pack,
    )
    page = client.get(reverse("campaigns:walklist", args=[walk_list.pk]))
    assert page.context["packs"][0].knocked == 1


def test_a_paper_sheet_is_keyed_in_against_its_doors_once(
    client, anytown, organiser, anytown_canvasser, campaign
):
    pack = pack_with_doors(campaign, homes(anytown, 3))
    url = reverse("campaigns:paper_entry", args=[campaign.pk])
    page = client.get(url, {"sheet": pack.sheet_id.lower()})
    [(home, [(elector, row_uuid, _)]), *_] = page.context["rows"]
    form = {
        "sheet": pack.sheet_id,
        "canvasser": anytown_canvasser.pk,
        "knocked_on": "2026-11-21",
        f"uuid-{elector.pk}": str(row_uuid),
        f"out-{elector.pk}": "spoke",
        f"vi-{elector.pk}": "L",
        f"st-{elector.pk}": "hard",
    }
    client.post(url, form)
    client.post(url, form)  # the same sheet submitted twice
    visit = Visit.unscoped.get()
    assert visit.canvasser == anytown_canvasser and visit.pack == pack and "paper" in visit.flags
    assert visit.answers.get().intention.code == "L"
    assert b"No sheet NOPE" in client.get(url, {"sheet": "nope"}).content


def test_list_pages_take_a_fixed_number_of_queries(
    client, anytown, organiser, anytown_canvasser, campaign, django_assert_max_num_queries
):
    homes(anytown, 30)
    walk_list = walk_list_create(campaign=campaign, name="All", criteria={}, pack_size=5)
    visited = []
    for home in homes(anytown, 10, street="Other Road"):
        visited.append(home.electors.get())
        visit(campaign, visited[-1], anytown_canvasser, answers={"postal": True})
    pages = [
        reverse("campaigns:walklist", args=[walk_list.pk]),
        reverse("campaigns:visits", args=[campaign.pk]),
        reverse("campaigns:follow_ups", args=[campaign.pk]),
        reverse("campaigns:issues", args=[campaign.pk]),
        reverse("campaigns:campaign", args=[campaign.pk]),
        reverse("campaigns:index"),
        reverse("campaigns:relations"),
    ]
    for url in pages:
        with django_assert_max_num_queries(20):
            response = client.get(url)
        assert response.status_code == 200
        if url == reverse("campaigns:visits", args=[campaign.pk]):  # the rows are on the page
            page = response.content.decode()
            assert all(escape(e.surname) in page for e in visited)


def test_a_do_not_knock_flag_becomes_do_not_contact_when_the_organiser_agrees(
    client, anytown, organiser, anytown_canvasser, campaign
):
    elector = homes(anytown, 1)[0].electors.get()
    visit(campaign, elector, anytown_canvasser, outcome="do_not_knock")
    review = FollowUp.unscoped.get(kind="review")
    client.post(
        reverse("campaigns:follow_ups", args=[campaign.pk]),
        {"follow_up": review.pk, "action": "do_not_contact"},
    )
    elector.refresh_from_db()
    assert elector.do_not_contact and "Asked not to be knocked" in elector.do_not_contact_reason
    assert FollowUp.unscoped.open().count() == 0


def test_postal_vote_requests_export_as_csv(client, anytown, organiser, anytown_canvasser, campaign):
    elector = homes(anytown, 1)[0].electors.get()
    visit(campaign, elector, anytown_canvasser, answers={"postal": True})
    response = client.get(
        reverse("campaigns:follow_ups", args=[campaign.pk]), {"kind": "postal_vote", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][:3] == ["Wants a postal vote", "Would you like a postal vote?", elector.full_name]
    assert AuditEvent.objects.filter(action="follow_ups.export").exists()


def test_posted_ids_that_are_not_numbers_change_nothing_and_never_500(client, anytown, organiser, campaign):
    pack = pack_with_doors(campaign, homes(anytown, 1))
    assert (
        client.post(reverse("campaigns:pack_assign", args=[pack.pk]), {"canvasser": "abc"}).status_code == 302
    )
    assert (
        client.post(reverse("campaigns:follow_ups", args=[campaign.pk]), {"follow_up": "x"}).status_code
        == 404
    )
    response = client.post(
        reverse("campaigns:paper_entry", args=[campaign.pk]),
        {"sheet": pack.sheet_id, "canvasser": "abc", "knocked_on": "2026-11-21"},
    )
    assert response.status_code == 200 and not Visit.unscoped.exists()
    pack.refresh_from_db()
    assert pack.assigned_to is None


def test_rewording_a_question_is_a_new_version_and_old_answers_keep_the_old_words(
    client, anytown, organiser, anytown_canvasser, campaign
):
    answered = visit(campaign, homes(anytown, 1)[0].electors.get(), anytown_canvasser, answers={"vi": "L"})
    client.post(
        reverse("campaigns:survey_edit", args=[campaign.pk]),
        {"action": "reword", "key": "vi", "text": "Who will you vote for on Thursday?"},
    )
    assert (
        campaign.current_survey_version().questions.get(key="vi").text == "Who will you vote for on Thursday?"
    )
    assert answered.answers.get().question.text == "How will you vote?"


def test_paper_sheet_form_reads_only_the_marked_lines_and_names_what_is_missing(anytown, campaign):
    """Issue #12 item 4: the sheet's POST keys are parsed by a form, not by hand in the view."""
    from campaigns.forms import PaperSheetForm
    from campaigns.services import canvassers_for

    electors = [home.electors.get() for home in homes(anytown, 3)]
    first, second, third = electors
    data = {
        "canvasser": "",
        "knocked_on": "2026-13-45",
        f"out-{first.pk}": "spoke",
        f"vi-{first.pk}": "L",
        f"st-{first.pk}": "soft",
        f"uuid-{first.pk}": "u1",
        f"out-{third.pk}": "not_in",
        f"uuid-{third.pk}": "u3",
    }
    canvassers = canvassers_for(anytown.constituency)
    bad = PaperSheetForm(data, canvassers=canvassers, electors=electors)
    assert not bad.is_valid()
    assert bad.non_field_errors() == [
        "Say who canvassed this sheet. On: '2026-13-45': there is no month 13. Type dd/mm/yyyy, e.g. 31/01/2027."
    ]
    canvasser = anytown.user(Role.CANVASSER)
    good = PaperSheetForm(
        data | {"canvasser": canvasser.pk, "knocked_on": "2026-11-21"},
        canvassers=canvassers,
        electors=electors,
    )
    assert good.is_valid(), good.errors
    assert [(r.elector, r.outcome, r.intention, r.strength, r.client_uuid) for r in good.rows()] == [
        (first, "spoke", "L", "soft", "u1"),
        (third, "not_in", "", "", "u3"),
    ]


def test_a_paper_sheet_with_an_impossible_date_says_so_and_records_nothing(
    client, anytown, organiser, anytown_canvasser, campaign
):
    pack = pack_with_doors(campaign, homes(anytown, 1))
    response = client.post(
        reverse("campaigns:paper_entry", args=[campaign.pk]),
        {"sheet": pack.sheet_id, "canvasser": anytown_canvasser.pk, "knocked_on": "2026-02-30"},
        follow=True,
    )
    assert (
        response.status_code == 200
        and "On: &#x27;2026-02-30&#x27;: there is no day 30 in February 2026." in response.content.decode()
    )
    assert not Visit.unscoped.exists()
