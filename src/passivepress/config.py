"""The typed schema of ``passivepress.yml``.

Every field is declared once, with its default and what it means. Loading reports every
problem in one go, each with its key path and line, and warns about unknown keys with the
known key it most likely meant.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from passivepress.errors import ConfigError, ContentError, Problem
from passivepress.frontmatter import YamlDocument, decode, load_yaml

CONFIG_FILE = "passivepress.yml"


def doc(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field that carries its documentation (shown in the README reference)."""
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class Author:
    name: str = doc("Your name, as it appears on every page and in the feeds.", "")
    email: str = doc("Public email address (used in feeds).", "")
    url: str = doc("Your home page, usually the about page.", "")
    bio: str = doc("One or two sentences about you, shown on the home page.", "")
    image: str = doc("A portrait or avatar, such as /images/me.jpg.", "")


@dataclass(frozen=True)
class Contact:
    email: str = doc("Address the call-to-action writes to.", "")
    heading: str = doc("Heading of the call-to-action.", "Get in touch")
    text: str = doc("The invitation shown under the heading.", "")
    email_label: str = doc("Label of the mail button.", "Write to me")
    subject: str = doc("Mail subject; {title} becomes the page's title.", "About: {title}")
    booking_url: str = doc("Optional booking link (Calendly, Cal.com ...).", "")
    booking_label: str = doc("Label of the booking link.", "Book a call")
    form_action: str = doc("Optional form endpoint (Formspree, Netlify Forms ...).", "")
    form_provider: str = doc("'netlify' adds Netlify's form attributes; else empty.", "")
    form_label: str = doc("Label of the form's send button.", "Send message")
    contact_label: str = doc("Label of the link to the contact page.", "More ways to reach me")
    variants: dict[str, Any] = doc(
        "Named variants (mentoring, speaking ...), each a set of the fields above that "
        "differ from the default; an essay picks one with 'cta: <name>'.",
        factory=dict,
    )
    tags: dict[str, Any] = doc(
        "Variant by tag: essays with the tag use the variant unless they choose one.",
        factory=dict,
    )


@dataclass(frozen=True)
class MenuItem:
    title: str = doc("Text of the menu entry.", "")
    url: str = doc("Where it leads: a site path such as /essays/ or a full URL.", "")


@dataclass(frozen=True)
class Feeds:
    rss: bool = doc("Write /feed.xml (RSS 2.0).", True)
    atom: bool = doc("Write /atom.xml (Atom).", True)
    limit: int = doc("Newest essays in each feed; 0 for all.", 20)
    tags: bool = doc("Write a feed per tag at /tags/<tag>/feed.xml.", True)
    cta: bool = doc("End each essay in the feeds with the call-to-action.", True)


@dataclass(frozen=True)
class AffiliateRule:
    domain: str = doc("Shop domain, such as amazon.com (subdomains match too).", "")
    param: str = doc("Query parameter added to its links, such as tag.", "")
    value: str = doc("Its value: your associate id.", "")


@dataclass(frozen=True)
class Affiliate:
    disclosure: str = doc(
        "Shown once on every page that has an affiliate link.",
        "Some links on this page are affiliate links: if you buy through them, I may earn a "
        "small commission at no extra cost to you.",
    )
    rules: tuple[AffiliateRule, ...] = doc(
        "Shops whose links are always affiliate links (rel=sponsored, your id added).",
        factory=tuple,
    )


@dataclass(frozen=True)
class Pagination:
    per_page: int = doc("Essays per page of the archive and of each tag.", 10)


@dataclass(frozen=True)
class Home:
    essays: int = doc("Latest essays listed on the home page.", 5)


@dataclass(frozen=True)
class MarkdownConfig:
    typographer: bool = doc("Curly quotes, dashes and ellipses.", True)
    quotes: str = doc("The four quote characters the typographer uses.", "“”‘’")
    raw_html: bool = doc("Allow raw HTML in Markdown (you are trusted).", True)
    highlight: bool = doc("Highlight fenced code with Pygments.", True)


@dataclass(frozen=True)
class Config:
    title: str = doc("The site's name (required).", "")
    description: str = doc("One sentence about the site, for search engines and feeds.", "")
    base_url: str = doc(
        "Where the site is published, such as https://name.github.io/site/.",
        "http://localhost:8000/",
    )
    language: str = doc("Language of the content, such as en or en-GB.", "en")
    timezone: str = doc("IANA time zone of dates written without one.", "UTC")
    author: Author = doc("Who writes the site.", factory=Author)
    contact: Contact = doc(
        "The call-to-action at the end of essays and on the home page.", factory=Contact
    )
    theme: str = doc("Theme folder under themes/, or the built-in 'default'.", "default")
    menu: tuple[MenuItem, ...] = doc(
        "Navigation entries, before pages that set menu:.", factory=tuple
    )
    feeds: Feeds = doc("RSS and Atom feeds.", factory=Feeds)
    pagination: Pagination = doc("The essay archive and tag pages.", factory=Pagination)
    home: Home = doc("The home page.", factory=Home)
    markdown: MarkdownConfig = doc("How Markdown is rendered.", factory=MarkdownConfig)
    affiliate: Affiliate = doc("Affiliate links and their disclosure.", factory=Affiliate)
    date_format: str = doc("strftime format of dates shown on pages.", "%-d %B %Y")
    copyright: str = doc("Footer copyright line; empty for none.", "")
    output: str = doc("Output folder, relative to the site folder.", "_site")
    cname: bool | None = doc(
        "Write a CNAME file for GitHub Pages: true, false, or empty to decide from base_url "
        "(written unless the host is *.github.io, *.netlify.app, *.pages.dev or localhost).",
        None,
    )
    extra: dict[str, Any] = doc(
        "Anything else, available to templates as site.extra.", factory=dict
    )

    @property
    def base_path(self) -> str:
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


