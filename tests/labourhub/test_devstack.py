from labourhub.devstack import stack_environment


def test_links_in_emails_follow_the_port_make_run_serves_on():
    env = stack_environment({"PATH": "/bin"}, "127.0.0.1", 8123)
    assert env["SITE_URL"] == "http://127.0.0.1:8123"
    assert env["DEBUG"] == "true" and env["PATH"] == "/bin"


def test_a_configured_site_url_wins():
    env = stack_environment({"SITE_URL": "https://labourhub.example"}, "127.0.0.1", 8123)
    assert env["SITE_URL"] == "https://labourhub.example"
