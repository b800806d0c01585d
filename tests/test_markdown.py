"""Markdown as authors write it, checked in the built essay page with html5lib."""

from __future__ import annotations

import pytest
from markdown_it.renderer import RendererHTML

from conftest import CONFIG, Html
from passivepress import markdown


@pytest.fixture(scope="module")
def render(tmp_path_factory, make_site, build_site):
    """``render(markdown, config_extra="")`` → (page, the essay's e-content element)."""

    def run(body: str, config_extra: str = ""):
        root = tmp_path_factory.mktemp("md")
        site = make_site(
            root,
            CONFIG
            + config_extra
            + "\n-- content/essays/md.md --\n---\ntitle: Markdown\ndate: 2024-03-01\n---\n"
            + body,
        )
        page = build_site(site).html("/essays/md/")
        return page, page.one("e-content")

    return run


def rendered(body: str, **options: object) -> tuple[markdown.Rendered, Html]:
    """The renderer called directly (as the build's workers do), and its HTML parsed."""
    result = markdown.render(body, markdown.MarkdownOptions(**options))  # type: ignore[arg-type]
    return result, Html(f"<meta charset=utf-8><div>{result.html}</div>".encode())


def test_tables_become_html_tables(render):
    page, content = render("| Book | Year |\n| --- | ---: |\n| Signal | 2023 |\n")
    table = content.find(".//table")
    assert table is not None
    assert [page.text(th) for th in table.iter("th")] == ["Book", "Year"]
    assert [page.text(td) for td in table.iter("td")] == ["Signal", "2023"]


def test_strikethrough_is_shown_struck(render):
    page, content = render("It was ~~cheap~~ affordable.\n")
    struck = content.findall(".//s") + content.findall(".//del")
    assert [page.text(el) for el in struck] == ["cheap"]


def test_footnotes_link_to_their_note_and_back(render):
    page, content = render("A claim.[^src]\n\n[^src]: The source.\n")
    ref = content.find(".//sup/a")
    assert ref is not None
    note_id = ref.get("href").removeprefix("#")
    notes = [li for li in content.iter("li") if li.get("id") == note_id]
    assert len(notes) == 1
    assert "The source." in page.text(notes[0])
    back = [a.get("href") for a in notes[0].iter("a")]
    assert back == [f"#{ref.get('id')}"]


def test_task_lists_become_checkboxes(render):
    page, content = render("- [x] Write the essay\n- [ ] Publish it\n")
    boxes = [i for i in content.iter("input") if i.get("type") == "checkbox"]
    assert len(boxes) == 2
    assert boxes[0].get("checked") is not None
    assert boxes[1].get("checked") is None
    assert "Write the essay" in page.text(content)


def test_headings_get_ids_and_a_link_to_themselves(render):
    _, content = render("## Why it matters\n\nText.\n\n### Small print\n")
    h2 = content.find(".//h2")
    assert h2.get("id") == "why-it-matters"
    assert [a.get("href") for a in h2.iter("a")] == ["#why-it-matters"]
    h3 = content.find(".//h3")
    assert h3.get("id") == "small-print"


def test_two_headings_with_the_same_text_get_different_ids(render):
    _, content = render("## Notes\n\nOne.\n\n## Notes\n\nTwo.\n")
    ids = [h.get("id") for h in content.findall(".//h2")]
    assert len(set(ids)) == 2


def test_a_long_essay_gets_a_table_of_contents_linking_its_headings(render):
    page, _ = render("## One\n\nx\n\n## Two\n\nx\n\n## Three\n\nx\n")
    toc = page.one("toc", "nav")
    assert page.links(toc) == ["#one", "#two", "#three"]
    assert [page.text(a) for a in toc.iter("a")] == ["One", "Two", "Three"]


def test_fenced_code_is_highlighted_by_pygments(render):
    page, content = render("```python\ndef greet(name):\n    return 'hi'\n```\n")
    pres = [p for p in content.iter("pre") if "highlight" in p.get("class", "").split()]
    assert len(pres) == 1
    spans = list(pres[0].iter("span"))
    assert spans, "no Pygments token spans"
    keyword = [s for s in spans if s.text == "def"]
    assert keyword and keyword[0].get("class") == "k"
    assert page.text(pres[0]) == "def greet(name): return 'hi'"


