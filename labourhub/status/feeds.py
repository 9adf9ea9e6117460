"""/status/history.atom: incidents and maintenance as an Atom feed (Statuspage's history feed)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from labourhub.status.models import Component, Incident, Maintenance


class HistoryFeed(Feed):
    feed_type = Atom1Feed
    title = "LabourHub status: incidents and maintenance"
    subtitle = "Incidents posted by the operators and planned maintenance of LabourHub's tools."
    author_name = "LabourHub operators"

    def link(self):
        return "/status"

    def items(self):
        since = timezone.now() - timedelta(days=90)
        incidents = list(Incident.objects.filter(created_at__gte=since).prefetch_related("updates")[:50])
        maintenance = list(Maintenance.objects.filter(starts_at__gte=since)[:50])
        return sorted(incidents + maintenance, key=self.item_updateddate, reverse=True)[:50]

    def item_title(self, item):
        if isinstance(item, Maintenance):
            return f"Maintenance: {item.title}"
        return f"{item.title} ({item.get_status_display()})"

    def item_description(self, item):
        names = dict(Component.choices)
        affected = ", ".join(names.get(key, key) for key in item.components) or "no tool named"
        if isinstance(item, Maintenance):
            when = f"{timezone.localtime(item.starts_at):%H:%M %d %b %Y} to {timezone.localtime(item.ends_at):%H:%M %d %b %Y}"
            return f"{when}. Affects: {affected}. {item.description}".strip()
        lines = [
            f"{update.get_status_display()} ({timezone.localtime(update.at):%H:%M %d %b}): {update.body}"
            for update in item.updates.all()
        ]
        return "\n".join([f"Affects: {affected}.", *lines])

    def item_link(self, item):
        kind = "maintenance" if isinstance(item, Maintenance) else "incident"
        return f"/status#{kind}-{item.pk}"

    def item_guid(self, item):
        kind = "maintenance" if isinstance(item, Maintenance) else "incident"
        return f"{settings.SITE_URL}/status#{kind}-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at if isinstance(item, Incident) else item.created_at
