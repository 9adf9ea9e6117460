"""Finding electors by name, address, postcode or elector number, with the prefix indexes
(no pg_trgm here): UPPER(surname), UPPER(street) and postcode use varchar_pattern_ops."""

import re

from django.db.models import Q
from django.db.models.functions import Upper

from voters.importers.fields import ELECTOR_NUMBER_RE, POSTCODE_RE
from voters.models import Property

PARTIAL_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?( ?[0-9][A-Z]{0,2})?$")
HOUSE_AND_STREET_RE = re.compile(r"^(\d+)[A-Z]?,?\s+(\D.*)$")


MAX_STREET_HOMES = 5000


def search_electors(queryset, text, properties=None):
    """Electors in `queryset` matching `text`: 'AN1-123', 'AN1-123/1', 'AT1 2AB', 'AT1', '12 High St',
    'Smith', 'John Smith' or 'Smith, John'. `properties` scopes the street lookup (default: all)."""
    properties = Property.objects.all() if properties is None else properties
    text = " ".join(text.upper().split())
    if not text:
        return queryset
    queryset = queryset.alias(surname_upper=Upper("surname"))
    number = ELECTOR_NUMBER_RE.match(text)
    if number and len(number["number"]) <= 9:
        return queryset.with_number(number["pd"], int(number["number"]), int(number["suffix"] or 0))
    compact = text.replace(" ", "")
    if POSTCODE_RE.match(compact):
        return queryset.filter(home__postcode=compact)
    if PARTIAL_POSTCODE_RE.match(text) and any(c.isdigit() for c in text):
        return queryset.filter(home__postcode__startswith=compact)
    house = HOUSE_AND_STREET_RE.match(text)
    if house and len(house[1]) < 6:
        return queryset.filter(home__in=_on_street(properties, house[2]).filter(house_number=int(house[1])))
    return queryset.filter(_name_or_street(text, properties))


def _on_street(properties, prefix):
    return properties.alias(street_upper=Upper("street")).filter(street_upper__startswith=prefix)


def _name_or_street(text, properties):
    if "," in text:
        surname, _, first = (part.strip() for part in text.partition(","))
        return Q(surname_upper__startswith=surname, first_names__istartswith=first)
    words = text.split(" ")
    name = Q(surname_upper__startswith=text)
    if len(words) > 1:
        name |= Q(surname_upper__startswith=words[-1], first_names__istartswith=" ".join(words[:-1]))
    # The street's homes are fetched first, so both halves of the OR can use an index.
    homes = list(_on_street(properties, text).values_list("pk", flat=True)[:MAX_STREET_HOMES])
    return name | Q(home_id__in=homes) if homes else name