def test_the_theme_ships_the_highlighting_stylesheet(tmp_path, make_site, build_site):
    built = build_site(make_site(tmp_path, CONFIG))
    css = [el.get("href") for el in built.html("/").iter("link") if el.get("rel") == "stylesheet"]
    assert "/css/highlight.css" in css
    assert b".highlight" in built.read("/css/highlight.css")


def test_code_in_an_unknown_language_is_shown_plainly(render):
    page, content = render("```nosuchlang\n<b>x</b>\n```\n")
    code = content.find(".//pre/code")
    assert page.text(code) == "<b>x</b>"
    assert code.find("b") is None


def test_typographic_quotes_are_on_by_default(render):
    page, content = render('She said "hello" and it\'s fine -- really...\n')
    text = page.text(content)
    assert "“hello”" in text
    assert "it’s" in text
    assert "…" in text


def test_typographic_quotes_can_be_switched_off(render):
    page, content = render(
        'She said "hello" and it\'s fine...\n', "markdown:\n  typographer: false\n"
    )
    text = page.text(content)
    assert '"hello"' in text
    assert "it's" in text
    assert "“" not in text


def test_the_quote_characters_are_configurable(render):
    page, content = render('She said "hello".\n', "markdown:\n  quotes: «»‹›\n")
    assert "«hello»" in page.text(content)


def test_raw_html_is_kept_by_default(render):
    page, content = render('<div class="callout">Note <em>this</em></div>\n')
    callout = [d for d in content.iter("div") if d.get("class") == "callout"]
    assert len(callout) == 1
    assert page.text(callout[0]) == "Note this"


def test_raw_html_is_shown_as_text_when_switched_off(render):
    page, content = render(
        '<div class="callout">Note</div>\n\n<script>alert(1)</script>\n',
        "markdown:\n  raw_html: false\n",
    )
    assert not [d for d in content.iter("div") if d.get("class") == "callout"]
    assert content.find(".//script") is None
    text = page.text(content)
    assert "<script>alert(1)</script>" in text
    assert "<div class=" in text
    assert "Note</div>" in text


def test_highlighting_can_be_switched_off(render):
    _, content = render("```python\ndef f(): pass\n```\n", "markdown:\n  highlight: false\n")
    assert not [p for p in content.iter("pre") if "highlight" in p.get("class", "")]
    assert content.find(".//pre/code") is not None


def test_site_links_in_markdown_are_kept_and_external_ones_untouched(render):
    page, content = render(
        "[Essays](/essays/) and [Python](https://python.org/) and [top](#top).\n"
    )
    assert page.links(content) == ["/essays/", "https://python.org/", "#top"]


def test_images_are_lazy_loaded(render):
    _, content = render("![A chart](https://example.org/chart.png)\n")
    img = content.find(".//img")
    assert img.get("alt") == "A chart"
    assert img.get("loading") == "lazy"


def test_each_fence_keeps_its_own_language_when_rendered_again():
    # Lexers are remembered per language name: an unknown name must stay unhighlighted and a
    # known one highlighted, however often and in whatever order they come.
    body = "```nosuchlang\n<b>x</b>\n```\n\n```python\ndef f(): pass\n```\n"
    for _ in range(2):
        _, page = rendered(body)
        plain, highlighted = page.findall(".//pre")
        assert plain.get("class") is None
        assert page.text(plain) == "<b>x</b>"
        assert highlighted.get("class") == "highlight"
        keywords = [s.text for s in highlighted.iter("span") if s.get("class") == "k"]
        assert keywords == ["def", "pass"]


def test_code_blocks_highlighted_once_come_back_from_the_cache_unchanged(monkeypatch):
    """A render that keeps code blocks collects each highlighted block (an unknown
    language too, as nothing to highlight); a render that finds them there makes the same
    HTML without Pygments."""
    body = (
        "```python\ndef f(): pass\n```\n\n```nosuchlang\n<b>x</b>\n```\n\n```python\nx = 1\n```\n"
    )
    options = markdown.MarkdownOptions()
    plain = markdown.render(body, options)
    first = markdown.CodeBlocks()
    assert markdown.render(body, options, code=first).html == plain.html
    assert set(first.made) == {
        markdown.code_key("def f(): pass\n", "python"),
        markdown.code_key("<b>x</b>\n", "nosuchlang"),
        markdown.code_key("x = 1\n", "python"),
    }
    assert first.made[markdown.code_key("<b>x</b>\n", "nosuchlang")] == ""

    def no_pygments(code: str, lang: str) -> str:
        raise AssertionError(f"highlighted again: {lang}")

    monkeypatch.setattr(markdown, "_pygmentize", no_pygments)
    again = markdown.CodeBlocks(find=first.made.get)
    assert markdown.render(body, options, code=again).html == plain.html
    assert again.made == {}
    # A block the cache does not have is highlighted (here: by the stand-in, which fails).
    with pytest.raises(AssertionError, match="highlighted again: python"):
        markdown.render("```python\ny = 2\n```\n", options, code=again)


