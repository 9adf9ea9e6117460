"""axe-core in a real browser: `assert_accessible(page)` fails on any serious or critical violation.

axe-core (vendored under tests/e2e/vendor/, MPL-2.0, see its LICENSE there; no network needed) is
injected into the page as it stands (after whatever the test did to it) and run against WCAG 2.x
A and AA rules (2.2's too, so targets under 24 px fail) plus axe's best practices. Minor and moderate findings are left to review; serious
and critical ones fail, each listed with its rule, the elements it found and the page:

    from tests.e2e.axe import assert_accessible
    page.goto(url)
    assert_accessible(page)                  # or: problems = axe_problems(page)

To check a page at both sizes, `at_sizes(page)` yields each viewport (360x740 phone, 1280x800
desktop) with the page resized and reloaded."""

from pathlib import Path

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
FAILING = ("serious", "critical")
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
RUN_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "rules": {"target-size": {"enabled": True}},  # WCAG 2.2's 24 px targets: off in axe by default
    "resultTypes": ["violations"],
}


def axe_violations(page, context=None):
    """axe's violations on the page (its raw JSON), injecting axe first if the page lacks it."""
    # Judge the settled page: colours read mid-fade (a map popup opening, a zoom) fail contrast.
    # (Polled from here: wait_for_function evaluates a string, which the page's CSP refuses.)
    for _ in range(50):
        if page.evaluate("document.getAnimations().every((a) => a.playState !== 'running')"):
            break
        page.wait_for_timeout(100)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy (no
        # inline scripts) does not apply to; a <script> tag would be refused, as it should be.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate(
        "([context, options]) => axe.run(context || document, options)", [context, RUN_OPTIONS]
    )
    return result["violations"]


def axe_problems(page, context=None, impacts=FAILING):
    """One line per serious or critical violation: rule, impact, each element found, the page."""
    size = page.viewport_size or {}
    where = f"{page.url} at {size.get('width')}x{size.get('height')}"
    problems = []
    for violation in axe_violations(page, context):
        if violation["impact"] not in impacts:
            continue
        targets = "; ".join(
            " ".join(map(str, node["target"])) + (f" ({node['failureSummary'].splitlines()[-1].strip()})")
            for node in violation["nodes"][:10]
        )
        more = f" and {len(violation['nodes']) - 10} more" if len(violation["nodes"]) > 10 else ""
        problems.append(
            f"{violation['id']} [{violation['impact']}] {violation['help']} on {where}: {targets}{more}"
        )
    return problems


def assert_accessible(page, context=None):
    problems = axe_problems(page, context)
    assert not problems, "axe-core found serious or critical problems:\n" + "\n".join(problems)


def at_sizes(page, sizes=SIZES):
    """Resize the page to each viewport in turn (opening its address again), yielding the size's
    name."""
    url = page.url
    for name, viewport in sizes.items():
        page.set_viewport_size(viewport)
        page.goto(url)
        yield name
