from django.apps import AppConfig


class VotersConfig(AppConfig):
    name = "voters"
    verbose_name = "The register"
    home_links = []
