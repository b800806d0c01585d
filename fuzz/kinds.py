"""Every kind of edit the fuzzers make to a site, and the editor that picks them.

An edit kind is a function of an edit context that changes the site through its logged
file system and says what it did in a line (``fm_tags content/essays/x.md add -> [...]``),
or raises :class:`Skip` when it does not apply to the site as it is. Kinds are weighted
(how often the editor picks them); ``invalid`` breaks the site on purpose (a bad date, an
unknown book, a template that does not compile...) and the next step fixes it, so that
builds are checked on the way into an error and out of it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from logfs import FS
from sites import (
    BOOKS,
    CONFIG,
    ESSAYS,
    PAGES,
    TAGS,
    WORDS,
    View,
    base_site,
    dump_config,
    flow,
    png,
    q,
    set_front,
    split,
)

from passivepress.bundled import builtin_theme_dir
from passivepress.urls import slug_from_filename, slugify


class Skip(Exception):
    """An edit that does not apply to the site as it is."""


# An invalid edit's fix, made at the start of the next step: the file is written back as it
# was (text), or removed when the edit made it (None).
Fix = tuple[str, str, str | None]  # (description, path, text)


class Ctx:
    """What an edit kind works with: the random generator, the site, and the files an
    invalid edit broke (which other edits leave alone until it is fixed)."""

    def __init__(self, rng: random.Random, fs: FS, locked: set[str]) -> None:
        self.rng = rng
        self.fs = fs
        self.v = View(fs)
        self.locked = locked
        self.fixes: list[Fix] = []  # the invalid edits of this step
        self.focus: str | None = None  # the step's first essay, edited again sometimes

    def n(self) -> int:
        return self.rng.randint(0, 99999)

    def essay(self, published: bool = False, pred: Callable[[str], bool] | None = None) -> str:
        cands = [e for e in self.v.essays(published) if e not in self.locked]
        if pred:
            cands = [e for e in cands if pred(e)]
        if not cands:
            raise Skip
        if self.focus in cands and self.rng.random() < 0.4:
            return self.focus  # two edits of one file in one step
        chosen = self.rng.choice(cands)
        if self.focus is None:
            self.focus = chosen
        return chosen

    def book(self) -> str:
        cands = [b for b in self.v.books() if b not in self.locked]
        if not cands:
            raise Skip
        return self.rng.choice(cands)

    def book_slug(self) -> str:
        """A book to link, embed or name (any: they are not edited)."""
        slugs = self.v.book_slugs()
        if not slugs:
            raise Skip
        return self.rng.choice(slugs)

    def page(self) -> str:
        cands = [p for p in self.v.pages() if p not in self.locked]
        if not cands:
            raise Skip
        return self.rng.choice(cands)

    def front(self, rel: str, key: str, value: str | None) -> None:
        self.fs.write(rel, set_front(self.fs.read(rel), key, value))

    def set_body(self, rel: str, body: str) -> None:
        parts = split(self.fs.read(rel))
        assert parts is not None, rel
        self.fs.write(rel, "---\n" + parts[0] + "\n---\n" + body)

    def sentence(self, low: int = 5, high: int = 14) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high))]
        return " ".join(words).capitalize() + "."

    def paragraph(self, k: int | None = None) -> str:
        return " ".join(self.sentence() for _ in range(k or self.rng.randint(2, 5)))

    def config(self) -> dict:
        if CONFIG in self.locked:
            raise Skip
        config = self.v.config()
        if config is None:
            raise Skip
        return config

    def write_config(self, config: dict) -> None:
        self.fs.write(CONFIG, dump_config(config))

    def insert_para(self, rel: str, para: str) -> None:
        blocks = self.v.body(rel).rstrip("\n").split("\n\n")
        # Never after the last block, which is the corpus's footnote definition.
        i = self.rng.randint(0, max(0, len(blocks) - 1))
        blocks.insert(i, para)
        self.set_body(rel, "\n\n".join(blocks) + "\n")

    def new_slug(self, prefix: str, folder: str = ESSAYS) -> str:
        used = self.v.all_slugs(folder)
        while True:
            slug = f"{prefix}-{self.n()}"
            if slug not in used:
                return slug


EditKind = Callable[[Ctx], str]
EDITS: dict[str, tuple[float, EditKind]] = {}  # name → (weight, kind)


def edit(weight: float = 1.0) -> Callable[[EditKind], EditKind]:
    """Register an edit kind, picked with the given weight."""

    def register(fn: EditKind) -> EditKind:
        EDITS[fn.__name__] = (weight, fn)
        return fn

    return register


# Body edits ------------------------------------------------------------------------------


@edit(2)
def body_word(c: Ctx) -> str:
    rel = c.essay()
    body = c.v.body(rel)
    words = list(re.finditer(r"\b(mentor|career|writing|client|essay|practice|habit|team)\b", body))
    if not words:
        raise Skip
    m = c.rng.choice(words)
    body = body[: m.start()] + c.rng.choice(WORDS) + body[m.end() :]
    c.set_body(rel, body)
    return f"body_word {rel}"


@edit(1.5)
def body_append(c: Ctx) -> str:
    rel = c.essay()
    c.insert_para(rel, c.paragraph())
    return f"body_append {rel}"


@edit(1)
def body_big(c: Ctx) -> str:
    """About 250-600 words: the reading time moves by a minute or more."""
    rel = c.essay()
    c.insert_para(rel, "\n\n".join(c.paragraph(6) for _ in range(c.rng.randint(3, 6))))
    return f"body_big {rel}"


@edit(1)
def body_remove_para(c: Ctx) -> str:
    rel = c.essay()
    blocks = c.v.body(rel).rstrip("\n").split("\n\n")
    if len(blocks) < 4:
        raise Skip
    i = c.rng.randrange(0, len(blocks) - 2)
    if "[^1]" in blocks[i]:
        raise Skip
    del blocks[i]
    c.set_body(rel, "\n\n".join(blocks) + "\n")
    return f"body_remove_para {rel} #{i}"


@edit(0.7)
def body_first_para(c: Ctx) -> str:
    """The first paragraph: the summary of an essay that writes none."""
    rel = c.essay()
    blocks = c.v.body(rel).split("\n\n")
    blocks[0] = c.paragraph(2)
    c.set_body(rel, "\n\n".join(blocks))
    return f"body_first_para {rel}"


@edit(0.5)
def body_replace_all(c: Ctx) -> str:
    rel = c.essay()
    choice = c.rng.random()
    if choice < 0.3:
        body = ""
    elif choice < 0.6:
        body = c.sentence() + "\n"
    else:
        body = f"## {c.sentence(2, 4)[:-1]}\n\n{c.paragraph()}\n"
    c.set_body(rel, body)
    return f"body_replace_all {rel} ({len(body)} chars)"


@edit(1.5)
def heading_change(c: Ctx) -> str:
    rel = c.essay(pred=lambda r: bool(c.v.headings(r)))
    body = c.v.body(rel)
    hs = list(re.finditer(r"(?m)^## (.+)$", body))
    m = c.rng.choice(hs)
    new = c.rng.choice(
        [f"## {c.sentence(2, 4)[:-1]}", f"## {m.group(1)} again", "## Notes", "### " + m.group(1)]
    )
    c.set_body(rel, body[: m.start()] + new + body[m.end() :])
    return f"heading_change {rel}: {m.group(1)!r} -> {new!r}"


@edit(1)
def heading_add(c: Ctx) -> str:
    rel = c.essay()
    c.insert_para(
        rel,
        c.rng.choice(
            ["## Notes", f"## {c.sentence(2, 4)[:-1]}", "### A smaller heading", "## Notes"]
        ),
    )
    return f"heading_add {rel}"


@edit(2)
def link_essay_add(c: Ctx) -> str:
    rel = c.essay()
    other = c.essay()
    slug = c.v.slug_of(other)
    anchor = ""
    hs = c.v.headings(other)
    if hs and c.rng.random() < 0.4:
        anchor = "#" + slugify(c.rng.choice(hs))
    c.insert_para(rel, f"{c.sentence()} See [this essay](/essays/{slug}/{anchor}).")
    return f"link_essay_add {rel} -> {slug}{anchor}"


@edit(1.5)
def link_remove(c: Ctx) -> str:
    rel = c.essay(pred=lambda r: "](/" in c.v.body(r))
    body = c.v.body(rel)
    links = list(re.finditer(r"\[([^\]]*)\]\((/[^)]*)\)", body))
    m = c.rng.choice(links)
    c.set_body(rel, body[: m.start()] + m.group(1) + body[m.end() :])
    return f"link_remove {rel} {m.group(2)}"


@edit(1.5)
def link_book_add(c: Ctx) -> str:
    rel = c.essay()
    b = c.book_slug()
    c.insert_para(rel, f"{c.sentence()} Read [the book](/books/{b}/).")
    return f"link_book_add {rel} -> {b}"


@edit(1.5)
def book_role_add(c: Ctx) -> str:
    rel = c.essay()
    b = c.book_slug()
    c.insert_para(rel, f"{c.sentence()} See {{book}}`{b}`.")
    return f"book_role_add {rel} -> {b}"


@edit(1.2)
def book_embed_add(c: Ctx) -> str:
    rel = c.essay()
    b = c.book_slug()
    c.insert_para(rel, f"```{{book}} {b}\n```")
    return f"book_embed_add {rel} -> {b}"


@edit(1.2)
def book_refs_remove(c: Ctx) -> str:
    rel = c.essay(pred=lambda r: "{book}" in c.v.body(r))
    body = c.v.body(rel)
    body = re.sub(r"\{book\}`([^`]*)`", r"\1", body)
    body = re.sub(r"```\{book\}[^\n]*\n```\n?", "", body)
    c.set_body(rel, body)
    return f"book_refs_remove {rel}"


@edit(0.8)
def footnote_add(c: Ctx) -> str:
    rel = c.essay()
    n = c.n()
    body = c.v.body(rel).rstrip("\n") + f"\n\nA late note.[^n{n}]\n\n[^n{n}]: {c.sentence()}\n"
    c.set_body(rel, body)
    return f"footnote_add {rel}"


@edit(1)
def code_add(c: Ctx) -> str:
    rel = c.essay()
    lang = c.rng.choice(["python", "js", "text", "", "nosuchlang", "bash", "python"])
    code = c.rng.choice(
        ["def f(x):\n    return x + 1", "let a = 1;\nconsole.log(a)", "echo hi", "{{ site.title }}"]
    )
    c.insert_para(rel, f"```{lang}\n{code}\n```")
    return f"code_add {rel} ({lang})"


@edit(0.7)
def table_add(c: Ctx) -> str:
    rel = c.essay()
    rows = "\n".join(
        f"| {c.rng.choice(WORDS)} | {c.rng.choice(WORDS)} |" for _ in range(c.rng.randint(1, 4))
    )
    c.insert_para(rel, "| a | b |\n| --- | :-: |\n" + rows)
    return f"table_add {rel}"


@edit(1.2)
def cta_embed_add(c: Ctx) -> str:
    rel = c.essay()
    variants = c.v.variants()
    arg = c.rng.choice(["", *variants]) if variants else ""
    c.insert_para(rel, f"```{{cta}} {arg}".rstrip() + "\n```")
    return f"cta_embed_add {rel} ({arg or 'default'})"


@edit(0.7)
def cta_embed_remove(c: Ctx) -> str:
    rel = c.essay(pred=lambda r: "{cta}" in c.v.body(r))
    body = re.sub(r"```\{cta\}[^\n]*\n```\n?", "", c.v.body(rel))
    c.set_body(rel, body)
    return f"cta_embed_remove {rel}"


@edit(0.6)
def misc_markdown_add(c: Ctx) -> str:
    rel = c.essay()
    kind = c.rng.choice(
        [
            "raw",
            "jinja",
            "img",
            "img_missing",
            "affiliate",
            "task",
            "quote",
            "strike",
            "anchorlink",
            "ext",
        ]
    )
    text = {
        "raw": '<div class="note">Raw <em>HTML</em> here</div>',
        "jinja": "Text like {{ site.title }} and {% if x %}y{% endif %} stays.",
        "img": "![A picture](/images/pic.png)",
        "img_missing": "![Gone](/images/missing.png)",
        "affiliate": "Buy it [at the shop](https://shop.example/x) or [elsewhere](https://other.example/y).",
        "task": "- [ ] one\n- [x] two",
        "quote": "> \"Quoted\" -- with dashes... and 'single' quotes.",
        "strike": "Some ~~struck~~ text.",
        "anchorlink": "Jump [up](#notes).",
        "ext": "See <https://example.org/page>.",
    }[kind]
    c.insert_para(rel, text)
    return f"misc_markdown_add {rel} ({kind})"


# Essay front matter ------------------------------------------------------------------------


@edit(2)
def fm_title(c: Ctx) -> str:
    rel = c.essay()
    t = c.rng.choice(
        [
            f"A new title {c.n()}",
            f'Quotes "and" <b>tags</b> & {c.n()}',
            "yes",
            f"Ünïcödé — title {c.n()}",
            f"Essay {c.n()}: {c.sentence(2, 5)[:-1]}",
            str((c.v.meta(rel) or {}).get("title", "x")) + " ",  # the same after stripping?
        ]
    )
    c.front(rel, "title", q(str(t)))
    return f"fm_title {rel} = {t!r}"


@edit(1)
def fm_title_long(c: Ctx) -> str:
    """A title long enough to wrap differently on the social card."""
    rel = c.essay()
    t = " ".join(c.rng.choice(WORDS) for _ in range(c.rng.randint(10, 25))).capitalize()
    c.front(rel, "title", q(t))
    return f"fm_title_long {rel}"


@edit(1.2)
def fm_slug(c: Ctx) -> str:
    rel = c.essay()
    old = c.v.slug_of(rel)
    new = c.new_slug("moved")
    c.front(rel, "slug", new)
    if c.rng.random() < 0.5:
        m = c.v.meta(rel) or {}
        aliases = [str(a) for a in (m.get("aliases") or [])] + [f"/essays/{old}/"]
        c.front(rel, "aliases", flow(aliases))
        return f"fm_slug {rel}: {old} -> {new} (alias kept)"
    return f"fm_slug {rel}: {old} -> {new}"


@edit(0.5)
def fm_slug_remove(c: Ctx) -> str:
    rel = c.essay(pred=lambda r: "slug" in (c.v.meta(r) or {}))
    derived = slug_from_filename(Path(rel).stem)
    if derived in c.v.all_slugs(ESSAYS):
        raise Skip
    c.front(rel, "slug", None)
    return f"fm_slug_remove {rel} -> {derived}"


@edit(2)
def fm_tags(c: Ctx) -> str:
    rel = c.essay()
    m = c.v.meta(rel) or {}
    tags = [str(t) for t in (m.get("tags") or [])]
    how = c.rng.choice(["add", "remove", "case", "set", "empty", "new", "dup"])
    if how == "add":
        tags.append(c.rng.choice(TAGS))
    elif how == "remove" and tags:
        tags.remove(c.rng.choice(tags))
    elif how == "case" and tags:
        i = c.rng.randrange(len(tags))
        tags[i] = tags[i].title() if tags[i].islower() else tags[i].lower()
    elif how == "set":
        tags = c.rng.sample(TAGS[:4], c.rng.randint(1, 3))
    elif how == "empty":
        tags = []
    elif how == "new":
        tags.append(c.rng.choice(["Fresh", "fresh", "Brand New", "brand-new", "Ökonomie", "c++"]))
    elif how == "dup" and tags:
        tags.append(tags[0].upper())
    c.front(rel, "tags", flow(tags))
    return f"fm_tags {rel} {how} -> {tags}"


@edit(1.5)
def fm_books(c: Ctx) -> str:
    rel = c.essay()
    slugs = c.v.book_slugs()
    m = c.v.meta(rel) or {}
    books = [str(b) for b in (m.get("books") or [])]
    how = c.rng.choice(["add", "remove", "set", "empty", "reorder", "dup"])
    if how == "add" and slugs:
        books.append(c.rng.choice(slugs))
    elif how == "remove" and books:
        books.remove(c.rng.choice(books))
    elif how == "set" and slugs:
        books = c.rng.sample(slugs, c.rng.randint(1, min(3, len(slugs))))
    elif how == "empty":
        books = []
    elif how == "reorder":
        books.reverse()
    elif how == "dup" and books:
        books.append(books[0])
    c.front(rel, "books", flow(books))
    return f"fm_books {rel} {how} -> {books}"


def _dates(c: Ctx) -> dict[str, str]:
    out = {}
    for e in c.v.essays():
        m = c.v.meta(e) or {}
        out[e] = str(m.get("date", ""))
    return out


@edit(2.5)
def fm_date(c: Ctx) -> str:
    rel = c.essay()
    m = c.v.meta(rel) or {}
    cur = str(m.get("date", "2015-01-01"))
    y, mo, d = int(cur[:4]), int(cur[5:7]), int(cur[8:10])
    how = c.rng.choice(
        [
            "same_year",
            "other_year",
            "tie",
            "time",
            "offset",
            "nudge",
            "new_year_edge",
            "same_day_time",
        ]
    )
    if how == "same_year":
        new = f"{y:04d}-{c.rng.randint(1, 12):02d}-{c.rng.randint(1, 28):02d}"
    elif how == "other_year":
        top = 2024 if c.rng.random() < 0.9 else 2023
        year = c.rng.randint(2010, top)
        new = f"{year:04d}-{c.rng.randint(1, 5):02d}-{c.rng.randint(1, 28):02d}"
    elif how == "tie":
        others = [v for k, v in _dates(c).items() if k != rel and v]
        new = c.rng.choice(others) if others else cur
    elif how == "time":
        new = f"{cur[:10]} {c.rng.randint(0, 23):02d}:{c.rng.choice(['00', '30', '59'])}"
    elif how == "offset":
        hour = c.rng.randint(0, 23)
        new = f"{cur[:10]}T{hour:02d}:15:00{c.rng.choice(['+02:00', '-05:00', 'Z', '+14:00'])}"
    elif how == "nudge":
        new = f"{y:04d}-{mo:02d}-{max(1, min(28, d + c.rng.choice([-1, 1]))):02d}"
    elif how == "new_year_edge":
        new = c.rng.choice([f"{y:04d}-12-31 23:30", f"{y + 1:04d}-01-01 00:30", f"{y:04d}-01-01"])
    else:
        new = f"{cur[:10]} 0{c.rng.randint(0, 9)}:00"
    c.front(rel, "date", new)
    return f"fm_date {rel} {how}: {cur} -> {new}"


@edit(1)
def fm_future(c: Ctx) -> str:
    rel = c.essay()
    new = c.rng.choice(
        ["2024-06-01 13:00", "2024-06-02", "2024-07-15", "2025-01-01", "2024-06-01T11:30:00Z"]
    )
    c.front(rel, "date", new)
    return f"fm_future {rel} -> {new}"


@edit(1.3)
def fm_draft(c: Ctx) -> str:
    rel = c.essay()
    m = c.v.meta(rel) or {}
    if m.get("draft") is True:
        c.front(rel, "draft", c.rng.choice([None, "false"]))
        return f"fm_draft {rel} off"
    c.front(rel, "draft", "true")
    return f"fm_draft {rel} on"


@edit(1.2)
def fm_summary(c: Ctx) -> str:
    rel = c.essay()
    how = c.rng.choice(["set", "remove", "long", "markup"])
    if how == "remove":
        c.front(rel, "summary", None)
    elif how == "long":
        c.front(rel, "summary", q(" ".join(c.sentence() for _ in range(6))))
    elif how == "markup":
        c.front(rel, "summary", q("A *summary* with <em>markup</em> & ampersands"))
    else:
        c.front(rel, "summary", q(c.sentence()))
    return f"fm_summary {rel} {how}"


@edit(1)
def fm_updated(c: Ctx) -> str:
    rel = c.essay()
    how = c.rng.choice(["set", "remove", "before"])
    if how == "remove":
        c.front(rel, "updated", None)
    elif how == "before":
        c.front(rel, "updated", "2005-01-01")
    else:
        c.front(rel, "updated", f"2024-0{c.rng.randint(1, 5)}-{c.rng.randint(10, 28)}")
    return f"fm_updated {rel} {how}"


@edit(1.3)
def fm_cta(c: Ctx) -> str:
    rel = c.essay()
    variants = c.v.variants()
    opts = [
        "false",
        "true",
        None,
        "off",
        '{heading: "Talk to me", text: "Really."}',
        "{email: other@example.com}",
    ]
    opts += variants
    val = c.rng.choice(opts)
    c.front(rel, "cta", val)
    return f"fm_cta {rel} = {val}"


@edit(1)
def fm_image(c: Ctx) -> str:
    rel = c.essay()
    val = c.rng.choice(
        [
            None,
            "/images/pic.png",
            "/images/pic2.png",
            "https://cdn.example.com/x.jpg",
            "/images/missing.jpg",
        ]
    )
    c.front(rel, "image", val)
    return f"fm_image {rel} = {val}"


@edit(1)
def fm_aliases(c: Ctx) -> str:
    rel = c.essay()
    m = c.v.meta(rel) or {}
    aliases = [str(a) for a in (m.get("aliases") or [])]
    if aliases and c.rng.random() < 0.5:
        aliases.remove(c.rng.choice(aliases))
    else:
        aliases.append(f"/{c.rng.randint(2001, 2011)}/{c.n()}/old-title/")
    c.front(rel, "aliases", flow(aliases) if aliases or c.rng.random() < 0.5 else None)
    return f"fm_aliases {rel} -> {aliases}"


@edit(0.8)
def fm_misc(c: Ctx) -> str:
    rel = c.essay()
    key, val = c.rng.choice(
        [
            ("canonical", "https://medium.example/post"),
            ("canonical", "/essays/elsewhere/"),
            ("canonical", None),
            ("lang", "de"),
            ("lang", "en"),
            ("lang", None),
            ("mood", "calm"),
            ("mood", None),
            ("tittle", '"typo"'),
            ("tittle", None),
            ("extra_list", "[a, b]"),
        ]
    )
    c.front(rel, key, val)
    return f"fm_misc {rel} {key}={val}"


@edit(0.3)
def fm_reorder_keys(c: Ctx) -> str:
    """The same front matter in another order (lines move, nothing else)."""
    rel = c.essay()
    head, body = split(c.fs.read(rel))  # type: ignore[misc]
    lines = head.split("\n")
    if any(line.startswith((" ", "-")) for line in lines):
        raise Skip
    c.rng.shuffle(lines)
    c.fs.write(rel, "---\n" + "\n".join(lines) + "\n---\n" + body)
    return f"fm_reorder_keys {rel}"


# Whole essays --------------------------------------------------------------------------------


def _essay_text(c: Ctx, slug: str | None, date: str) -> str:
    tags = c.rng.sample(TAGS, c.rng.randint(0, 3))
    books = c.v.book_slugs()
    lines = [f"title: {q('Added ' + c.sentence(2, 4)[:-1])}", f"date: {date}"]
    if tags:
        lines.append(f"tags: {flow(tags)}")
    if books and c.rng.random() < 0.5:
        lines.append(f"books: {flow(c.rng.sample(books, 1))}")
    if slug:
        lines.append(f"slug: {slug}")
    if c.rng.random() < 0.3:
        lines.append(f"summary: {q(c.sentence())}")
    parts = [c.paragraph()]
    essays = c.v.essays()
    if essays and c.rng.random() < 0.5:
        parts.append(f"See [another](/essays/{c.v.slug_of(c.rng.choice(essays))}/).")
    if books and c.rng.random() < 0.4:
        parts.append(f"Also {{book}}`{c.rng.choice(books)}`.")
    if c.rng.random() < 0.3:
        parts.append(f"## {c.sentence(2, 3)[:-1]}\n\n{c.paragraph()}")
    return "---\n" + "\n".join(lines) + "\n---\n" + "\n\n".join(parts) + "\n"


@edit(2)
def essay_add(c: Ctx) -> str:
    how = c.rng.choice(["newest", "old", "tie", "noslug", "draft", "future"])
    if how == "newest":
        date = f"2024-0{c.rng.randint(1, 5)}-{c.rng.randint(10, 28)}"
    elif how == "tie":
        d = [v for v in _dates(c).values() if v]
        date = c.rng.choice(d) if d else "2015-05-05"
    elif how == "future":
        date = "2024-09-01"
    else:
        date = f"{c.rng.randint(2010, 2023)}-0{c.rng.randint(1, 9)}-1{c.rng.randint(0, 9)}"
    slug = c.new_slug("added")
    if how == "noslug":
        fname = f"{date[:10]}-{slug}.md"
        text = _essay_text(c, None, date)
    else:
        fname = f"{date[:10]}-{c.n()}.md" if c.rng.random() < 0.5 else f"{slug}-file.md"
        text = _essay_text(c, slug, date)
    if how == "draft":
        text = set_front(text, "draft", "true")
    rel = f"{ESSAYS}/{fname}"
    if c.fs.exists(rel):
        raise Skip
    c.fs.write(rel, text)
    return f"essay_add {rel} ({how})"


@edit(1.5)
def essay_delete(c: Ctx) -> str:
    if len(c.v.essays()) <= 2:
        raise Skip
    rel = c.essay()
    c.fs.delete(rel)
    return f"essay_delete {rel}"


@edit(1)
def essay_rename(c: Ctx) -> str:
    rel = c.essay()
    m = c.v.meta(rel) or {}
    new = f"{ESSAYS}/{str(m.get('date', '2015-01-01'))[:10]}-renamed-{c.n()}.md"
    if "slug" not in m and slug_from_filename(Path(new).stem) in c.v.all_slugs(ESSAYS):
        raise Skip
    c.fs.rename(rel, new)
    return f"essay_rename {rel} -> {new}"


@edit(0.7)
def essay_duplicate(c: Ctx) -> str:
    rel = c.essay()
    text = c.fs.read(rel)
    slug = c.new_slug("copy")
    text = set_front(text, "slug", slug)
    text = set_front(text, "aliases", None)
    new = f"{ESSAYS}/copy-{slug}.md"
    c.fs.write(new, text)
    return f"essay_duplicate {rel} -> {new}"


@edit(0.3)
def essay_in_subfolder(c: Ctx) -> str:
    rel = c.essay()
    new = f"{ESSAYS}/sub/{Path(rel).name}"
    m = c.v.meta(rel) or {}
    if "slug" not in m:
        raise Skip
    c.fs.rename(rel, new)
    return f"essay_in_subfolder {rel} -> {new}"


# Books --------------------------------------------------------------------------------------


@edit(2)
def book_field(c: Ctx) -> str:
    rel = c.book()
    key, val = c.rng.choice(
        [
            ("title", q(f"Retitled book {c.n()}")),
            ("title", q("A" + str(c.n()))),
            ("title", q("Zz last " + str(c.n()))),
            ("subtitle", q("A subtitle")),
            ("subtitle", None),
            ("authors", flow(["Someone Else", "Another"])),
            ("authors", None),
            ("author", q("Solo Author")),
            ("isbn", q("978-1-23-456789-0")),
            ("year", str(c.rng.randint(1990, 2024))),
            ("year", None),
            ("publisher", q("Press")),
            ("summary", q(c.sentence())),
            ("summary", None),
            ("own", "true"),
            ("own", "false"),
            ("featured", "true"),
            ("featured", "false"),
            ("tags", flow(["reading", c.rng.choice(TAGS)])),
            ("cover", "/covers/cover-a.png"),
            ("cover", "/covers/cover-b.png"),
            ("cover", None),
            ("cover_alt", q("A cover")),
            ("links", "[{label: Shop, url: 'https://shop.example/x', affiliate: true}]"),
            ("links", "[{label: Library, url: 'https://library.example/y'}]"),
            ("links", None),
            ("mood", "calm"),
            ("draft", "true"),
            ("draft", None),
        ]
    )
    c.front(rel, key, val)
    return f"book_field {rel} {key}={val}"


@edit(0.8)
def book_body(c: Ctx) -> str:
    rel = c.book()
    c.set_body(
        rel,
        c.paragraph()
        + ("\n\n## Review\n\n" + c.paragraph() if c.rng.random() < 0.3 else "")
        + "\n",
    )
    return f"book_body {rel}"


@edit(1)
def book_add(c: Ctx) -> str:
    slug = f"book-new-{c.n()}"
    lines = [f"title: {q('New book ' + c.sentence(1, 3)[:-1])}", f"authors: [Writer {c.n()}]"]
    if c.rng.random() < 0.5:
        lines.append("featured: true")
    if c.rng.random() < 0.3:
        lines.append("own: true")
    if c.rng.random() < 0.3:
        lines.append("cover: /covers/cover-a.png")
    c.fs.write(f"{BOOKS}/{slug}.md", "---\n" + "\n".join(lines) + "\n---\n" + c.paragraph() + "\n")
    return f"book_add {slug}"


def _remove_book_refs(c: Ctx, slug: str) -> list[str]:
    touched = []
    for rel in c.v.files(ESSAYS) + c.v.files(PAGES) + c.v.files(BOOKS):
        if rel in c.locked:
            continue
        text = c.fs.read(rel)
        new = re.sub(r"\{book\}`" + re.escape(slug) + "`", "the book", text)
        new = re.sub(r"```\{book\} " + re.escape(slug) + r"\n```\n?", "", new)
        m = c.v.meta(rel) or {}
        if slug in [str(b) for b in (m.get("books") or [])]:
            new = set_front(new, "books", flow([str(b) for b in m["books"] if str(b) != slug]))
        if new != text:
            c.fs.write(rel, new)
            touched.append(rel)
    return touched


@edit(1)
def book_delete(c: Ctx) -> str:
    rel = c.book()
    slug = c.v.slug_of(rel)
    touched = _remove_book_refs(c, slug)
    c.fs.delete(rel)
    return f"book_delete {rel} (refs removed from {len(touched)} files)"


@edit(0.5)
def book_slug_change(c: Ctx) -> str:
    """A book's slug and every reference to it, in one step."""
    rel = c.book()
    old = c.v.slug_of(rel)
    new = f"book-renamed-{c.n()}"
    for r in c.v.files(ESSAYS):
        if r in c.locked:
            continue
        text = c.fs.read(r)
        t2 = text.replace(f"{{book}}`{old}`", f"{{book}}`{new}`").replace(
            f"```{{book}} {old}\n", f"```{{book}} {new}\n"
        )
        m = c.v.meta(r) or {}
        if old in [str(b) for b in (m.get("books") or [])]:
            t2 = set_front(
                t2, "books", flow([new if str(b) == old else str(b) for b in m["books"]])
            )
        if t2 != text:
            c.fs.write(r, t2)
    c.front(rel, "slug", new)
    return f"book_slug_change {old} -> {new}"


