"""Slugs and the mapping between site URLs and files in the output folder.

Site URLs here are root-relative paths *within* the site ("/essays/x/"); the base path of
a site published under a sub-path ("/my-site/") is added by :func:`under_base`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, urlsplit

_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[-_]")
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


@lru_cache(maxsize=8192)  # tags are slugified once per essay that names them
def slugify(text: str) -> str:
    """A URL-safe slug: lowercase, accents stripped, words joined by hyphens.

    Non-Latin letters are kept (browsers show them readably) rather than dropped, so a
    Cyrillic or Japanese title never collapses to an empty slug.
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = _NOT_WORD.sub("-", stripped.lower()).replace("_", "-")
    slug = re.sub(r"-{2,}", "-", slug).strip("-")
    return unicodedata.normalize("NFC", slug)


def slug_from_filename(stem: str) -> str:
    """``2024-03-01-my-essay`` → ``my-essay``: the date prefix is for sorting files only."""
    return slugify(_DATE_PREFIX.sub("", stem)) or slugify(stem)


def is_valid_slug(slug: str) -> bool:
    return bool(slug) and slugify(slug) == slug


def is_site_path(path: str) -> bool:
    """A clean path inside the site: starts with /, no '..', '.', empty segments, backslashes,
    query, fragment or control characters (an alias must never write outside the output)."""
    if not path.startswith("/") or path.startswith("//"):
        return False
    if any(c in path for c in "\\?#") or any(ord(c) < 32 for c in path):
        return False
    segments = path.strip("/").split("/")
    return path == "/" or all(s not in ("", ".", "..") for s in segments)


def output_path(url: str) -> str:
    """The file (relative to the output root) that serves a site URL.

    ``/`` → ``index.html``; ``/essays/x/`` → ``essays/x/index.html``; ``/feed.xml`` as is.
    """
    path = url.lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path


def base_path_of(base_url: str) -> str:
    """The path part of the base URL, always with slashes at both ends."""
    path = urlsplit(base_url).path or "/"
    if not path.endswith("/"):
        path += "/"
    return path


class Based(str):
    """A URL already under the site's base path (``/sub/essays/x/``).

    Model URLs carry this type, so putting them under the base path again is a no-op. We
    cannot tell by looking: on a site published at ``/essays/``, ``/essays/x/`` may be
    either.
    """

    __slots__ = ()


def under_base(url: str, base_path: str) -> str:
    """Put a root-relative site URL under the site's base path; leave other URLs alone."""
    if isinstance(url, Based) or not url.startswith("/") or url.startswith("//"):
        return url
    return _under(str(url), base_path)


# A site's pages name the same URLs again and again (every page links every tag and
# section; an essay is listed on several): quoting each once is enough.
@lru_cache(maxsize=65536)
def _under(url: str, base_path: str) -> Based:
    return Based(base_path.rstrip("/") + quote(url, safe="/#?=&%:@!$'()*+,;~"))


def absolute(url: str, base_url: str) -> str:
    """An absolute URL for a root-relative site URL, for feeds, sitemaps and meta tags."""
    if not url.startswith("/") or url.startswith("//"):
        return url
    origin, base_path = _origin_and_path(base_url)
    return origin + under_base(url, base_path)


@lru_cache(maxsize=16)
def _origin_and_path(base_url: str) -> tuple[str, str]:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}", base_path_of(base_url)
