"""What a member email says: merge fields checked before sending, Markdown made safe once per send,
then filled in per recipient (escaped in HTML, plain in text)."""

import html
import re
from dataclasses import dataclass

import markdown
import nh3

MERGE_FIELD_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# What each merge field reads from a recipient row (see services._recipient_rows).
MERGE_FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "First and last name",
    "membership_number": "Membership number",
    "branch": "Branch name",
    "ward": "Ward name",
    "constituency": "CLP name",
    "unsubscribe_url": "The recipient's own one-click unsubscribe link",
}
# A link's address may only be http(s) or mailto, judged after merging: a merge field that is a
# link's whole address is filled in through its "__link" twin, which is empty unless safe.
LINK_SUFFIX = "__link"
LINK_FIELDS = [name + LINK_SUFFIX for name in MERGE_FIELDS]
TEMPLATE_FIELDS = [*MERGE_FIELDS, *LINK_FIELDS]
SAFE_LINK_RE = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_LONE_TOKEN_RE = re.compile(r"^lhmerge(\w+?)lhend$")
ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "blockquote", "hr"}


class ContentError(ValueError):
    """The subject or body cannot be sent as written; the message says where and why."""


def check(*, subject, body):
    """Raise ContentError naming every unknown or malformed merge field (caught at preview)."""
    problems = []
    for where, text in (("subject", subject), ("body", body)):
        for match in MERGE_FIELD_RE.finditer(text):
            name = match.group(1)
            if name not in MERGE_FIELDS:
                line = text.count("\n", 0, match.start()) + 1
                problems.append(
                    f"{where} line {line}: unknown merge field {{{{{name}}}}} "
                    f"(known: {', '.join(MERGE_FIELDS)})"
                )
        leftovers = MERGE_FIELD_RE.sub("", text)
        if "{{" in leftovers or "}}" in leftovers:
            line = text.count("\n", 0, max(leftovers.find("{{"), leftovers.find("}}"))) + 1
            problems.append(f"{where}: a merge field is not closed or not opened (near line {line})")
    if "\n" in subject or "\r" in subject:
        problems.append("subject: must be one line")
    if problems:
        raise ContentError("; ".join(problems))


@dataclass(frozen=True)
class Template:
    """A send's content, prepared once: HTML is rendered and cleaned with placeholders in place."""

    subject: str
    text: str
    html: str

    def render(self, values):
        """(subject, text, html) for one recipient; `values` maps merge field names to strings."""
        values = with_link_values(values)
        return (
            fill(self.subject, values, one_line),
            fill(self.text, values, str),
            fill(self.html, values, html.escape),
        )


def prepare(*, subject, body, footer_text, footer_html):
    check(subject=subject, body=body)
    # Merge fields become plain tokens so Markdown cannot read `_` in first_name as emphasis.
    tokenised = MERGE_FIELD_RE.sub(lambda m: f"lhmerge{m.group(1)}lhend", body)
    rendered = markdown.markdown(tokenised, extensions=["sane_lists"])
    safe = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_link_filter,
        link_rel="noopener",
    )
    html_body = re.sub(r"lhmerge(\w+?)lhend", r"{{\1}}", safe)
    return Template(
        subject=subject,
        text=f"{body}\n\n-- \n{footer_text}\n",
        html=f"<!doctype html><html><body>{html_body}<hr><p>{footer_html}</p></body></html>",
    )


def _link_filter(tag, attribute, value):
    """Keep an address that starts with http://, https:// or mailto: as written (merge fields after
    that cannot change where it goes); one that is a single merge field is checked per recipient;
    anything else (relative, another scheme, a scheme made of merge fields) loses its address."""
    if attribute != "href":
        return value
    if SAFE_LINK_RE.match(value):
        return value
    lone = _LONE_TOKEN_RE.match(value)
    if lone and lone.group(1) in MERGE_FIELDS:
        return f"lhmerge{lone.group(1)}{LINK_SUFFIX}lhend"
    return None


def safe_link(value):
    """The value itself when it is an http(s) or mailto address, else nothing."""
    value = str(value).strip()
    if SAFE_LINK_RE.match(value) and not any(ord(c) < 32 or ord(c) == 127 for c in value):
        return value
    return ""


def with_link_values(values):
    """`values` plus each field's link-safe twin (what a link whose address is that field gets)."""
    return values | {name + LINK_SUFFIX: safe_link(values.get(name, "")) for name in MERGE_FIELDS}


def one_line(value):
    return " ".join(str(value).split())


def fill(text, values, escape):
    return MERGE_FIELD_RE.sub(lambda m: escape(values.get(m.group(1), "")), text)
