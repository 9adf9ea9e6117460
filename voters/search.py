"""Finding electors by name, address, postcode or elector number, with the prefix indexes
(no pg_trgm here): UPPER(surname), UPPER(street) and postcode use varchar_pattern_ops."""

import re

from django.db.models import Q
from django.db.models.functions import Upper

from voters.importers.fields import ELECTOR_NUMBER_RE, POSTCODE_RE

PARTIAL_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?( ?[0-9][A-Z]{0,2})?$")
HOUSE_AND_STREET_RE = re.compile(r"^(\d+)[A-Z]?,?\s+(\D.*)$")


def search_electors(queryset, text):
    """Electors matching `text`: 'AN1-123', 'AN1-123/1', 'AT1 2AB', 'AT1', '12 High St', 'Smith',
    'John Smith' or 'Smith, John'."""
    text = " ".join(text.upper().split())
    if not text:
        return queryset
    queryset = queryset.alias(surname_upper=Upper("surname"), street_upper=Upper("home__street"))
    number = ELECTOR_NUMBER_RE.match(text)
    if number and len(number["number"]) <= 9:
        return queryset.filter(
            polling_district__code__iexact=number["pd"],
            elector_number=int(number["number"]),
            elector_suffix=int(number["suffix"] or 0),
        )
    compact = text.replace(" ", "")
    if POSTCODE_RE.match(compact):
        return queryset.filter(home__postcode=compact)
    if PARTIAL_POSTCODE_RE.match(text) and any(c.isdigit() for c in text):
        return queryset.filter(home__postcode__startswith=compact)
    house = HOUSE_AND_STREET_RE.match(text)
    if house and len(house[1]) < 6:
        return queryset.filter(home__house_number=int(house[1]), street_upper__startswith=house[2])
    return queryset.filter(_name_or_street(text))


def _name_or_street(text):
    if "," in text:
        surname, _, first = (part.strip() for part in text.partition(","))
        return Q(surname_upper__startswith=surname, first_names__istartswith=first)
    words = text.split(" ")
    if len(words) == 1:
        return Q(surname_upper__startswith=text) | Q(street_upper__startswith=text)
    first, last = " ".join(words[:-1]), words[-1]
    return (
        Q(surname_upper__startswith=last, first_names__istartswith=first)
        | Q(surname_upper__startswith=text)
        | Q(street_upper__startswith=text)
    )
