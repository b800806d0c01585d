"""One configured Markdown renderer: CommonMark plus the extensions authors expect.

Parsing is the expensive part, so a document is parsed once and its tokens rendered twice:
once for pages (links under the site's base path) and once for feeds (absolute links, as
feed readers have no base URL to resolve against).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from passivepress.urls import absolute, slugify, under_base

_FORMATTER = HtmlFormatter(nowrap=True)


@dataclass(frozen=True)
class MarkdownOptions:
    typographer: bool = True
    quotes: str = "“”‘’"
    raw_html: bool = True
    highlight: bool = True
    anchors: bool = True


@dataclass(frozen=True)
class TocEntry:
    level: int
    id: str
    title: str


@dataclass(frozen=True)
class Rendered:
    """A rendered document: the page body, the feed body and what templates need to know."""

    html: str
    feed_html: str
    toc: tuple[TocEntry, ...] = ()
    first_paragraph: str = ""
    words: int = 0
    links: tuple[tuple[str, int], ...] = field(default=())  # (URL, 1-based body line)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    if not lang:
        return ""
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    body = pygments_highlight(code, lexer, _FORMATTER)
    return (
        f'<pre class="highlight"><code class="language-{html.escape(lang, quote=True)}">'
        f"{body}</code></pre>"
    )


def _site_link(url: str, env: dict[str, Any]) -> str:
    if env.get("absolute"):
        return absolute(url, env["base_url"])
    return under_base(url, env["base_path"])


def _rewrite_attr(token: Token, attr: str, env: dict[str, Any]) -> None:
    value = token.attrGet(attr)
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        token.attrSet(attr, _site_link(value, env))
    elif isinstance(value, str) and value.startswith("#") and env.get("absolute"):
        # In a feed an in-page anchor must point at the page, not the feed.
        token.attrSet(attr, env["permalink"] + value)


def _render_link_open(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    token = tokens[idx]
    original = token.attrGet("href")
    _rewrite_attr(token, "href", env)
    out = self.renderToken(tokens, idx, options, env)
    if original is not None:
        token.attrSet("href", original)
    return out


def _render_image(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    token = tokens[idx]
    original = token.attrGet("src")
    _rewrite_attr(token, "src", env)
    if token.attrGet("loading") is None:
        token.attrSet("loading", "lazy")
    out = self.image(tokens, idx, options, env)
    if original is not None:
        token.attrSet("src", original)
    return out


@lru_cache(maxsize=8)
def make_parser(options: MarkdownOptions) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {
            "html": options.raw_html,
            "typographer": options.typographer,
            "quotes": options.quotes,
            "highlight": _highlight if options.highlight else None,
        },
    )
    md.enable(["table", "strikethrough"])
    if options.typographer:
        md.enable(["replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(tasklists_plugin, label=True)
    if options.anchors:
        md.use(
            anchors_plugin,
            min_level=2,
            max_level=4,
            slug_func=lambda title: slugify(title) or "section",
            permalink=True,
            permalinkSymbol="#",
        )
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("image", _render_image)
    return md


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            continue
    return "".join(parts).strip()


def render(
    text: str,
    options: MarkdownOptions,
    *,
    base_url: str,
    base_path: str,
    permalink: str,
) -> Rendered:
    """Render Markdown for a page and for a feed, collecting headings, links and a lead."""
    md = make_parser(options)
    env: dict[str, Any] = {"base_url": base_url, "base_path": base_path, "permalink": permalink}
    tokens = md.parse(text, env)

    toc: list[TocEntry] = []
    first_paragraph = ""
    words = 0
    links: list[tuple[str, int]] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.attrGet("id"):
            title = _inline_text(tokens[i + 1])
            toc.append(TocEntry(int(token.tag[1]), str(token.attrGet("id")), title))
            for child in tokens[i + 1].children or []:
                if child.type == "link_open" and child.attrGet("class") == "header-anchor":
                    child.attrSet("aria-label", f"Link to the section “{title}”")
        elif token.type == "inline":
            line = token.map[0] + 1 if token.map else 1
            for child in token.children or []:
                if child.type == "text":
                    words += len(child.content.split())
                elif child.type == "link_open" and child.attrGet("class") != "header-anchor":
                    links.append((str(child.attrGet("href")), line))
                elif child.type == "image":
                    links.append((str(child.attrGet("src")), line))
            if (
                not first_paragraph
                and i > 0
                and tokens[i - 1].type == "paragraph_open"
                and tokens[i - 1].level == 0
            ):
                first_paragraph = _inline_text(token)

    page_html = md.renderer.render(tokens, md.options, env)
    feed_html = md.renderer.render(tokens, md.options, {**env, "absolute": True})
    return Rendered(
        html=page_html,
        feed_html=feed_html,
        toc=tuple(e for e in toc if e.level <= 3),
        first_paragraph=first_paragraph,
        words=words,
        links=tuple(links),
    )