def test_a_code_key_tells_language_and_code_apart():
    keys = {
        markdown.code_key("a\n", "python"),
        markdown.code_key("a\n", "ruby"),
        markdown.code_key("b\n", "python"),
        markdown.code_key("python\0a\n", ""),
    }
    assert len(keys) == 4


def test_headings_get_numbered_ids_in_order_and_one_named_link_each():
    # Heading ids are given by our own walk over the tokens, not by the anchors plugin.
    body = "## Notes\n\n## Notes\n\n## Notes\n\n##### Deep\n\n## Say \"id='x'\" <b>now</b>\n"
    result, page = rendered(body, typographer=False)
    h2s = page.findall(".//h2")
    assert [h.get("id") for h in h2s] == ["notes", "notes-1", "notes-2", "say-id-x-now"]
    assert page.find(".//h5").get("id") is None
    for h in h2s:
        (link,) = h.iter("a")
        assert link.get("href") == "#" + h.get("id")
        assert link.get("class") == "header-anchor"
        assert page.text(link) == "#"
    assert h2s[3].find(".//a").get("aria-label") == "Link to the section “Say \"id='x'\" now”"
    # The id-like text in a heading's link label is not taken for an element id.
    assert result.ids == {"notes", "notes-1", "notes-2", "say-id-x-now"}
    assert [(e.id, e.title) for e in result.toc][-1] == ("say-id-x-now", "Say \"id='x'\" now")
    assert result.words == 7


RICH = (
    "- [x] Read {book}`deep-work` and {other}`this`\n- [ ] Write\n\n"
    "| a | b |\n| - | - |\n| 1 | 2 |\n\n"
    'She said "hi" -- then \\*stars\\* &amp; (c)...\n\n'
    "> Quoted, `code`, ~~gone~~, <b>bold</b>, <https://example.org/> and a note.[^n]\n\n"
    "```\nfenced\n```\n\n"
    '<div class="callout">A block of HTML</div>\n\n'
    "[^n]: The note.\n"
)


def test_rules_left_out_for_plain_documents_still_work_in_others():
    # A document without the marks of some rules (pipes, braces, task items, escapes, quotes,
    # <, `, ~, ^, >) is parsed without those rules; the next document must get them all back.
    for body in ("Just words.\n", RICH, "Just words.\n", RICH):
        result, page = rendered(body)
        if body != RICH:
            assert page.text(page.find(".//p")) == "Just words."
            continue
        boxes = [i for i in page.iter("input") if i.get("type") == "checkbox"]
        assert [b.get("checked") is not None for b in boxes] == [True, False]
        assert [(e.kind, e.arg) for e in result.embeds] == [("book-link", "deep-work")]
        assert "{other}`this`" in page.text()
        assert [page.text(td) for td in page.iter("td")] == ["1", "2"]
        assert page.text(page.findall(".//p")[0]) == "She said “hi” – then *stars* & ©…"
        quote = page.find(".//blockquote")
        assert [page.text(quote.find(f".//{tag}")) for tag in ("code", "s", "b")] == [
            "code",
            "gone",
            "bold",
        ]
        assert page.links(quote) == ["https://example.org/", "#fn1"]
        assert page.text(page.find(".//pre")) == "fenced"
        assert page.text(page.one("callout", "div")) == "A block of HTML"
        assert '\n<div class="callout">' in result.html  # a block, not inline HTML in a <p>
        assert page.text(page.find(".//section/ol/li")) == "The note. ↩︎"


