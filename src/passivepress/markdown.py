"""One configured Markdown renderer: CommonMark plus the extensions authors expect.

Links from the site's root are put under the site's base path. Feeds need absolute links
(feed readers have no base URL to resolve against): :func:`absolutize` makes them from the
page's HTML when a feed is written, so the common case renders and stores one body only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.parser_block import ParserBlock
from markdown_it.parser_inline import ParserInline
from markdown_it.renderer import RendererHTML
from markdown_it.ruler import Ruler
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.myst_role import myst_role_plugin
from mdit_py_plugins.myst_role.index import myst_role
from mdit_py_plugins.tasklists import tasklists_plugin

from passivepress import digests
from passivepress.urls import slugify, under_base

if TYPE_CHECKING:
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

# ids in the author's raw HTML are anchors too (<a id="top"></a>).
_HTML_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class AffiliateRule:
    """Links to ``domain`` (or a subdomain) are affiliate links; ``param=value`` is added."""

    domain: str
    param: str = ""
    value: str = ""


@dataclass(frozen=True)
class MarkdownOptions:
    typographer: bool = True
    quotes: str = "“”‘’"
    raw_html: bool = True
    highlight: bool = True
    anchors: bool = True
    affiliate: tuple[AffiliateRule, ...] = ()


@dataclass(frozen=True)
class Embed:
    """A directive or role whose output needs the whole site: ``{book}`` cards and links,
    ``{cta}`` boxes. The renderer leaves a placeholder that the builder fills in."""

    kind: str  # "book", "book-link" or "cta"
    arg: str  # a book slug or a call-to-action variant ("" for the page's own)
    line: int  # 1-based, in the Markdown body

    @property
    def placeholder(self) -> str:
        return f"<!--passivepress:{self.kind}:{self.arg}:{self.line}-->"


def affiliate_url(url: str, rules: tuple[AffiliateRule, ...]) -> tuple[str, bool]:
    """The URL with the affiliate parameter of the first matching rule, and whether one did."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        return url, False
    for rule in rules:
        domain = rule.domain.lower().strip(".")
        if host == domain or host.endswith("." + domain):
            if not rule.param:
                return url, True
            query = [
                (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != rule.param
            ]
            query.append((rule.param, rule.value))
            return urlunsplit(parts._replace(query=urlencode(query))), True
    return url, False


@dataclass(frozen=True)
class TocEntry:
    level: int
    id: str
    title: str


@dataclass(frozen=True)
class Rendered:
    """A rendered document: the page body and what templates need to know of it."""

    html: str
    toc: tuple[TocEntry, ...] = ()
    first_paragraph: str = ""
    words: int = 0
    links: tuple[tuple[str, int], ...] = field(default=())  # (URL, 1-based body line)
    ids: frozenset[str] = frozenset()  # element ids, for checking #anchor links
    embeds: tuple[Embed, ...] = ()
    affiliate: bool = False  # the body links to an affiliate shop


# Pygments is imported when a block is highlighted, not with this module: a quick build of
# an essay whose code blocks are all in the cache (see CodeBlocks) never needs it.
@cache
def _formatter() -> HtmlFormatter:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


# Finding a lexer by name searches Pygments' whole registry (about half the cost of highlighting
# a short block); a lexer keeps no state between texts, so one per language name serves every
# essay a worker renders. Bounded: the names come from authors' fences.
@lru_cache(maxsize=128)
def _lexer(lang: str) -> Lexer | None:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang)
    except ClassNotFound:
        return None


def _pygmentize(code: str, lang: str) -> str:
    """``code`` highlighted as ``lang``, in our ``<pre>``; "" for a language Pygments does
    not know (markdown-it then escapes the code as it is)."""
    lexer = _lexer(lang)
    if lexer is None:
        return ""
    from pygments import highlight

    body = highlight(code, lexer, _formatter())
    return (
        f'<pre class="highlight"><code class="language-{html.escape(lang, quote=True)}">'
        f"{body}</code></pre>"
    )


