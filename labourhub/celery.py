import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labourhub.settings")

app = Celery("labourhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(
    ["labourhub.dataprotection", "labourhub.webhooks", "labourhub.api_v1"]
)  # packages of the core app, not apps