_INVALID = object()  # a value that failed its check: the field keeps its default


@dataclass
class Loaded:
    config: Config
    warnings: list[Problem]
    path: Path | None


def _convert(
    tp: Any,
    value: Any,
    raw: Any,
    key: str,
    line: int | None,
    source: Path | str,
    doc_: YamlDocument,
    path: tuple,
    problems: list[Problem],
    warnings: list[Problem],
) -> Any:
    if dataclasses.is_dataclass(tp) and not typing.get_args(tp):
        if not isinstance(value, dict):
            problems.append(Problem(f"'{key}' must be a mapping of settings", source, line))
            return _INVALID
        return _build(tp, value, raw, source, doc_, path, problems, warnings)
    origin = typing.get_origin(tp)
    if origin is tuple:
        item_tp = typing.get_args(tp)[0]
        if not isinstance(value, list):
            problems.append(Problem(f"'{key}' must be a list", source, line))
            return _INVALID
        items = [
            _convert(
                item_tp,
                v,
                raw[i],
                f"{key}[{i}]",
                doc_.line_of(*path, i),
                source,
                doc_,
                (*path, i),
                problems,
                warnings,
            )
            for i, v in enumerate(value)
        ]
        return tuple(item for item in items if item is not _INVALID)
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(Problem(f"'{key}' must be a mapping", source, line))
            return _INVALID
        return value
    if tp is str:
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            problems.append(Problem(f"'{key}' must be text", source, line))
            return _INVALID
        # The author's text as typed: 'title: yes' means the word, not True.
        return str(raw) if isinstance(raw, str) else str(value)
    args = typing.get_args(tp)
    if type(None) in args:  # an optional setting: empty means "decide for me"
        if value is None or value == "":
            return None
        (tp,) = (a for a in args if a is not type(None))
    if tp is bool:
        if not isinstance(value, bool):
            problems.append(Problem(f"'{key}' must be true or false, not {raw!r}", source, line))
            return _INVALID
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(Problem(f"'{key}' must be a whole number, not {raw!r}", source, line))
            return _INVALID
        return value
    raise TypeError(tp)  # pragma: no cover - the schema uses only the types above


def _build(
    cls: Any,
    data: dict,
    raw: dict,
    source: Path | str,
    doc_: YamlDocument,
    path: tuple,
    problems: list[Problem],
    warnings: list[Problem],
) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        dotted = ".".join(str(p) for p in (*path, key))
        line = doc_.line_of(*path, key)
        if key not in fields:
            guess = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.75)
            hint = (
                f"did you mean '{'.'.join(str(p) for p in (*path, guess[0]))}'?"
                if guess
                else (
                    "unknown settings are kept for templates as site.extra; put them under 'extra:'"
                    " to silence this"
                    if not path
                    else None
                )
            )
            warnings.append(Problem(f"unknown setting '{dotted}'", source, line, hint=hint))
            unknown[key] = value
            continue
        converted = _convert(
            hints[key],
            value,
            raw.get(key) if isinstance(raw, dict) else None,
            dotted,
            line,
            source,
            doc_,
            (*path, key),
            problems,
            warnings,
        )
        if converted is not _INVALID:
            kwargs[key] = converted
    if cls is Config and unknown:
        kwargs["extra"] = {**unknown, **kwargs.get("extra", {})}
    return cls(**kwargs)


