"""The public API, /api/v1/ (issue 18, items 1-3): tokens with scopes intersected with the owner's
grants, cursor pagination, Idempotency-Key, rate limits and problem+json errors. Each app's
resources live in its own api.py and register on `labourhub.api.v1_router`."""
