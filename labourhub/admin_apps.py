from django.contrib.admin.apps import AdminConfig


class LabourHubAdminConfig(AdminConfig):
    default_site = "labourhub.scoped_admin.LabourHubAdminSite"
