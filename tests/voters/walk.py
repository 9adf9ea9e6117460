"""The register's URLs and admin pages for the scoping walker (tests/test_scoping_walker.py)."""

from labourhub.models import Role
from tests.voters.factories import ContactFactory, ElectorFactory, PropertyFactory
from voters.models import (
    Contact,
    ContactRule,
    Elector,
    ModelVersion,
    NameChangeReview,
    PostcodeLocation,
    Property,
    RegisterImport,
)


def anytown_elector(anytown):
    return anytown.once("elector", _make_elector)


def _make_elector(anytown):
    home = PropertyFactory(
        polling_district=anytown.polling_district,
        street="Anytown Road",
        address="1 Anytown Road, Anytown",
        postcode="AT99ZZ",
        postcode_display="AT9 9ZZ",
    )
    return ElectorFactory(home=home, polling_district=anytown.polling_district, surname="Anytownson")


def anytown_import(anytown):
    return anytown.once("register_import", _make_import)


def _make_import(anytown):
    return RegisterImport.unscoped.create(
        constituency=anytown.constituency, kind="full", file_name="anytown-register.csv", status="done"
    )


def anytown_import_to_confirm(anytown):
    """A full register that would take most of Anytown's register off it, waiting for confirmation."""
    return anytown.once(
        "register_import_to_confirm",
        lambda anytown: RegisterImport.unscoped.create(
            constituency=anytown.constituency,
            kind="full",
            file_name="anytown-20-rows.csv",
            status="confirm",
            removed=980,
            notes=["This import would take 980 of the 1,000 electors on the register off it."],
        ),
    )


def anytown_name_change(anytown):
    """Two Anytown electors an import thought may be one person under a new surname."""
    return anytown.once("name_change", _make_name_change)


def _make_name_change(anytown):
    earlier = anytown_elector(anytown)
    later = ElectorFactory(
        home=earlier.home,
        polling_district=anytown.polling_district,
        first_names=earlier.first_names,
        surname="Anytown-Wedd",
    )
    return NameChangeReview.unscoped.create(
        earlier=earlier,
        later=later,
        later_summary=f"{later.elector_number_raw} {later.first_names} Anytown-Wedd",
        reason="Same address and first names, new surname and elector number",
    )


def anytown_model(anytown):
    return ModelVersion.unscoped.get_or_create(
        constituency=anytown.constituency, name="Anytown support", defaults={"score_names": ["support"]}
    )[0]


def _no_kwargs(anytown):
    return {}


def _elector(anytown):
    return {"pk": anytown_elector(anytown).pk}


URLS = {
    "voters:search": _no_kwargs,
    "voters:export": _no_kwargs,
    "voters:imports": _no_kwargs,
    "voters:model_versions": _no_kwargs,
    "voters:elector": _elector,
    "voters:elector_do_not_contact": _elector,
    "voters:elector_contact": _elector,
    # Issue 16: subject access and erasure, for PROTECT_DATA (secretary, data protection lead). The
    # export is a stored (uncompressed) zip, so the walker reads the names in it.
    "voters:elector_subject_access": _elector,
    "voters:elector_erase": _elector,
    "voters:import": lambda anytown: {"pk": anytown_import(anytown).pk},
    "voters:import_progress": lambda anytown: {"pk": anytown_import(anytown).pk},
    "voters:import_confirm": lambda anytown: {"pk": anytown_import_to_confirm(anytown).pk},
    "voters:model_version": lambda anytown: {"pk": anytown_model(anytown).pk},
    "voters:name_changes": _no_kwargs,
    "voters:name_change_decide": lambda anytown: {"pk": anytown_name_change(anytown).pk},
}

ADMIN_OBJECTS = {
    Elector: anytown_elector,
    Property: lambda anytown: anytown_elector(anytown).home,
    Contact: lambda anytown: ContactFactory(elector=anytown_elector(anytown), notes="Anytown doorstep"),
    ContactRule: lambda anytown: ContactRule.objects.get_or_create(
        constituency=anytown.constituency, channel="door", defaults={"quiet_days": 21}
    )[0],
    ModelVersion: anytown_model,
    RegisterImport: anytown_import,
    PostcodeLocation: lambda anytown: PostcodeLocation.objects.get_or_create(
        postcode="AT11AA", defaults={"postcode_display": "AT1 1AA", "latitude": 52.0, "longitude": 0.1}
    )[0],
}

# Issue 10, item 12: the register's pages (search, elector pages, notes and contact history,
# scores, exports, imports) are for roles with MFA, even in the user's own CLP
# (tests/labourhub/test_least_privilege.py fetches each as Anytown's own canvasser and teller).
DENIED_TO = {
    Role.CANVASSER: list(URLS),
    Role.TELLER: list(URLS),
}

# The search box finds Anytown's elector by postcode: the query itself does not carry the word.
QUERIES = {"voters:search": lambda anytown: {"q": anytown_elector(anytown).home.postcode}}

NO_CANARY = {
    "voters:import_progress": "the progress bar: counts and a stage name, no names or addresses",
    "admin:voters_postcodelocation_changelist": "postcode locations are national open data, no CLP's",
    "admin:voters_postcodelocation_change": "postcode locations are national open data, no CLP's",
    "admin:voters_postcodelocation_history": "postcode locations are national open data, no CLP's",
}