@dataclass
class CodeBlocks:
    """Highlighted code blocks by :func:`code_key`, for a render that keeps them: ``find``
    looks one up in a cache kept between builds; ``made`` collects the ones highlighted
    meanwhile, for the caller to keep there.

    Loading Pygments and a language's lexer takes 20-50 ms (the lexer compiles its rules),
    most of a quick build of an essay with a code block; an edit of its prose leaves the
    blocks as they were, and they come from the cache.
    """

    find: Callable[[str], str | None] = lambda key: None
    made: dict[str, str] = field(default_factory=dict)


_code_blocks: ContextVar[CodeBlocks | None] = ContextVar("code_blocks", default=None)


@cache
def _pygments_version() -> str:
    import pygments  # its package module only: a version and three functions

    return pygments.__version__


def code_key(code: str, lang: str) -> str:
    """What a highlighted block is kept under: its code, language and Pygments' version
    (another version may colour it otherwise)."""
    text = f"{_pygments_version()}\0{lang}\0{code}"
    return digests.text_hex(text)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    if not lang:
        return ""
    blocks = _code_blocks.get()
    if blocks is None:
        return _pygmentize(code, lang)
    key = code_key(code, lang)
    found = blocks.find(key)
    if found is None:
        found = blocks.made[key] = _pygmentize(code, lang)
    return found


@contextmanager
def _keeping(blocks: CodeBlocks | None) -> Iterator[None]:
    token = _code_blocks.set(blocks)
    try:
        yield
    finally:
        _code_blocks.reset(token)


# href/src values in our own HTML: root-relative paths (under the base path) and in-page
# anchors. Attribute values are escaped in the HTML, so text can never look like one.
_LOCAL_LINK = re.compile(r'(\s(?:href|src)=")(/(?!/)|#)')


def absolutize(page_html: str, permalink: str) -> str:
    """The page's HTML with absolute links, for feeds: ``/x/`` → ``https://host/x/`` and
    ``#fn1`` → ``<permalink>#fn1`` (an anchor must point into the essay, not the feed)."""
    parts = urlsplit(permalink)
    origin = f"{parts.scheme}://{parts.netloc}"
    anchor_base = html.escape(permalink, quote=True)

    def replace(m: re.Match[str]) -> str:
        return m.group(1) + (origin + "/" if m.group(2) == "/" else anchor_base + "#")

    return _LOCAL_LINK.sub(replace, page_html)


