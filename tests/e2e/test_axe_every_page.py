"""axe-core on every page the scoping walker knows, as its owner sees it, on a 360x740 phone and a
1280x800 desktop: no serious or critical violation anywhere, and nothing wider than the phone.

The pages and their data are the walker's own (tests/test_scoping_walker.py with tests/<app>/walk.py):
every URL name in the project, with the records its walk.py builds for Anytown, opened by the URL's
owner (its OWNERS entry, or else the first of the secretary, the regional officer and the platform
operator who gets a page). Whatever is not an HTML page for that owner (a CSV, JSON, a file, a
redirect, a POST-only action, a refusal) is skipped and listed with the reason.

Each page is opened once at 360x740 with a flash message of each level above it (as after a form),
checked for sideways overflow (the document scrolling wider than the screen, naming the element that
sticks out), run through axe (tests/e2e/axe.py), then resized to 1280x800 and run through axe again.
One browser, one context per owner, one tab each. The Django admin's pages repeat five templates
(list, add, change, delete, history) over every model, so only the first model's of each is checked
per admin app; the rest are listed as skipped. Likewise a page rendering exactly the templates of a page
already taken (the same view over other records) is skipped, named after the page that was checked:
every template any page renders is still checked. HTML fragments that htmx swaps into a page (no
<html>) are skipped: they are checked inside the page that shows them. The pages are checked in
AXE_SHARDS tests, so that both of xdist's workers take a share.

To re-check a few pages quickly: AXE_ONLY='campaigns:(pack_print|walklist)' pytest this file -s."""

import os
import re
import sys
import time
from urllib.parse import urlencode

import pytest
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest

from tests.conftest import sign_in
from tests.e2e.axe import SIZES, axe_problems
from tests.test_scoping_walker import DEFAULT_OWNERS, Persona, _owners, _plan, _registry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = SIZES["phone"]["width"]

# The element sticking out furthest past the right edge of the screen, ignoring what sits inside a
# box that scrolls or clips sideways itself (that box is what is measured). An absolutely placed
# element escapes the boxes between it and the box it is placed against (its containing block): a
# visually hidden label in a scrolling table widens the page, unless the scroll box is positioned.
WIDEST_JS = """(limit) => {
  const escapes = s => s.position === 'absolute' || s.position === 'fixed';
  const clips = el => {
    let free = escapes(getComputedStyle(el));
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (free && s.position !== 'static') free = false;
      if (!free && s.overflowX !== 'visible') return true;
      if (escapes(s)) free = true;
    }
    return false;
  };
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].join('.');
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  let worst = null;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    // Its box, or its text running out of its box (a long unbroken word, a hash, an address).
    const right = Math.max(r.right, getComputedStyle(el).overflowX === 'visible' ? r.left + el.scrollWidth : 0);
    if (right <= limit + 1 || r.width === 0 || clips(el)) continue;
    if (!worst || right > worst.right + 1 || (right >= worst.right - 1 && worst.el.contains(el)))
      worst = {el, right, width: right - r.left};
  }
  return worst && `${name(worst.el)} (${Math.round(worst.width)} px wide, reaching ${Math.round(worst.right)} px)`;
}"""