# Pages ------------------------------------------------------------------------------------


@edit(1)
def page_add(c: Ctx) -> str:
    slug = c.rng.choice(["mentoring", "speaking", "now", "uses", "colophon", f"page-{c.n()}"])
    rel = f"{PAGES}/{slug}.md"
    if c.fs.exists(rel) or slug in c.v.all_slugs(PAGES):
        raise Skip
    lines = [f"title: {q(slug.title())}"]
    if c.rng.random() < 0.5:
        lines.append(f"menu: {c.rng.randint(1, 5)}")
    if c.rng.random() < 0.3:
        lines.append("cta: true")
    if c.rng.random() < 0.2:
        lines.append("template: contact.html")
    body = c.paragraph()
    if c.rng.random() < 0.3:
        essays = c.v.essays()
        if essays:
            body += f"\n\nRead [this](/essays/{c.v.slug_of(c.rng.choice(essays))}/)."
    c.fs.write(rel, "---\n" + "\n".join(lines) + "\n---\n" + body + "\n")
    return f"page_add {rel}"


@edit(1.2)
def page_edit(c: Ctx) -> str:
    rel = c.page()
    how = c.rng.choice(
        [
            "title",
            "body",
            "menu",
            "menu_off",
            "cta",
            "cta_off",
            "summary",
            "template",
            "draft",
            "heading",
        ]
    )
    if how == "title":
        c.front(rel, "title", q(f"Page {c.n()}"))
    elif how == "body":
        c.set_body(rel, c.paragraph() + "\n")
    elif how == "heading":
        c.set_body(rel, f"## {c.sentence(2, 3)[:-1]}\n\n" + c.v.body(rel))
    elif how == "menu":
        c.front(rel, "menu", str(c.rng.randint(0, 6)))
    elif how == "menu_off":
        c.front(rel, "menu", None)
    elif how == "cta":
        c.front(rel, "cta", c.rng.choice(["true", *c.v.variants()]))
    elif how == "cta_off":
        c.front(rel, "cta", "false")
    elif how == "summary":
        c.front(rel, "summary", q(c.sentence()))
    elif how == "template":
        c.front(rel, "template", c.rng.choice(["page.html", "contact.html", None]))
    elif how == "draft":
        m = c.v.meta(rel) or {}
        c.front(rel, "draft", None if m.get("draft") else "true")
    return f"page_edit {rel} {how}"


