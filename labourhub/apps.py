import functools
from importlib import import_module
from types import ModuleType

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule


@functools.cache
def app_modules(submodule: str) -> tuple[ModuleType, ...]:
    """`<app>.<submodule>` of every LabourHub app that has one, in settings.LABOURHUB_APPS order (the
    apps' dependency order): how the core and the register read what other apps offer (home-page
    needs, what a voter's contacts learnt, demo data) without importing an app that depends on them.
    Found once per process: the apps do not change while it runs."""
    return tuple(
        import_module(f"{name}.{submodule}")
        for name in settings.LABOURHUB_APPS
        if module_has_submodule(apps.get_app_config(name).module, submodule)
    )


class LabourhubConfig(AppConfig):
    name = "labourhub"
    verbose_name = "The party"
    # Each app lists what its pages offer: (url name, label, scoping action). The home page
    # shows a link when the user may do that action somewhere.
    home_links = [
        ("admin:index", "Office admin", "use_admin"),
        ("dataprotection:requests", "Data-subject requests", "protect_data"),
        ("dataprotection:breaches", "Breach log", "read_data_protection"),
        ("dataprotection:report", "Data requests report", "read_data_protection"),
        ("dataprotection:records", "Records of processing", "read_data_protection"),
        ("retention_index", "Retention: what expires", "protect_data"),
        ("webhooks:list", "Webhooks (integrations)", "organise"),
    ]
