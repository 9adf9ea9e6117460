from django.apps import AppConfig


class StatusConfig(AppConfig):
    """The public status page (issue 18, items 6-8): checks run by the worker, heartbeats of the
    scheduled jobs, incidents and maintenance, the Atom feed, summary.json and the static snapshot."""

    name = "labourhub.status"
    label = "status"
    verbose_name = "Status page"