@edit(0.6)
def page_embed(c: Ctx) -> str:
    """A page (or a book's review) with a {book} role or card, a {cta} box or a link."""
    rel = c.page() if c.rng.random() < 0.6 else c.book()
    books = c.v.book_slugs()
    kind = c.rng.choice(["role", "card", "cta", "link_essay", "link_book"])
    if kind in ("role", "card", "link_book") and not books:
        raise Skip
    if kind == "role":
        text = f"Read {{book}}`{c.rng.choice(books)}`."
    elif kind == "card":
        text = f"```{{book}} {c.rng.choice(books)}\n```"
    elif kind == "cta":
        text = "```{cta}\n```"
    elif kind == "link_book":
        text = f"See [a book](/books/{c.rng.choice(books)}/)."
    else:
        essays = c.v.essays()
        if not essays:
            raise Skip
        text = f"See [an essay](/essays/{c.v.slug_of(c.rng.choice(essays))}/)."
    c.set_body(rel, c.v.body(rel).rstrip("\n") + "\n\n" + text + "\n")
    return f"page_embed {rel} ({kind})"


@edit(0.6)
def page_delete(c: Ctx) -> str:
    rel = c.page()
    c.fs.delete(rel)
    return f"page_delete {rel}"


# Static files --------------------------------------------------------------------------