def _validate(config: Config, source: Path | str, doc_: YamlDocument) -> list[Problem]:
    problems: list[Problem] = []

    def at(*path: str) -> int | None:
        return doc_.line_of(*path)

    if not config.title.strip():
        problems.append(
            Problem("'title' is required: the name of your site", source, at("title") or 1)
        )
    wrong = base_url_problem(config.base_url)
    if wrong:
        problems.append(Problem(f"'base_url' {wrong}", source, at("base_url")))
    try:
        zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(
            Problem(
                f"unknown time zone {config.timezone!r}",
                source,
                at("timezone"),
                hint="use an IANA name such as Europe/London, America/New_York or UTC",
            )
        )
    if config.pagination.per_page < 1:
        problems.append(
            Problem(
                "'pagination.per_page' must be at least 1", source, at("pagination", "per_page")
            )
        )
    if config.feeds.limit < 0:
        problems.append(
            Problem("'feeds.limit' must be 0 (all) or more", source, at("feeds", "limit"))
        )
    if config.home.essays < 0:
        problems.append(Problem("'home.essays' must be 0 or more", source, at("home", "essays")))
    if len(config.markdown.quotes) != 4:
        problems.append(
            Problem(
                "'markdown.quotes' must be four characters, such as “”‘’",
                source,
                at("markdown", "quotes"),
            )
        )
    if config.contact.form_provider not in ("", "netlify"):
        problems.append(
            Problem(
                "'contact.form_provider' must be 'netlify' or empty",
                source,
                at("contact", "form_provider"),
            )
        )
    contact_fields = {f.name for f in dataclasses.fields(Contact)} - {"variants", "tags"}
    for name, fields in config.contact.variants.items():
        if not isinstance(fields, dict):
            problems.append(
                Problem(
                    f"contact variant '{name}' must be a mapping of fields",
                    source,
                    at("contact", "variants", name),
                )
            )
            continue
        for key, value in fields.items():
            if key not in contact_fields:
                guess = difflib.get_close_matches(str(key), sorted(contact_fields), n=1)
                problems.append(
                    Problem(
                        f"unknown field '{key}' in contact variant '{name}'",
                        source,
                        at("contact", "variants", name, key),
                        hint=f"did you mean '{guess[0]}'?" if guess else None,
                    )
                )
            elif not isinstance(value, (str, type(None))):
                problems.append(
                    Problem(
                        f"'contact.variants.{name}.{key}' must be text",
                        source,
                        at("contact", "variants", name, key),
                    )
                )
    for tag, variant in config.contact.tags.items():
        if variant not in config.contact.variants:
            problems.append(
                Problem(
                    f"tag '{tag}' uses the unknown contact variant {variant!r}",
                    source,
                    at("contact", "tags", tag),
                    hint="define it under contact.variants",
                )
            )
    for i, rule in enumerate(config.affiliate.rules):
        if not rule.domain:
            problems.append(
                Problem(
                    f"affiliate rule {i + 1} needs a domain", source, at("affiliate", "rules", i)
                )
            )
    for i, item in enumerate(config.menu):
        if not item.title or not item.url:
            problems.append(
                Problem(f"menu entry {i + 1} needs a title and a url", source, at("menu", i))
            )
    return problems


def parse(text: str, source: Path | str = CONFIG_FILE) -> Loaded:
    """Read the configuration from YAML text; raises ConfigError listing every problem."""
    try:
        doc_ = load_yaml(text, source)
    except ContentError as exc:
        raise ConfigError(exc.problems) from None
    data = doc_.data if doc_.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(
            Problem("the configuration must be a mapping of 'key: value' lines", source, 1)
        )
    problems: list[Problem] = []
    warnings: list[Problem] = []
    config = _build(Config, data, doc_.raw or {}, source, doc_, (), problems, warnings)
    problems += _validate(config, source, doc_)
    if problems:
        raise ConfigError(problems)
    return Loaded(with_base_url(config, config.base_url), warnings, None)


def base_url_problem(url: str) -> str | None:
    """What is wrong with a base URL (from the file or ``--base-url``), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"must be a full URL such as https://example.com/, not {url!r}"
    if parts.query or parts.fragment:
        return "must not have a query or fragment"
    return None


def with_base_url(config: Config, url: str) -> Config:
    """The configuration published at ``url`` (always ending in /); ``url`` is valid."""
    return dataclasses.replace(config, base_url=url if url.endswith("/") else url + "/")


def load(site_dir: Path) -> Loaded:
    path = site_dir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(
            Problem(
                f"no {CONFIG_FILE} in {site_dir}",
                hint="run the command in your site's folder, "
                "pass the folder as an argument, or create a site with 'passivepress init'",
            )
        )
    source = path.relative_to(site_dir) if path.is_relative_to(site_dir) else path
    loaded = parse(decode(path.read_bytes(), source), source)
    loaded.path = path
    return loaded


def reference() -> str:
    """The configuration reference as Markdown, generated from the schema above (the README
    includes it, and a test keeps the two the same)."""
    lines = ["| setting | default | meaning |", "| --- | --- | --- |"]

    def shown(value: Any) -> str:
        if value is None:
            return "(decided for you)"
        if isinstance(value, bool):
            return f"`{str(value).lower()}`"
        if value == "":
            return "(empty)"
        return f"`{value}`"

    def walk(cls: Any, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            meaning = f.metadata["doc"].replace("|", "\\|")
            if dataclasses.is_dataclass(tp):
                lines.append(f"| `{prefix}{f.name}` | | {meaning} |")
                walk(tp, f"{prefix}{f.name}.")
                continue
            if typing.get_origin(tp) is tuple:
                lines.append(f"| `{prefix}{f.name}` | `[]` | {meaning} |")
                item = typing.get_args(tp)[0]
                if dataclasses.is_dataclass(item):
                    walk(item, f"{prefix}{f.name}[].")
                continue
            if f.default is dataclasses.MISSING:
                lines.append(f"| `{prefix}{f.name}` | `{{}}` | {meaning} |")
                continue
            lines.append(f"| `{prefix}{f.name}` | {shown(f.default)} | {meaning} |")

    walk(Config, "")
    return "\n".join(lines)
