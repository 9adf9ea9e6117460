from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Canvassing"
    home_links = [
        ("campaigns:index", "Canvassing and phone banks: packs, call lists, campaigns", "canvass"),
        ("campaigns:relations", "My people", "canvass"),
        ("campaigns:campaign_create", "Start a campaign", "organise"),
        ("campaigns:events", "Events: sessions, sign-ups, check-in and reports", "organise"),
    ]
