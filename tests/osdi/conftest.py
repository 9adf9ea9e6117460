from tests.api.conftest import generous_rate_limits  # noqa: F401  (the same fixture as /api/v1/ tests)
