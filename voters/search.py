"""Finding electors by name, address, postcode or elector number, with the prefix indexes
(no pg_trgm here): UPPER(street) and postcode use varchar_pattern_ops; UPPER(surname) is indexed in
the "C" collation, which serves both the prefix search and the order results are listed in."""

import re

from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.functions import Collate, Upper

from voters.importers.fields import ELECTOR_NUMBER_RE, POSTCODE_RE
from voters.models import Property

PARTIAL_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?( ?[0-9][A-Z]{0,2})?$")
HOUSE_AND_STREET_RE = re.compile(r"^(\d+)[A-Z]?,?\s+(\D.*)$")


FEW_HOMES = 200
COUNT_CAP = 1000

# Surname then first names, compared as capitals byte by byte: the order of the elector_surname_order
# index (migration 0007), so the first page of a broad search is read in index order, not sorted.
NAME_ORDER = (Collate(Upper("surname"), "C"), Collate(Upper("first_names"), "C"), "pk")


class CappedPaginator(Paginator):
    """Pages through search results, counting no further than COUNT_CAP + 1 matches: a broad search
    ('AT2', a whole outward code) says "more than 1,000" and pages through the first 1,000 in name
    order, read from the name index, instead of counting and sorting 80,000 rows. When there are few
    matches their ids are fetched first and only those are sorted: otherwise the planner may walk the
    whole name index hoping to meet them early."""

    cap = COUNT_CAP

    def __init__(self, object_list, per_page):
        ids = list(object_list.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])
        self.more_than_cap = len(ids) > COUNT_CAP
        if not self.more_than_cap:
            object_list = object_list.filter(pk__in=ids)
        super().__init__(object_list, per_page)
        self.count = min(len(ids), COUNT_CAP)


def search_electors(queryset, text, properties=None):
    """Electors in `queryset` matching `text`: 'AN1-123', 'AN1-123/1', 'AT1 2AB', 'AT1', '12 High St',
    'Smith', 'John Smith' or 'Smith, John'. `properties` scopes the street lookup (default: all)."""
    properties = Property.unscoped.all() if properties is None else properties
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
    # A few homes go into the query as ids, so both halves of the OR can use an index; a street
    # prefix matching many homes ('S') stays a subquery, checked while reading in name order.
    street = _on_street(properties, text)
    homes = list(street.order_by().values_list("pk", flat=True)[: FEW_HOMES + 1])
    if not homes:
        return name
    return name | Q(home_id__in=homes if len(homes) <= FEW_HOMES else street.values("pk"))
