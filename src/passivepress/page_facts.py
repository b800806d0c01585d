"""What a built HTML page links to, names and says about itself, read back as a browser
reads it: with an HTML5 parser (Lexbor's, through selectolax), independently of the
templates that wrote the page.

``passivepress check`` reads every page of the site so. Only these facts are kept of a
page, not its tree: at 10,000 essays the trees of all pages took 1.9 GB.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

# Attributes whose value is a URL the browser loads or the reader follows.
URL_ATTRS = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src",),
    "source": ("src",),
    "script": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "track": ("src",),
    "object": ("data",),
}
IMAGE_TAGS = {"img", "source"}
# <link rel> values that name a host to talk to early rather than a resource.
_HINT_RELS = {"preconnect", "dns-prefetch"}
# Link-preview images: a missing one leaves a shared link without its picture.
_SOCIAL_IMAGES = {"og:image", "twitter:image"}


@dataclass(frozen=True)
class PageFacts:
    references: tuple[tuple[str, str], ...]  # (tag, URL) of all it links to or loads
    ids: frozenset[str]  # element ids and <a name>s: what #fragment links can reach
    images_without_alt: tuple[str, ...]  # the src of each <img> with no alt attribute
    description: str  # <meta name="description">
    robots: str  # <meta name="robots">
    redirect: bool  # a <meta http-equiv="refresh">: a page that moved
    sponsored: tuple[str, ...]  # the href of each link with rel="sponsored"
    disclosed: bool  # an element of class "affiliate-disclosure"
    main_links: tuple[str, ...]  # the href of each link in <main> (the page's, without one)


def read(data: bytes) -> PageFacts:
    """The facts of one page."""
    tree = LexborHTMLParser(_text(data))
    references: list[tuple[str, str]] = []
    ids: set[str] = set()
    unlabelled: list[str] = []
    named: dict[str, str] = {}  # <meta name> → its content (the first of a name)
    redirect = disclosed = False
    sponsored: list[str] = []
    # Lexbor gives an attribute written without a value as None, where the DOM has "":
    # hence the "or ''" on every value read.
    for node in tree.root.traverse(include_text=False) if tree.root is not None else ():
        attrs = node.attributes
        if not attrs:  # most elements; and comments
            continue
        tag = node.tag
        if attrs.get("id"):
            ids.add(attrs["id"])  # type: ignore[arg-type]
        if "class" in attrs and "affiliate-disclosure" in (attrs["class"] or "").split():
            disclosed = True
        if tag == "a":
            if attrs.get("name"):
                ids.add(attrs["name"])  # type: ignore[arg-type]
            if "sponsored" in (attrs.get("rel") or "").lower().split():
                sponsored.append(attrs.get("href") or "")
        elif tag == "img" and "alt" not in attrs:
            unlabelled.append(attrs.get("src") or "")
        elif tag == "link" and set((attrs.get("rel") or "").lower().split()) & _HINT_RELS:
            continue
        elif tag == "meta":
            content = attrs.get("content") or ""
            named.setdefault((attrs.get("name") or "").lower(), content)
            if (attrs.get("property") or attrs.get("name")) in _SOCIAL_IMAGES and content:
                references.append(("img", content))
            if (attrs.get("http-equiv") or "").lower() == "refresh":
                redirect = True
                _, _, target = content.partition("=")
                if "url" in content.lower() and target.strip():
                    references.append(("a", target.strip().strip("'\"")))
        for attr in URL_ATTRS.get(tag, ()):
            if attr in attrs:
                references.append((tag, attrs[attr] or ""))
        srcset = attrs.get("srcset")
        if srcset and tag in IMAGE_TAGS:
            for candidate in srcset.split(","):
                if candidate.strip():
                    references.append(("img", candidate.split()[0]))
    main = tree.css_first("main")  # the first, as a reader's tools take it
    links = (main if main is not None else tree).css("a")
    return PageFacts(
        references=tuple(references),
        ids=frozenset(ids),
        images_without_alt=tuple(unlabelled),
        description=named.get("description", ""),
        robots=named.get("robots", ""),
        redirect=redirect,
        sponsored=tuple(sponsored),
        disclosed=disclosed,
        main_links=tuple(a.attributes.get("href") or "" for a in links),
    )


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([-\w:.]+)""", re.IGNORECASE)


def _text(data: bytes) -> str:
    """A page's text. Ours are UTF-8; a page copied from static/ may be in the encoding
    its <meta charset> names, or in windows-1252, as browsers take an HTML file that
    names none and is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    named = _CHARSET.search(data[:1024])
    if named:
        with contextlib.suppress(LookupError):
            return data.decode(named.group(1).decode("ascii"), errors="replace")
    return data.decode("windows-1252", errors="replace")


# Where an <img> element can start: the tag, or <image>, which an HTML5 parser reads as one.
_IMAGE_TAG = re.compile(r"<im(?:g|age)(?![a-z0-9])", re.IGNORECASE)


def images_without_text(fragment: str) -> list[str]:
    """The src of each image in an author's HTML whose alt is missing or blank (in the
    theme, an empty alt marks a decorative image; in Markdown's ``![](x.png)`` it is an
    omission)."""
    # Most essays show no image: their HTML is not parsed a second time.
    if not _IMAGE_TAG.search(fragment):
        return []
    images = (img.attributes for img in LexborHTMLParser(fragment).css("img"))
    return [a.get("src") or "" for a in images if not (a.get("alt") or "").strip()]