@edit(1.2)
def static_edit(c: Ctx) -> str:
    how = c.rng.choice(
        ["css", "css_del", "img", "img_del", "cover", "cover_del", "txt", "theme_css", "favicon"]
    )
    if how == "css":
        c.fs.write("static/css/extra.css", f"body {{ margin: {c.rng.randint(0, 9)}px; }}\n")
    elif how == "css_del":
        if not c.fs.exists("static/css/extra.css"):
            raise Skip
        c.fs.delete("static/css/extra.css")
    elif how == "img":
        c.fs.write_bytes(
            c.rng.choice(["static/images/pic.png", "static/images/pic2.png"]),
            png(c.rng.randint(10, 40), 10, (c.rng.randint(0, 255), 0, 0)),
        )
    elif how == "img_del":
        rel = c.rng.choice(["static/images/pic.png", "static/images/pic2.png"])
        if not c.fs.exists(rel):
            raise Skip
        c.fs.delete(rel)
    elif how == "cover":
        rel = c.rng.choice(["static/covers/cover-a.png", "static/covers/cover-b.png"])
        c.fs.write_bytes(
            rel,
            png(
                c.rng.choice([60, 80, 120]),
                c.rng.choice([90, 120, 180]),
                (0, c.rng.randint(0, 255), 0),
            ),
        )
    elif how == "cover_del":
        rel = c.rng.choice(["static/covers/cover-a.png", "static/covers/cover-b.png"])
        if not c.fs.exists(rel):
            raise Skip
        c.fs.delete(rel)
    elif how == "txt":
        c.fs.write("static/files/notes.txt", c.sentence() + "\n")
    elif how == "theme_css":
        # the site's own copy of the theme's stylesheet (the cards take their colours from it)
        src = (builtin_theme_dir() / "static/css/style.css").read_text(encoding="utf-8")
        col = c.rng.choice(["#123456", "#aa3300", "#004400"])
        c.fs.write("static/css/style.css", re.sub(r"#[0-9a-fA-F]{6}", col, src, count=3))
    elif how == "favicon":
        c.fs.write(
            "static/favicon.svg",
            f'<svg xmlns="http://www.w3.org/2000/svg"><text>{c.n()}</text></svg>\n',
        )
    return f"static_edit {how}"