def overflow_problem(page):
    """A line naming what makes the page scroll sideways at phone width, or None."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width <= PHONE_WIDTH + 1:
        return None
    culprit = page.evaluate(WIDEST_JS, PHONE_WIDTH)
    return f"overflow: {page.url} is {width} px wide at {PHONE_WIDTH} px; widest: {culprit}"


ADMIN_TEMPLATES = ("changelist", "add", "change", "delete", "history")
# Pages whose markup is a vendor's, not ours: listed as skipped with the reason (and known problems).
VENDOR_PAGES = {}


def _admin_sample(name, seen):
    """True for the first admin page of each kind per app (the rest render the same template)."""
    if not name.startswith("admin:") or not name.endswith(ADMIN_TEMPLATES):
        return True
    app = name.removeprefix("admin:").split("_")[0]
    kind = next(k for k in ADMIN_TEMPLATES if name.endswith("_" + k))
    key = (app, kind)
    if key in seen:
        return False
    seen.add(key)
    return True


def _pages(anytown, westland):
    """[(owner key, owner user, url, name, templates)] for every HTML page with templates no page
    before it rendered (the same templates with other records would only repeat the check), and
    [(url, why skipped)] for the rest."""
    registry = _registry()
    plan, uncovered = _plan(anytown, registry)
    assert not uncovered, f"URLs no walk.py declares (tests/test_scoping_walker.py): {uncovered}"
    owners = _owners(anytown, westland)
    clients, pages, skipped, admin_seen, by_templates = {}, [], [], set(), {}

    def client_of(owner):
        if owner not in clients:
            if callable(owner):
                owners[owner] = owner(owners["anytown"])
            clients[owner] = Persona(str(owner), owners[owner]).client()
        return clients[owner]

    for planned in plan:
        url = f"{planned.url}?{urlencode(planned.query, doseq=True)}" if planned.query else planned.url
        if planned.name in VENDOR_PAGES:
            skipped.append((url, VENDOR_PAGES[planned.name]))
            continue
        if not _admin_sample(planned.name, admin_seen):
            skipped.append((url, "an admin page of a template already checked for this app"))
            continue
        chain = [registry.owners[planned.name]] if planned.name in registry.owners else DEFAULT_OWNERS
        statuses = []
        for owner in chain:
            response = client_of(owner).get(url)
            kind = response.get("Content-Type", "")
            if (
                response.status_code == 200
                and kind.startswith("text/html")
                and not response.get("Content-Disposition")
            ):
                if b"<html" not in response.content[:500].lower():
                    statuses.append(f"{owner}: an htmx fragment (no <html>), checked inside its page")
                    break
                # (a page built without a named template is its own kind)
                templates = tuple(dict.fromkeys(t.name for t in response.templates if t.name)) or (url,)
                if templates in by_templates:
                    statuses.append(
                        f"{owner}: the same templates as {by_templates[templates]}, checked there"
                    )
                    break
                by_templates[templates] = planned.name
                pages.append((owner, owners[owner], url, planned.name, templates))
                break
            if response.status_code in (301, 302, 303, 307, 308):
                statuses.append(f"{owner}: redirects to {response['Location']}")
            elif response.status_code == 200:
                statuses.append(f"{owner}: {kind or 'no content type'}")
            else:
                statuses.append(f"{owner}: {response.status_code}")
        else:
            skipped.append((url, f"{planned.name}: " + "; ".join(statuses)))
        if statuses and ("fragment" in statuses[-1] or "same templates" in statuses[-1]):
            skipped.append((url, f"{planned.name}: " + "; ".join(statuses)))
    only = os.environ.get("AXE_ONLY")  # a regular expression of URL names, to re-check a few quickly
    if only:
        pages = [p for p in pages if re.search(only, p[3])]
    return pages, skipped


# The pages are split into shards (page i in shard i % AXE_SHARDS), each a test of its own, so that
# xdist runs them on different workers (tests/conftest.py); each builds the walker's data itself.
AXE_SHARDS = 2


FLASH = [
    (messages.SUCCESS, "Saved."),
    (messages.INFO, "Import queued: the page shows its progress."),
    (messages.WARNING, "3 electors were left out: they asked not to be contacted."),
    (messages.ERROR, "Nothing was changed: try again."),
]


def _flash_messages(live_server):
    """Django's messages cookie carrying one message of each level, as a redirect after a form leaves
    them: the next page opened shows them above its content (base.html)."""
    value = CookieStorage(HttpRequest())._encode([Message(level, text) for level, text in FLASH])
    return {"name": CookieStorage.cookie_name, "value": value, "url": live_server.url}


@pytest.mark.timeout(1200)
@pytest.mark.parametrize(
    "shard", [pytest.param(s, id=f"shard-{s}-of-{AXE_SHARDS}") for s in range(AXE_SHARDS)]
)
def test_every_page_passes_axe_and_fits_a_phone(browser_context, live_server, anytown, westland, shard):
    started = time.monotonic()
    every_page, skipped = _pages(anytown, westland)
    shards = [every_page[s::AXE_SHARDS] for s in range(AXE_SHARDS)]
    assert sorted(p[2] for s in shards for p in s) == sorted(p[2] for p in every_page), (
        "each page in one shard"
    )
    pages = shards[shard]
    planned = time.monotonic()
    browser = browser_context.browser
    flash = _flash_messages(live_server)
    tabs, problems, checked = {}, [], 0
    for owner, user, url, name, _templates in sorted(pages, key=lambda p: str(p[0])):
        if owner not in tabs:
            context = browser.new_context(base_url=live_server.url)
            context.set_default_timeout(15_000)
            sign_in(context, live_server, user)
            tabs[owner] = context.new_page()
        page = tabs[owner]
        page.set_viewport_size(SIZES["phone"])
        page.context.add_cookies([flash])
        response = page.goto(url)
        if response is None or response.status != 200:
            problems.append(f"{name}: {url} as {owner} -> {response and response.status} in the browser")
            continue
        if not page.get_by_text(FLASH[-1][1], exact=True).count():
            problems.append(f"{name}: {url} does not show the flash messages a form left for it")
        problems += filter(None, [overflow_problem(page)])
        problems += axe_problems(page)
        # The desktop size without opening the page again: the layout follows the window's width in
        # CSS (and the map's own resize handler), and a second load would double the time.
        page.set_viewport_size(SIZES["desktop"])
        problems += axe_problems(page)
        checked += 2
    for page in tabs.values():
        page.context.close()
    took = time.monotonic() - started
    print(
        f"\naxe, shard {shard}: {checked} page views ({len(pages)} of {len(every_page)} pages x 2 sizes) "
        f"as {len(tabs)} owners in {took:.0f} s "
        f"({planned - started:.0f} s building the walker's data and choosing owners); "
        f"{len(skipped)} URLs skipped:",
        *(f"  {url}: {why}" for url, why in skipped),
        sep="\n",
        file=sys.stderr,
    )
    assert os.environ.get("AXE_ONLY") or len(every_page) > 100, (
        f"only {len(every_page)} pages found: the walker's plan did not come through"
    )
    assert not problems, f"{len(problems)} problems on {len(pages)} pages:\n" + "\n".join(problems)


def test_the_net_fails_on_a_small_target_and_a_page_wider_than_a_phone(browser_page):
    """The checks themselves: two links 10 px square side by side fail target-size; a long hash in
    a paragraph makes the page wider than 360 px and is named; the same page made right passes."""
    page = browser_page
    page.set_viewport_size(SIZES["phone"])
    page.set_content(
        '<html lang=en><meta name="viewport" content="width=device-width"><title>t</title><body><main><h1>t</h1><p>'
        '<a href="#a" style="display:inline-block;width:10px;height:10px">a</a>'
        '<a href="#b" style="display:inline-block;width:10px;height:10px">b</a></p>'
        f'<p id="hash">sha256 {"0a1b2c3d" * 12}</p></main></body></html>'
    )
    assert any(p.startswith("target-size [serious]") for p in axe_problems(page)), axe_problems(page)
    problem = overflow_problem(page)
    assert problem and 'p#hash "sha256 0a1b2c3d' in problem, problem
    page.set_content(
        '<html lang=en><meta name="viewport" content="width=device-width"><title>t</title><body><main><h1>t</h1><p>'
        '<a href="#a" style="display:inline-block;width:24px;height:24px">a</a> '
        '<a href="#b" style="display:inline-block;width:24px;height:24px">b</a></p>'
        f'<p style="overflow-wrap:anywhere">sha256 {"0a1b2c3d" * 12}</p></main></body></html>'
    )
    assert axe_problems(page) == []
    assert overflow_problem(page) is None
