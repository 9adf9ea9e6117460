"""drf-spectacular hooks: the schema describes /api/v1/ only (the older /api/ is session-only and
kept for the site's own pages), and how a token is sent."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def only_v1(endpoints, **kwargs):
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "labourhub.api_v1.base.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token made on your account's API tokens page (also accepted as the "
            "`OSDI-API-Token` header).",
        }