def test_links_and_images_are_changed_in_the_page_and_reported_as_written():
    # Our one walk over the tokens puts site links under the base path, marks affiliate links,
    # makes images lazy and turns {book} and {cta} fences into placeholders for the builder.
    body = (
        "[Essays](/essays/) [Shop](https://shop.example/b?x=1) [Ext](https://python.org/) "
        "[CDN](//cdn.example/a) ![Chart](/img/c.png)\n\n"
        "```{book} deep-work\n```\n\n```{cta}\n```\n"
    )
    rule = markdown.AffiliateRule("shop.example", "tag", "ada-20")
    options = markdown.MarkdownOptions(affiliate=(rule,))
    for _ in range(2):  # nothing of the first rendering may leak into the second
        result = markdown.render(body, options, base_path="/blog/")
        page = Html(f"<meta charset=utf-8><div>{result.html}</div>".encode())
        hrefs = {page.text(a): (a.get("href"), a.get("rel")) for a in page.iter("a")}
        assert hrefs == {
            "Essays": ("/blog/essays/", None),
            "Shop": ("https://shop.example/b?x=1&tag=ada-20", "sponsored noopener"),
            "Ext": ("https://python.org/", None),
            "CDN": ("//cdn.example/a", None),
        }
        (img,) = page.iter("img")
        assert (img.get("src"), img.get("loading")) == ("/blog/img/c.png", "lazy")
        assert result.affiliate
        assert [url for url, _ in result.links] == [
            "/essays/",
            "https://shop.example/b?x=1",
            "https://python.org/",
            "//cdn.example/a",
            "/img/c.png",
        ]
        assert [(e.kind, e.arg, e.line) for e in result.embeds] == [
            ("book", "deep-work", 3),
            ("cta", "", 6),
        ]
        assert [e.placeholder in result.html for e in result.embeds] == [True, True]
        assert page.find(".//pre") is None


def test_windows_line_endings_and_nul_are_read_like_unix_ones():
    # The rule that normalizes them is left out of documents that have neither.
    unix, _ = rendered("## Title\n\nA *line*\nand a [link](/x/).\n\n- [ ] task\n")
    windows, _ = rendered("## Title\r\n\r\nA *line*\r\nand a [link](/x/).\r\n\r\n- [ ] task\r\n")
    assert windows == unix
    result, _ = rendered("Odd\x00byte\n")
    assert result.first_paragraph == "Odd\ufffdbyte"
    assert "\x00" not in result.html


TRICKY = """\
- tight
- list
  > quote after a hidden paragraph
-

1. loose

3. list
   - nested
     tight

7) start
> quote
>
> - in quote

***

| left | centre | right |
| :--- | :----: | ----: |
| a | b | c |

Image ![alt *em*](/i.png "t") and hard\\
break, `code`, <span>html</span>, **strong** and a[^1].

    indented code

```python
x = 1
```

- [x] task
- [ ] other

>

[^1]: note
"""


def test_our_renderer_writes_exactly_what_markdown_its_own_does():
    # Our renderer builds tags and text faster than markdown-it's; the HTML must not differ.
    md = markdown.make_parser(markdown.MarkdownOptions())
    stock = RendererHTML()
    stock.rules = {name: rule.__func__.__get__(stock) for name, rule in md.renderer.rules.items()}
    ours = md.renderer.render(md.parse(TRICKY), md.options, {})
    assert ours == stock.render(md.parse(TRICKY), md.options, {})
    for tag in ("<li></li>", "\n<blockquote>", 'style="text-align:right"', " />", "<br />"):
        assert tag in ours


BLOCKS = """\
Setext heading
==============

Another one
---

* * *
- - -
+ plus list
+ second

10. ten
11. eleven
text after a list is a lazy
continuation line

Paragraph
1. a one can interrupt it
2. two

Paragraph
3. a three cannot

> quote with a list:
> - item
>   ```
>   fenced in a list in a quote
>   ```
lazy quote line

- item

      indented code in a list

  # heading in a list
  <div>html in a list</div>

<!-- a comment -->
<div>
*not emphasis in an HTML block*
</div>

[ref]: /target "Title"
[^note]: A footnote with [a link][ref].

A reference to the note[^note].

    code
	tab-indented code

~~~
tilde fence
~~~

| a | b |
|---|---|
| 1 | 2 |
plain after a table

_ _ _
#not a heading
#	tab heading
"""


# Hard-wrapped prose, interrupted without a blank line by every kind of block that may
# end a paragraph (or a quote, a list item, a reference).
WRAPPED = """\
A paragraph written as an editor wraps it, line after line, until a
- list interrupts it
  and goes on lazily
# a heading interrupts it
> a quote
continues lazily
***
more prose
```
a fence
```
prose again
<div>html</div>
prose
| a | b |
| - | - |
| 1 | 2 |
[^n]: a footnote
  continued
and [^n] with a reference
1. one
2) two
-not a list
  * nested?
=not a heading
"""