def _render_role(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    token = tokens[idx]
    if token.meta.get("name") == "book":
        return Embed("book-link", token.content.strip(), token.meta.get("line", 1)).placeholder
    # An unknown role is shown as the author wrote it rather than dropped.
    return html.escape(f"{{{token.meta.get('name')}}}`{token.content}`")


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer with its two hottest paths made lean, the output unchanged.

    An essay renders some 150 tags without a rule of their own (<p>, <li>, <em>, <td>, ...) and
    80 runs of text; markdown-it's ``renderToken`` renders the (usually absent) attributes of
    every tag through two calls, and text goes through a rule call. Here text is escaped in the
    loop (as markdown-it's own ``text`` rule does) and tags are built by the same decisions
    (tight-list paragraphs hidden, a newline after a block tag unless inline content or its
    closing tag follows), attributes only when there are some. A test renders tricky Markdown
    with both renderers.
    """

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        rules = self.rules
        out: list[str] = []
        for i, token in enumerate(tokens):
            kind = token.type
            if kind == "text":
                out.append(escapeHtml(token.content))
            elif kind in rules:
                out.append(rules[kind](tokens, i, options, env))
            else:
                out.append(self.renderToken(tokens, i, options, env))
        return "".join(out)

    def renderToken(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        if token.hidden:
            return ""
        nesting = token.nesting
        tag = ("</" if nesting == -1 else "<") + token.tag
        if token.attrs:
            tag += self.renderAttrs(token)
        if nesting == 0 and options["xhtmlOut"]:
            tag += " /"
        if not token.block:
            return tag + ">"
        if nesting != -1 and idx and tokens[idx - 1].hidden:
            tag = "\n" + tag
        if nesting == 1 and idx + 1 < len(tokens):
            after = tokens[idx + 1]
            if (
                after.type == "inline"
                or after.hidden
                or (after.nesting == -1 and after.tag == token.tag)
            ):
                return tag + ">"
        return tag + ">\n"


# What a block rule needs its line to start with (its first character after the indent).
# Each of these rules looks at that character first and gives up, changing nothing, on any
# other; a rule not named here is always tried. (The same for inline rules measured no
# faster: the text rule already skips to the next mark, and a look-up at every mark costs
# what it saves.)
_BLOCK_STARTS = {
    "code": "",  # an indented line only: those are given every rule
    "fence": "`~",
    "blockquote": ">",
    "hr": "*-_",
    "list": "*-+0123456789",
    "reference": "[",
    "footnote_def": "[",
    "html_block": "<",
    "heading": "#",
}


class _ByStart:
    """A ruler's rules that can match at a character, in the ruler's order (so the first
    that matches is the one markdown-it's own loop would find), made once per character."""

    def __init__(self, starts: dict[str, str]) -> None:
        self.starts = starts
        self.rules: list[Any] | None = None
        self.chains: dict[str, list[Any]] = {}

    def chains_for(self, rules: list[Any]) -> dict[str, list[Any]]:
        """The chains made so far for ``rules`` (the ruler's current rules)."""
        if self.rules is not rules:  # the rules were changed (enabled, disabled, added)
            self.rules, self.chains = rules, {}
        return self.chains

    def make(self, ruler: Any, char: str) -> list[Any]:
        names = {id(rule.fn): rule.name for rule in ruler.__rules__}
        chain = self.chains[char] = [
            rule
            for rule in self.rules or ()
            if char in self.starts.get(names.get(id(rule), ""), char)
        ]
        return chain


class _BlockRuler(Ruler):
    """The block rules, with each chain of rules that may end a paragraph, quote, list or
    reference (what the rules ask for to know where they stop) as one rule that tries only
    those the line's first character allows.

    Every line of a hard-wrapped paragraph is asked, twice (by lheading, then paragraph),
    whether table, fence, blockquote, hr, list, html_block, heading or footnote_def
    starts there; that made a hard-wrapped essay 1.8 times as slow to render as the same
    essay with one line per paragraph. The callers only ask whether any rule of the chain
    matches (silently, changing nothing), so one that tries fewer, in the same order,
    answers the same.
    """

    def getRules(self, chainName: str = "") -> list[Any]:
        rules = super().getRules(chainName)
        if not chainName:
            return rules
        # make_parser turns markdown-it's ruler into this class: no __init__ of ours ran.
        ends = self.__dict__.setdefault("_ends", {})
        made = ends.get(chainName)
        if made is None or made[0] is not rules:
            made = ends[chainName] = (rules, [_ends_with(self, rules)])
        return made[1]


def _ends_with(ruler: Ruler, rules: list[Any]) -> Callable[..., bool]:
    """A rule that matches where one of ``rules`` matches (silently), trying only those
    whose first character (see _BLOCK_STARTS) the line has."""
    by_start = _ByStart(_BLOCK_STARTS)
    chains = by_start.chains_for(rules)

    def ends(state: StateBlock, line: int, endLine: int, silent: bool) -> bool:
        start, end = state.bMarks[line] + state.tShift[line], state.eMarks[line]
        if start >= end or state.sCount[line] - state.blkIndent >= 4:
            tried = rules
        else:
            char = state.src[start]
            tried = chains.get(char)
            if tried is None:
                tried = by_start.make(ruler, char)
        return any(rule(state, line, endLine, silent) for rule in tried)

    return ends


class _InlineParser(ParserInline):
    """markdown-it's inline parser, with a short way for text that no inline rule can
    start in: only the text rule stops at one of the parser's terminator characters, and
    every other rule is tried only there, so without one the text is one text token. A
    table cell, a list item, a heading, a short paragraph: over half the inline pieces of
    an essay."""

    def parse(self, src: str, md: MarkdownIt, env: EnvType, tokens: list[Token]) -> list[Token]:
        terminators = getattr(self, "terminator_re", None)  # markdown-it-py 4
        if src and terminators is not None and not terminators.search(src):
            tokens.append(Token("text", "", 0, content=src))
            return tokens
        return super().parse(src, md, env, tokens)


class _BlockParser(ParserBlock):
    """markdown-it's block tokenizer, trying at each line only the rules that can match it.

    markdown-it tries every block rule in turn at the start of every block (a paragraph
    of text goes through table, fence, blockquote, hr, list, reference, html_block,
    heading, ... before lheading and paragraph take it), and each rule is a call and a
    debug log record asked for. Here the line's first character picks the rules that can
    match (see _BLOCK_STARTS); an indented line tries them all. About a tenth of an
    essay's Markdown time. A test parses tricky Markdown with both tokenizers.
    """

    by_start: _ByStart

    def tokenize(self, state: StateBlock, startLine: int, endLine: int) -> None:
        # ParserBlock.tokenize, but for the rules tried.
        rules = self.ruler.getRules("")
        line = startLine
        maxNesting = state.md.options.maxNesting
        hasEmptyLines = False
        src, bMarks, tShift, sCount = state.src, state.bMarks, state.tShift, state.sCount
        chains = self.by_start.chains_for(rules)

        while line < endLine:
            state.line = line = state.skipEmptyLines(line)
            if line >= endLine:
                break
            if sCount[line] < state.blkIndent:
                break
            if state.level >= maxNesting:
                state.line = endLine
                break

            if sCount[line] - state.blkIndent >= 4:
                tried = rules
            else:
                char = src[bMarks[line] + tShift[line]]
                tried = chains.get(char)
                if tried is None:
                    tried = self.by_start.make(self.ruler, char)
            ok = False
            for rule in tried:
                ok = rule(state, line, endLine, False)
                if ok:
                    if state.line <= line:
                        raise RuntimeError("block rule didn't increment state.line")
                    break
            if not ok:
                raise RuntimeError("none of the block rules matched")

            state.tight = not hasEmptyLines
            line = state.line
            if (line - 1) < endLine and state.isEmpty(line - 1):
                hasEmptyLines = True
            if line < endLine and state.isEmpty(line):
                hasEmptyLines = True
                line += 1
                state.line = line


def _myst_role(state: StateInline, silent: bool) -> bool:
    # The plugin's rule copies the rest of the paragraph at every mark it is tried on (each
    # `*`, `[`, `(`, ...); a role can only start at a "{", so it is tried there only.
    return state.src.startswith("{", state.pos) and myst_role(state, silent)


@lru_cache(maxsize=128)
def make_parser(options: MarkdownOptions, idle: frozenset[str] = frozenset()) -> MarkdownIt:
    """The parser for ``options``, without the rules in ``idle`` (see :func:`_idle_rules`)."""
    md = MarkdownIt(
        "commonmark",
        {
            "html": options.raw_html,
            "typographer": options.typographer,
            "quotes": options.quotes,
            "highlight": _highlight if options.highlight else None,
        },
        renderer_cls=_Renderer,
    )
    md.enable(["table", "strikethrough"])
    if options.typographer:
        md.enable(["replacements", "smartquotes"])
    md.block.__class__, md.block.by_start = _BlockParser, _ByStart(_BLOCK_STARTS)
    md.block.ruler.__class__ = _BlockRuler
    md.inline.__class__ = _InlineParser
    md.use(footnote_plugin)
    md.use(tasklists_plugin, label=True)
    md.use(myst_role_plugin)
    md.inline.ruler.at("myst_role", _myst_role)
    md.add_render_rule("myst_role", _render_role)
    if idle:
        md.disable(sorted(idle))
    terminators = _terminators(md)
    if terminators is not None:
        md.inline.terminator_re = terminators
    # Linkify is off; dropping its matcher (about 200 KB) keeps the parsers cached per set of
    # idle rules small. The matcher holds methods of itself: emptied first, it is freed at
    # once rather than left as a cycle to the collector, which is paused while content is
    # read (see build._Collector).
    if md.linkify is not None:
        vars(md.linkify).clear()
    md.linkify = None
    return md


# The characters each inline rule can start at. markdown-it's text rule stops at every
# character of a fixed set (with "-" and ":" among them, frequent in prose) and tries every
# rule there; stopping only where an enabled rule can start makes the same tokens (what
# the text rule passes over is pending text all the same) with fewer stops, and leaves more
# inline pieces with no stop at all (see _InlineParser). "]" stays: a link's label is
# walked token by token (parseLinkLabel) and must stop there.
_INLINE_STARTS = {
    "newline": "\n",
    "escape": "\\",
    "myst_role": "{",
    "backticks": "`",
    "strikethrough": "~",
    "emphasis": "*_",
    "link": "[",
    "image": "!",
    "footnote_inline": "^",
    "footnote_ref": "[",
    "autolink": "<",
    "html_inline": "<",
    "entity": "&",
    "linkify": ":",
}


def _terminators(md: MarkdownIt) -> re.Pattern[str] | None:
    """The text rule's stops for ``md``'s enabled inline rules; None (markdown-it's own)
    if one of them is not known here, or for a markdown-it-py without per-parser stops."""
    if not hasattr(md.inline, "terminator_re"):
        return None
    names = [rule.name for rule in md.inline.ruler.__rules__ if rule.enabled]
    if any(name != "text" and name not in _INLINE_STARTS for name in names):
        return None
    chars = {"]", *"".join(_INLINE_STARTS.get(name, "") for name in names)}
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]")


# Rules that a document cannot set off without one of these characters: each rule is tried at
# every block (or at every mark in a paragraph), or walks every token, so a document without the
# character is parsed by a parser without the rule. The characters are looked for in the whole
# text: every piece a rule sees (a line, paragraph, cell, heading, footnote) is cut from its
# lines, and normalizing newlines and NUL makes none of these characters.
_MARKS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    # normalize replaces CR and CR LF by LF, and NUL by U+FFFD, with a regex that stops at every
    # LF (about 70 us for an essay of 7,600 characters).
    (("normalize",), ("\r", "\0")),
    (("table",), ("|",)),  # a table's header row has a pipe
    (("myst_role",), ("{",)),
    (("html_block", "html_inline", "autolink"), ("<",)),
    (("escape",), ("\\",)),
    (("entity",), ("&",)),
    # text_join turns the text_special tokens of escapes and entities into text and joins them
    # with the text around; without either, the inline parser has joined all text already.
    (("text_join",), ("\\", "&")),
    (("backticks",), ("`",)),
    (("fence",), ("`", "~")),
    (("strikethrough",), ("~",)),
    (("footnote_def", "footnote_ref", "footnote_inline"), ("^",)),  # [^1]: x, [^1], ^[x]
    (("blockquote",), (">",)),
)
# A task item's paragraph opens with "[ ]", "[x]" or "[X]".
_TASK = re.compile(r"\[[ xX]\]")


def _idle_rules(text: str, options: MarkdownOptions) -> frozenset[str]:
    """The rules that cannot change this document (see ``_MARKS``)."""
    idle = [rule for rules, marks in _MARKS if not any(m in text for m in marks) for rule in rules]
    if not _TASK.search(text):
        idle.append("github-tasklists")
    # Not "replacements": looking for its marks (--, ..., (c)) costs as much as the rule itself.
    if options.typographer and "'" not in text and '"' not in text:
        idle.append("smartquotes")
    return frozenset(idle)


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


def _permalink(slug: str, title: str) -> list[Token]:
    """What mdit-py-plugins' anchors plugin appends to a heading (a space and ``<a
    class="header-anchor">#</a>``), with our aria-label, as HTML made once."""
    label = f"Link to the section “{title}”"
    link = (
        f'<a class="header-anchor" href="#{escapeHtml(slug)}" aria-label="{escapeHtml(label)}">'
        "#</a>"
    )
    return [Token("text", "", 0, content=" "), Token("html_inline", "", 0, content=link)]


def _is_site_path(url: object) -> bool:
    """Whether a link goes from the site's root (and so under its base path)."""
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//")


def render(
    text: str,
    options: MarkdownOptions,
    *,
    base_path: str = "/",
    code: CodeBlocks | None = None,
) -> Rendered:
    """Render Markdown for a page, collecting headings, links, ids, embeds and a lead.

    One walk over the tokens collects what templates need and makes our changes (heading ids,
    links under the base path, affiliate links, lazy images, embeds) before markdown-it renders.
    ``code``: where highlighted code blocks are looked up and collected (see CodeBlocks).
    """
    md = make_parser(options, _idle_rules(text, options))
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    rules = options.affiliate
    ids: set[str] = set()
    embeds: list[Embed] = []
    affiliate = False

    toc: list[TocEntry] = []
    first_paragraph = ""
    words = 0
    links: list[tuple[str, int]] = []
    # Heading ids are given here rather than by the anchors plugin's own walk over every token
    # (the same slugs, numbered in the same order: -1, -2, ...).
    slugs: set[str] = set()
    permalink: list[Token] = []
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "inline":
            line = token.map[0] + 1 if token.map else 1
            for child in token.children or []:
                kind = child.type
                if kind == "text":
                    words += len(child.content.split())
                elif kind == "link_open":
                    href = child.attrGet("href")
                    links.append((str(href), line))
                    if _is_site_path(href):
                        child.attrSet("href", under_base(str(href), base_path))
                    elif rules and isinstance(href, str):
                        url, matched = affiliate_url(href, rules)
                        if matched:
                            affiliate = True
                            child.attrSet("href", url)
                            child.attrSet("rel", "sponsored noopener")
                elif kind == "image":
                    src = child.attrGet("src")
                    links.append((str(src), line))
                    if _is_site_path(src):
                        child.attrSet("src", under_base(str(src), base_path))
                    if child.attrGet("loading") is None:
                        child.attrSet("loading", "lazy")
                elif kind == "html_inline":
                    ids.update(_HTML_ID.findall(child.content))
                elif kind == "myst_role" and child.meta.get("name") == "book":
                    child.meta["line"] = line
                    embeds.append(Embed("book-link", child.content.strip(), line))
            if permalink:
                token.children = (token.children or []) + permalink
                permalink = []
            if (
                not first_paragraph
                and i > 0
                and tokens[i - 1].type == "paragraph_open"
                and tokens[i - 1].level == 0
            ):
                first_paragraph = _inline_text(token)
        elif kind == "heading_open":
            level = int(token.tag[1])
            if options.anchors and 2 <= level <= 4:
                heading = tokens[i + 1]
                children = heading.children or []
                slug = slugify(
                    "".join(c.content for c in children if c.type in ("text", "code_inline"))
                )
                slug = unique = slug or "section"
                n = 1
                while unique in slugs:
                    unique = f"{slug}-{n}"
                    n += 1
                slugs.add(unique)
                token.attrSet("id", unique)
                ids.add(unique)
                title = _inline_text(heading)
                toc.append(TocEntry(level, unique, title))
                # Added after the heading's own text has been walked (next token).
                permalink = _permalink(unique, title)
        elif kind == "html_block":
            ids.update(_HTML_ID.findall(token.content))
        elif kind == "fence":
            name, _, arg = token.info.strip().partition(" ")
            if name in ("{book}", "{cta}"):
                line = token.map[0] + 1 if token.map else 1
                embed = Embed(name.strip("{}"), arg.strip(), line)
                embeds.append(embed)
                tokens[i] = Token("html_block", "", 0, content=embed.placeholder + "\n")

    with _keeping(code):
        page_html = md.renderer.render(tokens, md.options, env)
    return Rendered(
        html=Markup(page_html),
        toc=tuple(e for e in toc if e.level <= 3),
        first_paragraph=first_paragraph,
        words=words,
        links=tuple(links),
        ids=frozenset(ids),
        embeds=tuple(embeds),
        affiliate=affiliate,
    )
