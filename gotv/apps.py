from django.apps import AppConfig


class GotvConfig(AppConfig):
    name = "gotv"
    verbose_name = "Polling day"
    home_links = [
        ("gotv:index", "Polling day: elections, stations and boxes", "tell"),
    ]
