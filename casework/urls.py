from django.urls import path

from casework import views, views_letters, views_mail, views_parties, views_reports

app_name = "casework"
urlpatterns = [
    path("", views.my_cases, name="my_cases"),
    path("chasers/", views.my_chasers, name="my_chasers"),
    path("offices/<int:pk>/", views.office_cases, name="office_cases"),
    path("offices/<int:pk>/chasers/", views.office_chasers, name="office_chasers"),
    path("offices/<int:pk>/open/", views.case_open, name="case_open"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/timeline/", views.case_note, name="case_note"),
    path("cases/<int:pk>/status/", views.case_status, name="case_status"),
    path("cases/<int:pk>/consent/", views.case_consent, name="case_consent"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/letters/new/", views_letters.letter_new, name="letter_new"),
    path("letters/<int:pk>/", views_letters.letter_detail, name="letter"),
    path("offices/<int:pk>/templates/", views_letters.office_templates, name="letter_templates"),
    path(
        "offices/<int:pk>/templates/<str:kind>/",
        views_letters.office_template_edit,
        name="letter_template_edit",
    ),
    path("counts/", views.counts, name="counts"),
    # Inbound correspondence (casework/views_mail.py).
    path("offices/<int:pk>/mailbox/", views_mail.mailbox_settings, name="mailbox"),
    path("offices/<int:pk>/inbox/", views_mail.inbox, name="inbox"),
    path("messages/<int:pk>/raw/", views_mail.message_raw, name="message_raw"),
    path("cases/<int:pk>/attachments/", views_mail.case_attach, name="case_attach"),
    path("attachments/<int:pk>/", views_mail.attachment_download, name="attachment"),
    # Reports, settings, retention and handover (issue 15, items 5 and 7: casework/views_reports.py).
    path("offices/<int:pk>/reports/", views_reports.office_reports, name="office_reports"),
    path(
        "offices/<int:pk>/reports/<slug:kind>.csv", views_reports.office_report_csv, name="office_report_csv"
    ),
    path("offices/<int:pk>/settings/", views_reports.office_settings, name="office_settings"),
    path("offices/<int:pk>/retention/", views_reports.retention_preview, name="retention_preview"),
    path("offices/<int:pk>/handover/", views_reports.handover, name="handover"),
    path("clp/<int:pk>/", views_reports.clp_counts, name="clp_counts"),
    # Who else is on a case, and the agency directory (issue 15 items 2 and 4: casework/views_parties.py).
    path("cases/<int:pk>/constituents/", views_parties.case_constituents, name="case_constituents"),
    path("cases/<int:pk>/third-parties/", views_parties.case_third_parties, name="case_third_parties"),
    path("cases/<int:pk>/links/", views_parties.case_links, name="case_links"),
    path("offices/<int:pk>/agencies/", views_parties.agencies, name="agencies"),
    path("offices/<int:pk>/agencies/<int:agency_pk>/", views_parties.agency_edit, name="agency_edit"),
]
