"""Casework URLs for the scoping walker (see tests/test_scoping_walker.py). Anytown's office, its
cases and constituents carry the word "Anytown". Their owner is the office's caseworker who sees all
its cases (Anytown's caseworker persona, with a membership of the office): the CLP's secretary, the
regional staff and the operator see no case, so the walker's default owners would see nothing.
Otherton's caseworker, a caseworker of Otherton's own office (OTHERTON), is among the walked
personas: the pages of "my" cases and chasers get past the membership check for them."""

from labourhub.models import Role
from tests.casework.factories import (
    AgencyFactory,
    TimelineEntryFactory,
    case_in,
    late_cases_with_chasers,
    office_of,
)
from tests.voters.factories import ElectorFactory, PropertyFactory


def _worker(anytown):
    return office_of(anytown)["worker"]


def _office(anytown):
    return {"pk": office_of(anytown)["office"].pk}


def _open_args(anytown):
    """An elector on Anytown's register for the owner's "find" search to offer."""
    home = PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road", postcode="AT11AA",
                           postcode_display="AT1 1AA")  # fmt: skip
    # Found by name, shown with "Anytown Road".
    ElectorFactory(home=home, first_names="Ada", surname="Walkerson")
    return _office(anytown)


def _case(anytown):
    """One case for the case page and the forms it posts (the owner's POSTs take their bodies from
    the forms the case page shows, which name this case's URLs)."""

    def make(anytown):
        # Awaiting an agency already, so the status form offers it chosen (a real value to post).
        agency = AgencyFactory(name="Walk agency")
        case = case_in(anytown, agency=agency)
        TimelineEntryFactory(case=case, text="Anytown council rang back")
        return case

    return {"pk": anytown.once("walk_case", make).pk}


def _letter(anytown):
    """A printed letter on Anytown's case (its address block names Anytown)."""
    from casework import services

    def make(anytown):
        case = case_in(anytown)
        return services.letter_create(
            user=_worker(anytown), case=case, kind="acknowledgement", medium="letter",
            recipient_name="Anytown Constituent", recipient_address="1 Anytown Road", subject="Anytown case",
            body="Dear Anytown Constituent",
        )  # fmt: skip

    return {"pk": anytown.once("walk_letter", make).pk}


def _templates(anytown):
    return _office(anytown)


def _template_edit(anytown):
    return {**_office(anytown), "kind": "referral"}


def _my_cases(anytown):
    case_in(anytown)
    return {}


def _office_cases(anytown):
    case_in(anytown)
    return _office(anytown)


def _lead(anytown):
    return office_of(anytown)["lead"]


def _message(anytown):
    """A message taken in for Anytown's case (kept as received, with "Anytown" in it)."""
    from casework import inbound
    from tests.casework.mail import email_bytes

    case = case_in(anytown)
    raw = email_bytes(subject=f"Re: {case.reference}", text="From an Anytown constituent")
    made = office_of(anytown)
    return {
        "pk": inbound.message_file(
            office=made["office"], raw=raw, source="upload", user=made["worker"]
        ).message.pk
    }


def _attachment(anytown):
    from casework import attachments

    case = case_in(anytown)
    attachment = attachments.attachment_add(case=case, filename="notes.txt", data=b"Anytown notes\n")
    return {"pk": attachment.pk}


def _chaser(anytown):
    """A chaser to send on an Anytown case of the owner's (its constituent names Anytown)."""
    anytown.once("walk_chaser", lambda anytown: late_cases_with_chasers(anytown, 1))


def _my_chasers(anytown):
    _chaser(anytown)
    return {}


def _office_chasers(anytown):
    _chaser(anytown)
    return _office(anytown)


def _counts(anytown):
    office_of(anytown)
    return {}


def _report_csv(anytown):
    """The caseload CSV names the case owners: Anytown's caseworker persona."""
    case_in(anytown)
    return _office(anytown) | {"kind": "caseload"}


def _clp_counts(anytown):
    """Anytown's office shares its counts with the CLP: the page names the constituency and wards."""
    office = office_of(anytown)["office"]
    office.share_counts_with_clp = True
    office.save(update_fields=["share_counts_with_clp"])
    case_in(anytown, ward=anytown.ward)
    return {"pk": anytown.constituency.pk}


def _agency(anytown):
    """One of Anytown's office's own agencies (its name carries "Anytown"), for the lead to edit."""
    from casework.models import Agency

    office = office_of(anytown)["office"]
    agency = anytown.once(
        "walk_agency",
        lambda anytown: Agency.objects.create(office=office, name="Anytown Council housing", kind="council"),
    )
    return {"pk": office.pk, "agency_pk": agency.pk}


def OTHERTON(otherton):  # noqa: N802  (the walker's name for it)
    office_of(otherton)


URLS = {
    "casework:my_cases": _my_cases,
    "casework:office_cases": _office_cases,
    "casework:my_chasers": _my_chasers,
    "casework:office_chasers": _office_chasers,
    "casework:case_open": _open_args,
    "casework:case": _case,
    "casework:case_note": _case,
    "casework:case_status": _case,
    "casework:case_consent": _case,
    "casework:case_assign": _case,
    "casework:letter_new": _case,
    "casework:letter": _letter,
    "casework:letter_templates": _templates,
    "casework:letter_template_edit": _template_edit,
    "casework:counts": _counts,
    "casework:mailbox": _office,
    "casework:inbox": _office,
    "casework:message_raw": _message,
    "casework:case_attach": _case,
    "casework:attachment": _attachment,
    "casework:office_reports": _office_cases,
    "casework:office_report_csv": _report_csv,
    "casework:office_settings": _office_cases,
    "casework:retention_preview": _office_cases,
    "casework:handover": _office_cases,
    "casework:clp_counts": _clp_counts,
    "casework:case_constituents": _case,
    "casework:case_third_parties": _case,
    "casework:case_links": _case,
    "casework:agencies": _office,
    "casework:agency_edit": _agency,
}
LEAD_PAGES = (
    "casework:office_settings",
    "casework:retention_preview",
    "casework:handover",
    "casework:agency_edit",
)
OWNERS = (
    dict.fromkeys(URLS, _worker)
    | dict.fromkeys(LEAD_PAGES, _lead)
    | {"casework:counts": "operator", "casework:clp_counts": Role.CLP_SECRETARY}
    | dict.fromkeys(("casework:mailbox", "casework:letter_templates", "casework:letter_template_edit"), _lead)
)
# No "Anytown" in a query: a signed-out visitor is sent to sign in with the query in `next`, and the
# walker would take that echo for a leak.
QUERIES = {
    "casework:case_open": lambda anytown: {"find": "Walkerson"},
    "casework:case_constituents": lambda anytown: {"find": "Walkerson"},
    "casework:office_cases": lambda anytown: {"q": "Constituent", "status": "all"},
}
