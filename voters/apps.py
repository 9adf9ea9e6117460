from django.apps import AppConfig


class VotersConfig(AppConfig):
    name = "voters"
    verbose_name = "The register"
    home_links = [
        ("voters:search", "Find a voter", "view_voters"),
        ("voters:imports", "Import the register", "manage_voters"),
        ("voters:model_versions", "Targeting models", "view_voters"),
    ]