# Configuration ----------------------------------------------------------------------------


@edit(3)
def config_edit(c: Ctx) -> str:
    cfg = c.config()
    how = c.rng.choice(
        [
            "title",
            "description",
            "author_name",
            "author_bio",
            "author_url",
            "author_image",
            "contact_heading",
            "contact_text",
            "contact_email",
            "booking",
            "form",
            "subject",
            "variant_text",
            "variant_add",
            "tag_variant",
            "tag_variant_off",
            "menu_add",
            "menu_remove",
            "menu_reorder",
            "feeds_limit",
            "feeds_rss",
            "feeds_atom",
            "feeds_tags",
            "feeds_cta",
            "per_page",
            "home_essays",
            "typographer",
            "quotes",
            "raw_html",
            "highlight",
            "affiliate_value",
            "affiliate_rules_off",
            "disclosure",
            "date_format",
            "copyright",
            "cname",
            "extra",
            "language",
            "timezone",
            "base_url",
            "base_url_sub",
        ]
    )
    contact = cfg.setdefault("contact", {})
    if how == "title":
        cfg["title"] = c.rng.choice(
            ["Benchmark Mentor", "Another Mentor", f"Site {c.n()}", "Ada Mentor"]
        )
    elif how == "description":
        cfg["description"] = c.sentence()
    elif how == "author_name":
        cfg.setdefault("author", {})["name"] = c.rng.choice(
            ["Ada Mentor", "Bea Coach", "Benchmark Mentor"]
        )
    elif how == "author_bio":
        cfg.setdefault("author", {})["bio"] = c.sentence()
    elif how == "author_url":
        cfg.setdefault("author", {})["url"] = c.rng.choice(["https://example.com/about/", ""])
    elif how == "author_image":
        cfg.setdefault("author", {})["image"] = c.rng.choice(["/images/pic.png", ""])
    elif how == "contact_heading":
        contact["heading"] = c.rng.choice(["Work with me", "Get in touch", f"Hello {c.n()}"])
    elif how == "contact_text":
        contact["text"] = c.sentence()
    elif how == "contact_email":
        contact["email"] = c.rng.choice(["ada@example.com", "hi@example.com", ""])
    elif how == "booking":
        contact["booking_url"] = c.rng.choice(["https://cal.example.com/ada", ""])
    elif how == "form":
        contact["form_action"] = c.rng.choice(["https://forms.example/f/1", ""])
        contact["form_provider"] = (
            c.rng.choice(["", "netlify"]) if not contact["form_action"] else ""
        )
    elif how == "subject":
        contact["subject"] = c.rng.choice(["About: {title}", "Re {title}!", "Hello"])
    elif how == "variant_text":
        vs = contact.setdefault("variants", {})
        if not vs:
            raise Skip
        name = c.rng.choice(sorted(vs))
        vs[name] = dict(vs[name] or {})
        vs[name]["text"] = c.sentence()
    elif how == "variant_add":
        vs = contact.setdefault("variants", {})
        vs[f"v{c.rng.randint(0, 3)}"] = {"heading": f"Variant {c.n()}"}
    elif how == "tag_variant":
        vs = sorted((contact.get("variants") or {}).keys())
        if not vs:
            raise Skip
        contact.setdefault("tags", {})[c.rng.choice(TAGS)] = c.rng.choice(vs)
    elif how == "tag_variant_off":
        tags = contact.get("tags") or {}
        if not tags:
            raise Skip
        del tags[c.rng.choice(sorted(tags))]
    elif how == "menu_add":
        cfg.setdefault("menu", []).append(
            c.rng.choice(
                [
                    {"title": "Tags", "url": "/tags/"},
                    {"title": "About", "url": "/about/"},
                    {"title": "Elsewhere", "url": "https://elsewhere.example/"},
                ]
            )
        )
    elif how == "menu_remove":
        if not cfg.get("menu"):
            raise Skip
        cfg["menu"].pop(c.rng.randrange(len(cfg["menu"])))
    elif how == "menu_reorder":
        cfg["menu"] = list(reversed(cfg.get("menu") or []))
    elif how.startswith("feeds_"):
        feeds = cfg.setdefault("feeds", {})
        key = how[6:]
        if key == "limit":
            feeds["limit"] = c.rng.choice([0, 1, 3, 5, 20])
        else:
            feeds[key] = not feeds.get(key, True)
    elif how == "per_page":
        cfg.setdefault("pagination", {})["per_page"] = c.rng.choice([1, 2, 3, 5, 10])
    elif how == "home_essays":
        cfg.setdefault("home", {})["essays"] = c.rng.choice([0, 1, 3, 5, 8])
    elif how in ("typographer", "raw_html", "highlight"):
        md = cfg.setdefault("markdown", {})
        md[how] = not md.get(how, True)
    elif how == "quotes":
        cfg.setdefault("markdown", {})["quotes"] = c.rng.choice(["„“‚‘", "“”‘’", "«»‹›"])
    elif how == "affiliate_value":
        aff = cfg.setdefault("affiliate", {})
        aff["rules"] = [
            {"domain": "shop.example", "param": "tag", "value": f"ada-{c.rng.randint(10, 99)}"}
        ]
    elif how == "affiliate_rules_off":
        cfg.setdefault("affiliate", {})["rules"] = []
    elif how == "disclosure":
        cfg.setdefault("affiliate", {})["disclosure"] = c.sentence()
    elif how == "date_format":
        cfg["date_format"] = c.rng.choice(["%-d %B %Y", "%Y-%m-%d", "%B %Y", "%d.%m.%Y %H:%M"])
    elif how == "copyright":
        cfg["copyright"] = c.rng.choice(["", "© Ada", f"© {c.n()}"])
    elif how == "cname":
        cfg["cname"] = c.rng.choice([True, False, None])
    elif how == "extra":
        cfg["extra"] = {"note": c.sentence(), "n": c.rng.randint(0, 9)}
    elif how == "language":
        cfg["language"] = c.rng.choice(["en", "de", "en-GB"])
    elif how == "timezone":
        cfg["timezone"] = c.rng.choice(
            ["Europe/London", "UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"]
        )
    elif how == "base_url":
        cfg["base_url"] = c.rng.choice(["https://example.com/", "https://www.example.org/"])
    elif how == "base_url_sub":
        cfg["base_url"] = c.rng.choice(
            ["https://name.github.io/site/", "https://example.com/", "https://example.com/blog/"]
        )
    c.write_config(cfg)
    return f"config_edit {how}"


