from django.contrib import admin
from django.urls import include, path
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.views import SpectacularAPIView

from labourhub import mfa_enrolment, views, views_privacy, views_retention, views_sms
from labourhub.api import router, v1_router
from labourhub.api_v1 import docs as api_v1_docs
from labourhub.api_v1 import views as api_v1_views

autodiscover_modules(
    "api", "events_api"
)  # each app's api.py (and campaigns/events_api.py) registers its viewsets

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("labourhub.status.urls")),  # public (issue 18, items 6-8)
    # The SMS provider's callbacks: public, signed (labourhub/views_sms.py).
    path("sms/status/", views_sms.sms_status, name="sms_status"),
    path("sms/inbound/", views_sms.sms_inbound, name="sms_inbound"),
    # Data protection: retention (issue 16, item 4) and the privacy notice (item 5).
    path("retention/", views_retention.retention_index, name="retention_index"),
    path("retention/<int:pk>/", views_retention.retention_preview, name="retention_preview"),
    path("retention/<int:pk>/<slug:key>/", views_retention.retention_records, name="retention_records"),
    path("privacy/<str:gss>/", views_privacy.privacy_notice, name="privacy_notice"),
    path("p/<str:gss>", views_privacy.privacy_notice_short, name="privacy_notice_short"),
    path("privacy-notice/<int:pk>/edit/", views_privacy.privacy_notice_edit, name="privacy_notice_edit"),
    # Before allauth's own: setting up an authenticator also needs a code emailed to the user.
    path("accounts/2fa/totp/activate/", mfa_enrolment.activate_totp, name="mfa_activate_totp"),
    # And allauth's recovery codes page, with a way on to where the user was going (`?next=`).
    path("accounts/2fa/recovery-codes/", mfa_enrolment.view_recovery_codes, name="mfa_view_recovery_codes"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api_v1_schema"),
    path("api/v1/docs/", api_v1_docs.api_docs, name="api_v1_docs"),
    path("api/v1/", include(v1_router.urls)),
    path("api/osdi/v1/", include("labourhub.osdi.urls")),  # OSDI 1.2 (issue 18, item 4)
    path("api/", include(router.urls)),
    path("accounts/api-tokens/", api_v1_views.token_list, name="api_tokens"),
    path("accounts/api-tokens/<int:pk>/revoke/", api_v1_views.token_revoke, name="api_token_revoke"),
    path("voters/", include("voters.urls")),
    path("members/", include("members.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("polling-day/", include("gotv.urls")),
    path("access/", include("access.urls")),
    path("casework/", include("casework.urls")),
    path("data-protection/", include("labourhub.dataprotection.urls")),
    path("webhooks/", include("labourhub.webhooks.urls")),
]