def _parsed_by_markdown_its_own(md, text):
    """``text`` parsed by ``md`` with markdown-it's own block and inline parsers and text
    rule stops, for a moment (make_parser's parser is cached)."""
    from markdown_it.parser_block import ParserBlock
    from markdown_it.parser_inline import ParserInline
    from markdown_it.ruler import Ruler

    classes = md.block.__class__, md.block.ruler.__class__, md.inline.__class__
    assert classes == (markdown._BlockParser, markdown._BlockRuler, markdown._InlineParser)
    stops = md.inline.terminator_re
    assert stops.pattern != ParserInline().terminator_re.pattern  # ours stop less often
    md.block.__class__, md.block.ruler.__class__, md.inline.__class__ = (
        ParserBlock,
        Ruler,
        ParserInline,
    )
    md.inline.terminator_re = ParserInline().terminator_re
    try:
        return md.parse(text)
    finally:
        md.block.__class__, md.block.ruler.__class__, md.inline.__class__ = classes
        md.inline.terminator_re = stops


@pytest.mark.parametrize("text", [TRICKY, BLOCKS, WRAPPED], ids=["tricky", "blocks", "wrapped"])
def test_our_block_tokenizer_finds_what_markdown_its_own_does(text):
    """Ours tries at each line, and where a paragraph, quote or list may end, only the
    rules the line's first character allows, makes text without a mark one text token at
    once, and stops the text rule only where an inline rule can start; the tokens and the
    HTML must be those of markdown-it's own parsers, which try every rule everywhere."""
    md = markdown.make_parser(markdown.MarkdownOptions())
    ours = md.parse(text)
    stock = _parsed_by_markdown_its_own(md, text)
    assert [t.as_dict() for t in ours] == [t.as_dict() for t in stock]
    assert md.renderer.render(ours, md.options, {}) == md.renderer.render(stock, md.options, {})
    kinds = {t.type for t in ours}
    assert {"hr", "blockquote_open", "fence"} <= kinds
    if text is WRAPPED:  # each interrupted a paragraph
        assert {"bullet_list_open", "heading_open", "html_block"} <= kinds
    else:
        assert {"ordered_list_open", "table_open"} <= kinds
    if text is BLOCKS:
        assert {"heading_open", "code_block", "html_block", "footnote_block_open"} <= kinds


@pytest.mark.parametrize("seed", range(4))
def test_random_markdown_parses_as_markdown_its_own_parsers_parse_it(seed):
    """Texts of words and every mark Markdown knows (links, labels, emphasis, code,
    footnotes, roles, HTML, entities, escapes, hyphens and colons), thrown together."""
    import random

    rng = random.Random(seed)
    pieces = [
        "word",
        "two words",
        "-",
        "--",
        ":",
        "::",
        "!",
        "![",
        "[",
        "]",
        "](",
        "(/x)",
        "[^1]",
        "^[",
        "*",
        "**",
        "_",
        "__",
        "~~",
        "`",
        "``",
        "<",
        ">",
        "<b>",
        "</b>",
        "<http://a.b>",
        "&amp;",
        "&#35;",
        "\\",
        "\\-",
        "\\[",
        "{book}`x`",
        "{",
        "}",
        "#",
        "$",
        "%",
        "+",
        "=",
        "@",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\n- ",
        "\n1. ",
        "\n> ",
        "\n[1]: /u",
        "'",
        '"',
        "...",
        "(c)",
        "|",
        "\n| a | b |\n|---|---|\n| c | d |\n",
    ]
    md = markdown.make_parser(markdown.MarkdownOptions(typographer=True))
    for _ in range(150):
        text = "".join(rng.choices(pieces, k=rng.randint(1, 40)))
        ours = md.parse(text)
        stock = _parsed_by_markdown_its_own(md, text)
        assert [t.as_dict() for t in ours] == [t.as_dict() for t in stock], text


def test_rendering_leaves_no_reference_cycles():
    """Bodies are rendered with the cycle collector off (it ran again and again over each
    essay's tokens for nothing); anything rendering left in a cycle would stay in memory."""
    import gc

    texts = [TRICKY, BLOCKS, WRAPPED, "```python\nx = 1\n```\n\n```{book} b\n```\n{book}`b`"]
    options = markdown.MarkdownOptions()
    for text in texts:  # parsers and lexers made once, before looking
        markdown.render(text, options)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for text in texts:
            markdown.render(text, options)
        gc.collect()
        found = list(gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    assert found == []