# Templates and themes ------------------------------------------------------------------------

# Overrides of the theme's templates, each a block of one template ("MARK" is made
# unique), reading what the model offers: each makes other pages depend on what it reads.
# "CTA", "EMBED", "LIST" and "CARD" are the theme's own partial, with a mark and more data.
OVERRIDES: dict[str, list[tuple[str, str]]] = {
    "essay.html": [
        ("title", "MARK"),
        (
            "after_content",
            "{{ super() }}<p>MARK {{ essay.words }} {{ essay.tags|length }} {{ "
            'essay.related|map(attribute="summary")|join("|") }}</p>',
        ),
        (
            "footer",
            "{{ super() }}MARK {{ essay.extra }} {{ essay.source }} {{ "
            'essay.aliases|join(",") }} {{ essay.toc|length }}',
        ),
        (
            "footer",
            "MARK {% for b in essay.books %}{{ b.title }}:{{ b.essays|length }};{% endfor %}",
        ),
        (
            "footer",
            "MARK {% if essay.related %}"
            '{{ essay.related[0].related|map(attribute="title")|join(",") }}'
            "{% endif %}",
        ),
    ],
    "base.html": [
        (
            "footer",
            "{{ super() }}MARK {{ site.essays|length }} {{ "
            'site.tags|map(attribute="count")|join(",") }}',
        ),
        (
            "footer",
            "MARK {% if site.essays %}{{ site.essays[0].title }} {{ "
            "site.essays[-1].date|date }}{% endif %}",
        ),
        (
            "footer",
            'MARK {{ site.pages|map(attribute="title")|join(",") }} {{ '
            'site.books|map(attribute="title")|join(",") }}',
        ),
        (
            "footer",
            "MARK {{ site.extra }} {% for e in site.essays %}{{ e.reading_time }}{% endfor %}",
        ),
    ],
    "tag.html": [
        ("title", "MARK {{ tag.count }}"),
        ("after_content", 'MARK {{ tag.essays|map(attribute="slug")|join(",") }}'),
    ],
    "tags.html": [
        (
            "after_content",
            "MARK {% for t in tags %}{{ t.name }}{{ t.essays[0].title }}{% endfor %}",
        ),
    ],
    "archive.html": [
        (
            "after_content",
            'MARK {{ paginator.urls|join(",") }} {% for e in essays %}{{ e.summary }}{% endfor %}',
        ),
    ],
    "book.html": [
        (
            "after_content",
            "MARK {% for e in book.essays %}{{ e.words }}{{ "
            'e.tags|map(attribute="name")|join }}{% endfor %}',
        ),
        ("title", "MARK {{ book.essays|length }}"),
    ],
    "books.html": [
        ("after_content", "MARK {% for b in books %}{{ b.essays|length }}{% endfor %}"),
    ],
    "home.html": [
        (
            "after_content",
            "{{ super() }}MARK {% for e in essays %}{{ e.related|length }}{% endfor %}",
        ),
    ],
    "page.html": [
        ("after_content", "{{ super() }}MARK {{ page.toc|length }} {{ page.extra }}"),
    ],
    "_cta.html": [
        ("", "CTA"),
    ],
    "_book_embed.html": [
        ("", "EMBED"),
    ],
    "_essay_list.html": [
        ("", "LIST"),
    ],
    "_book_card.html": [
        ("", "CARD"),
    ],
}


