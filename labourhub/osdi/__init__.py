"""OSDI 1.2 at /api/osdi/v1/ (issue 18, item 4): the register's electors as people, their canvass
visits as canvasses, survey questions and answers, franchise markers as tags, and events with their
attendances, in HAL+JSON with OSDI paging and filters. Built on /api/v1/'s machinery (tokens, scopes
intersected with grants, rate limits, Idempotency-Key, problem+json): see labourhub/osdi/views.py."""
