"""The contact call-to-action: which one a page shows, and how it reads in a feed.

It is configured once (``contact:``), may have named variants (``contact.variants``) chosen
per essay (``cta: speaking``) or by tag (``contact.tags``), can be overridden field by field
(``cta: {heading: ...}``) or switched off (``cta: false``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin

from passivepress.config import Config, Contact

FIELDS = tuple(name for name in Contact.__dataclass_fields__ if name not in ("variants", "tags"))


@dataclass(frozen=True)
class Cta:
    heading: str
    text: str
    email: str
    mailto: str
    email_label: str
    booking_url: str
    booking_label: str
    form_action: str
    form_provider: str | None
    form_label: str
    contact_url: str | None
    contact_label: str
    source: str  # the URL of the page it is on (the contact form records it)
    variant: str = ""


def choose(config: Config, override: Any, tag_slugs: Iterable[str] = ()) -> dict[str, str] | None:
    """The fields of the call-to-action a page asked for, or None when it is off."""
    if override is False:
        return None
    contact = config.contact
    fields = {name: getattr(contact, name) for name in FIELDS}
    variant = ""
    if isinstance(override, str):
        variant = override
    elif override is None or override is True:
        variant = next((contact.tags[t] for t in tag_slugs if t in contact.tags), "")
    if variant:
        fields.update(
            {k: "" if v is None else str(v) for k, v in contact.variants.get(variant, {}).items()}
        )
    if isinstance(override, dict):
        fields.update(override)
    fields["variant"] = variant
    return fields


def make(
    config: Config,
    override: Any,
    title: str,
    page_url: str,
    contact_url: str | None,
    tag_slugs: Iterable[str] = (),
) -> Cta | None:
    """The call-to-action for one page; the mail subject names the page's title."""
    fields = choose(config, override, tag_slugs)
    if fields is None:
        return None
    subject = fields["subject"].replace("{title}", title)
    mailto = ""
    if fields["email"]:
        # quote(), not urlencode(): mail clients want %20 for spaces, not '+'.
        mailto = f"mailto:{fields['email']}?subject={quote(subject, safe='')}"
    return Cta(
        heading=fields["heading"],
        text=fields["text"],
        email=fields["email"],
        mailto=mailto,
        email_label=fields["email_label"],
        booking_url=fields["booking_url"],
        booking_label=fields["booking_label"],
        form_action=fields["form_action"],
        form_provider=fields["form_provider"] or None,
        form_label=fields["form_label"],
        contact_url=contact_url,
        contact_label=fields["contact_label"],
        source=page_url,
        variant=fields["variant"],
    )


def feed_html(cta: Cta | None, config: Config) -> str:
    """The call-to-action as plain HTML for feed readers: no classes, absolute links."""
    if cta is None:
        return ""
    e = html.escape
    actions = []
    if cta.mailto:
        actions.append(f'<a href="{e(cta.mailto)}">{e(cta.email_label)}</a>')
    if cta.booking_url:
        actions.append(f'<a href="{e(cta.booking_url)}">{e(cta.booking_label)}</a>')
    if cta.contact_url:
        url = urljoin(config.base_url, cta.contact_url)
        actions.append(f'<a href="{e(url)}">{e(cta.contact_label)}</a>')
    parts = ["<hr>", f"<p><strong>{e(cta.heading)}</strong></p>"]
    if cta.text:
        parts.append(f"<p>{e(cta.text)}</p>")
    if actions:
        parts.append("<p>" + " · ".join(actions) + "</p>")
    return "\n".join(parts) + "\n"