@edit(1.5)
def template_edit(c: Ctx) -> str:
    name = c.rng.choice(sorted(OVERRIDES))
    rel = f"templates/{name}"
    if rel in c.locked:
        raise Skip
    if c.fs.exists(rel) and c.rng.random() < 0.35:
        c.fs.delete(rel)
        return f"template_edit delete {rel}"
    mark = f"m{c.n()}"
    block, snippet = c.rng.choice(OVERRIDES[name])
    if not block:
        text = (builtin_theme_dir() / "templates" / name).read_text(encoding="utf-8")
        if snippet == "CTA":
            text = text.replace("cta__heading", f"cta__heading-{mark}")
            if c.rng.random() < 0.5:
                text = text.replace(
                    "{{ cta.heading }}", "{{ cta.heading }} {{ cta.variant }} {{ cta.source }}"
                )
        elif snippet == "EMBED":
            data = "{{ book.title }} {{ book.essays|length }} {{ book.summary }}"
            text += f"<p>{mark} {data}</p>\n"
        elif snippet == "LIST":
            text = text.replace("essay-item__title", f"essay-item__title {mark}")
            if c.rng.random() < 0.5:
                text = text.replace(
                    "{{ essay.title }}",
                    "{{ essay.title }} ({{ essay.words }}, {{ essay.tags|length }})",
                )
        elif snippet == "CARD":
            text = text.replace("book-card__title", f"book-card__title {mark}")
            if c.rng.random() < 0.5:
                text = text.replace(
                    "{{ book.title }}", "{{ book.title }} [{{ book.essays|length }}]", 1
                )
    else:
        override = f'{{% extends "!theme/{name}" %}}{{% block {block} %}}{snippet}{{% endblock %}}'
        text = override.replace("MARK", mark)
    c.fs.write(rel, text)
    return f"template_edit {rel}"


@edit(0.6)
def theme_edit(c: Ctx) -> str:
    cfg = c.config()
    how = c.rng.choice(["make", "switch", "edit", "static"])
    if how == "make" or (
        how in ("switch", "edit", "static") and not c.fs.exists("themes/alt/templates/essay.html")
    ):
        override = '{% extends "!default/essay.html" %}{% block title %}ALT {{ essay.title }}'
        c.fs.write("themes/alt/templates/essay.html", override + "{% endblock %}")
        c.fs.write("themes/alt/static/css/alt.css", "p { color: red }\n")
        return "theme_edit make"
    if how == "switch":
        cfg["theme"] = "alt" if cfg.get("theme", "default") == "default" else "default"
        c.write_config(cfg)
        return f"theme_edit switch -> {cfg['theme']}"
    if how == "edit":
        c.fs.write(
            "themes/alt/templates/essay.html",
            f'{{% extends "!default/essay.html" %}}{{% block title %}}ALT{c.n()}{{% endblock %}}',
        )
        return "theme_edit edit"
    c.fs.write("themes/alt/static/css/alt.css", f"p {{ color: #{c.n():06d} }}\n")
    return "theme_edit static"


# Touches -----------------------------------------------------------------------------------


@edit(1)
def touch(c: Ctx) -> str:
    cands = [
        r
        for r in c.v.files(ESSAYS) + c.v.files(BOOKS) + c.v.files(PAGES) + [CONFIG]
        if r not in c.locked
    ]
    rel = c.rng.choice(cands)
    if c.rng.random() < 0.5:
        c.fs.touch(rel)
        return f"touch {rel}"
    c.fs.replace_same(rel)
    return f"replace_same {rel}"


# Invalid edits (the next step fixes each) -----------------------------------------------------


def _break(c: Ctx, rel: str, text: str, what: str) -> str:
    """Write ``text`` into ``rel`` (which other edits then leave alone) and plan its fix."""
    old = c.fs.read(rel) if c.fs.exists(rel) else None
    c.fs.write(rel, text)
    c.locked.add(rel)
    c.fixes.append((f"fix {what} {rel}", rel, old))
    return f"INVALID {what} {rel}"


INVALID = [
    "static_collision",
    "bad_date",
    "no_title",
    "unknown_book",
    "unknown_book_role",
    "unknown_variant",
    "unknown_cta_embed",
    "yaml",
    "config_yaml",
    "config_bad_value",
    "template_syntax",
    "template_undefined",
    "slug_collision",
    "page_collision",
    "alias_collision",
    "bad_slug",
    "no_front_matter",
    "bad_tags_type",
    "book_no_title",
    "config_unknown_theme",
    "embed_template_error",
]

BAD_TEMPLATES = {  # kind → (template, text)
    "template_syntax": (
        "essay.html",
        '{% extends "!theme/essay.html" %}{% block title %}{% if %}{% endblock %}',
    ),
    "template_undefined": (
        "tag.html",
        '{% extends "!theme/tag.html" %}{% block title %}{{ no_such_var.x }}{% endblock %}',
    ),
    "embed_template_error": ("_book_embed.html", "{{ book.no_such_field.more }}"),
}


