from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("", views.index, name="index"),
    path("rules/", views.rules, name="rules"),
    path("request/", views.request_new, name="request_new"),
    path("request/conditions/", views.conditions, name="conditions"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/decide/", views.decide, name="decide"),
    path("requests/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("requests/<int:pk>/answer/", views.answer, name="answer"),
    path("queue/endorse/", views.endorser_queue, name="endorser_queue"),
    path("queue/review/", views.reviewer_queue, name="reviewer_queue"),
    path("holdings/<int:pk>/renew/", views.renew, name="renew"),
    path("holdings/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("register/", views.register_index, name="register_index"),
    path("register/<int:pk>/", views.register, name="register"),
    path("grants/<int:pk>/why/", views.grant_why, name="grant_why"),
    path("delegations/", views.delegations, name="delegations"),
    path("reports/", views.report, name="reports"),
    path("audit/", views.audit, name="audit"),
    path("audit.csv", views.audit_export, name="audit_export"),
]
