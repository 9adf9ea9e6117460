from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Canvassing"
    home_links = [
        ("campaigns:index", "Canvassing: packs and campaigns", "canvass"),
        ("campaigns:relations", "My people", "canvass"),
        ("campaigns:campaign_create", "Start a campaign", "organise"),
    ]