@edit(2)
def invalid(c: Ctx) -> str:
    how = c.rng.choice(INVALID)
    if how.startswith("config_"):
        if CONFIG in c.locked:
            raise Skip
        old = c.fs.read(CONFIG)
        if how == "config_yaml":
            new = old + "\nmenu: [unclosed\n"
        elif how == "config_bad_value":
            if "pagination" not in old:
                new = old + "\npagination: {per_page: -3}\n"
            else:
                new = old.replace("per_page:", "per_page: lots #", 1)
        elif "theme:" not in old:
            new = old + "\ntheme: no-such-theme\n"
        else:
            new = re.sub(r"(?m)^theme:.*$", "theme: no-such-theme", old)
        return _break(c, CONFIG, new, how)
    if how in BAD_TEMPLATES:
        name, text = BAD_TEMPLATES[how]
        rel = f"templates/{name}"
        if rel in c.locked:
            raise Skip
        return _break(c, rel, text, how)
    if how == "static_collision":
        rel = c.rng.choice(
            [
                "static/feed.xml",
                "static/essays/index.html",
                "static/404.html",
                "static/tags/index.html",
                "static/sitemap.xml",
            ]
        )
        if c.fs.exists(rel):
            raise Skip
        return _break(c, rel, "static\n", how)
    if how == "book_no_title":
        rel = c.book()
        return _break(c, rel, set_front(c.fs.read(rel), "title", None), how)
    if how == "page_collision":
        rel = f"{PAGES}/zz-collide.md"
        if c.fs.exists(rel):
            raise Skip
        target = c.rng.choice(["essays", "books", "tags", "index"])
        text = f"---\ntitle: Collide\nslug: {target}\n---\nBody.\n"
        return _break(c, rel, text, f"{how} ({target})")
    rel = c.essay()
    text = c.fs.read(rel)
    if how == "bad_date":
        new = set_front(text, "date", c.rng.choice(["2024-13-01", "yesterday", "''"]))
    elif how == "no_title":
        new = set_front(text, "title", None)
    elif how == "unknown_book":
        new = set_front(text, "books", flow(["no-such-book"]))
    elif how == "unknown_book_role":
        new = text.rstrip("\n") + "\n\nSee {book}`no-such-book`.\n"
    elif how == "unknown_variant":
        new = set_front(text, "cta", "no-such-variant")
    elif how == "unknown_cta_embed":
        new = text.rstrip("\n") + "\n\n```{cta} no-such-variant\n```\n"
    elif how == "yaml":
        new = set_front(text, "tags", "[unclosed, list")
    elif how == "slug_collision":
        others = [e for e in c.v.essays() if e != rel]
        if not others:
            raise Skip
        new = set_front(text, "slug", c.v.slug_of(c.rng.choice(others)))
    elif how == "alias_collision":
        others = [e for e in c.v.essays(published=True) if e != rel]
        if not others:
            raise Skip
        alias = f"/essays/{c.v.slug_of(c.rng.choice(others))}/"
        new = set_front(text, "aliases", flow([alias]))
    elif how == "bad_slug":
        new = set_front(text, "slug", q("Not A Slug!"))
    elif how == "no_front_matter":
        new = c.v.body(rel)
    elif how == "bad_tags_type":
        new = set_front(text, "tags", "{a: b}")
    else:
        raise AssertionError(how)
    return _break(c, rel, new, how)


@edit(1.5)
def undo_last(c: Ctx) -> str:
    """A file put back as it was before its last change (made by :meth:`Editor.undo`,
    which knows the history)."""
    raise Skip


# Edit kinds a "quick" seed favours: those that leave the quick way open (content files
# only), so that long runs of quick builds follow one another.
QUICKISH = {
    "body_word",
    "body_append",
    "body_big",
    "body_remove_para",
    "body_first_para",
    "fm_title",
    "fm_title_long",
    "fm_summary",
    "fm_updated",
    "fm_cta",
    "fm_misc",
    "book_field",
    "book_body",
    "page_edit",
    "code_add",
    "table_add",
    "footnote_add",
    "heading_change",
    "undo_last",
    "touch",
}


# --- the editor ----------------------------------------------------------------------------


class Editor:
    """Picks each step's edits: last step's fixes first, then weighted edit kinds; keeps
    the history undo needs and the files invalid edits broke."""

    def __init__(
        self,
        rng: random.Random,
        favour: Iterable[str] = (),
        without: Iterable[str] = (),
    ) -> None:
        self.rng = rng
        self.locked: set[str] = set()
        self.pending: list[Fix] = []
        self.history: dict[str, list[bytes | None]] = {}  # path → its contents before
        left_out = set(without)
        favoured = set(favour)
        self.names = [n for n in EDITS if n not in left_out]
        self.weights = [EDITS[n][0] * (6 if n in favoured else 1) for n in self.names]

    def count(self) -> int:
        """How many edits the next step makes: one or two mostly, none or three sometimes;
        none half the time when it fixes last step's invalid edit (the fix alone)."""
        r = self.rng.random()
        k = 0 if r < 0.05 else 1 if r < 0.55 else 2 if r < 0.85 else 3
        if self.pending and self.rng.random() < 0.5:
            k = 0
        return k

    def step(self, fs: FS, k: int, before: dict[str, bytes]) -> list[str]:
        """Make a step's edits through ``fs`` (``before``: the site's files as the step
        found them); returns their descriptions."""
        c = Ctx(self.rng, fs, self.locked)
        descs = []
        for what, rel, old in self.pending:
            if old is not None:
                fs.write(rel, old)
            elif fs.exists(rel):
                fs.delete(rel)
            self.locked.discard(rel)
            descs.append(what)
        self.pending = []
        tries = 0
        while k > 0 and tries < 30:
            tries += 1
            name = self.rng.choices(self.names, self.weights)[0]
            if name == "invalid" and (c.fixes or self.rng.random() < 0.5):
                continue  # one invalid edit a step at most, and half as many as weighed
            try:
                descs.append(self.undo(c) if name == "undo_last" else EDITS[name][1](c))
            except Skip:
                continue
            k -= 1
        if fs.touched and self.rng.random() < 0.1:
            # An edit and its undo in one step: a file reported changed that is as it was.
            back = sorted(t for t in fs.touched if t in before and t not in self.locked)
            if back:
                rel = self.rng.choice(back)
                fs.write_bytes(rel, before[rel])
                descs.append(f"revert_in_step {rel}")
        self.pending = c.fixes
        return descs

    def remember(
        self, before: dict[str, bytes], after: dict[str, bytes], touched: Iterable[str]
    ) -> None:
        """Note what each file changed (or touched) in a step was before it, for undo."""
        changed = {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}
        changed |= {t for t in touched if t in before or t in after}
        for rel in sorted(changed):
            self.history.setdefault(rel, []).append(before.get(rel))

    def undo(self, c: Ctx) -> str:
        cands = sorted(n for n, h in self.history.items() if h and n not in self.locked)
        if not cands:
            raise Skip
        rel = c.rng.choice(cands)
        old = self.history[rel][-1]
        if old is not None:
            c.fs.write_bytes(rel, old)
        elif c.fs.exists(rel):
            c.fs.delete(rel)
        else:
            raise Skip
        return f"undo_last {rel}"

    def back_to(self, fs: FS, now: dict[str, bytes], good: dict[str, bytes]) -> None:
        """Put the site back as ``good`` (the last site that built): a step made the site
        invalid in a way no invalid edit meant, so its fix will not come."""
        for rel in sorted(now.keys() | good.keys()):
            if now.get(rel) != good.get(rel):
                if rel in good:
                    fs.write_bytes(rel, good[rel])
                else:
                    fs.delete(rel)
        self.locked.clear()
        self.pending = []


# --- the site a seed starts from --------------------------------------------------------------


def new_site(fs: FS, rng: random.Random, essays: int, books: int, corpus_seed: int) -> None:
    """The corpus's site (see :func:`sites.base_site`) with a cover, old aliases, images,
    drafts, an essay of the future, and sometimes a template override and another page."""
    base_site(fs, rng, essays, books, corpus_seed)
    c = Ctx(rng, fs, set())
    if c.v.books():
        c.front(c.v.books()[0], "cover", "/covers/cover-a.png")
    for _ in range(rng.randint(0, 3)):
        c.front(c.essay(), "aliases", flow([f"/old/{c.n()}/"]))
    for _ in range(rng.randint(0, 2)):
        c.front(c.essay(), "image", "/images/pic.png")
    for _ in range(rng.randint(0, 2)):
        c.front(c.essay(), "draft", "true")
    if rng.random() < 0.4:
        c.front(c.essay(), "date", "2024-08-01")
    if rng.random() < 0.3:
        template_edit(c)
    if rng.random() < 0.3:
        page_add(c)
