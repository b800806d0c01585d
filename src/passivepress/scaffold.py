"""Starting a site (``passivepress init``) and a new piece of content (``passivepress new``).

The files of a new site live in ``starter/`` beside this module, written as they will look
in the author's folder apart from a few ``@name@`` placeholders, so they can be read and
edited as the files they become. Neither command ever overwrites a file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from passivepress.clock import build_time
from passivepress.errors import PassivepressError, Problem
from passivepress.urls import slug_from_filename, slugify

log = logging.getLogger(__name__)

HOSTS = ("github", "netlify", "cloudflare")
KINDS = ("essay", "book", "page")

# What a folder may hold and still count as empty: a fresh `git init`, desktop litter.
_HARMLESS = {".git", ".DS_Store", "Thumbs.db", "desktop.ini"}
# Pages may not take the URLs of the site's own sections.
_RESERVED_PAGE_SLUGS = {"essays", "books", "tags", "index"}
_PLACEHOLDER = re.compile(r"@([a-z_]+)@")
SAMPLE_ESSAY = "why-i-write-in-public"


class UsageError(PassivepressError):
    """The command was asked for something it cannot do as asked: exit code 2."""

    exit_code = 2


class ExistsError(PassivepressError):
    """The file to be written exists already; it is left alone: exit code 1."""


@dataclass(frozen=True)
class _File:
    starter: str  # path below starter/
    target: str  # path in the new site; may hold placeholders
    executable: bool = False


_COMMON = (
    _File("passivepress.yml", "passivepress.yml"),
    _File("README.md", "README.md"),
    # Dot files are stored without their dot: packaging tools tend to skip hidden files.
    _File("gitignore", ".gitignore"),
    _File(f"content/essays/{SAMPLE_ESSAY}.md", f"content/essays/@date@-{SAMPLE_ESSAY}.md"),
    _File(
        "content/books/a-field-guide-to-first-jobs.md",
        "content/books/a-field-guide-to-first-jobs.md",
    ),
    _File("content/pages/about.md", "content/pages/about.md"),
    _File("content/pages/contact.md", "content/pages/contact.md"),
    _File("static/favicon.svg", "static/favicon.svg"),
    _File("static/images/author.svg", "static/images/author.svg"),
)

# GitHub Pages is deployed by a workflow. Netlify and Cloudflare Pages build on every push
# by themselves; they get a workflow only to build again daily (for future-dated essays),
# not the Pages deploy, which would fail on every push of a site not hosted there.
_HOST_FILES = {
    "github": (_File("github/workflows/deploy.yml", ".github/workflows/deploy.yml"),),
    "netlify": (
        _File("hosts/netlify.toml", "netlify.toml"),
        _File("hosts/rebuild.yml", ".github/workflows/rebuild.yml"),
    ),
    "cloudflare": (
        _File("hosts/wrangler.toml", "wrangler.toml"),
        _File("hosts/build.sh", "build.sh", executable=True),
        _File("hosts/python-version", ".python-version"),
        _File("hosts/rebuild.yml", ".github/workflows/rebuild.yml"),
    ),
}

_HOST_VALUES = {
    "github": {
        "host_name": "GitHub Pages",
        "hook_where": "",
        "publishing": "Push this folder to a repository on GitHub. Once, in the repository: "
        "Settings → Pages →\nSource: GitHub Actions. From then on "
        "`.github/workflows/deploy.yml` builds and publishes\nthe site on every push to "
        "main, and every morning for essays dated in the future.",
    },
    "netlify": {
        "host_name": "Netlify",
        "hook_where": "Site configuration → Build & deploy → Continuous deployment → Build hooks",
        "publishing": "Push this folder to a repository and import it on Netlify; "
        "`netlify.toml` tells Netlify\nhow to build. `.github/workflows/rebuild.yml` "
        "builds again every morning for essays\ndated in the future (see the comment in it).",
    },
    "cloudflare": {
        "host_name": "Cloudflare Pages",
        "hook_where": "your Pages project → Settings → Builds → Deploy hooks",
        "publishing": "Push this folder to a repository and connect it in Cloudflare Pages "
        "with the build\ncommand `sh build.sh` and the output directory `_site` (see "
        "`wrangler.toml`).\n`.github/workflows/rebuild.yml` builds again every morning for "
        "essays dated in the\nfuture (see the comment in it).",
    },
}


# -- init -------------------------------------------------------------------------------


def init(
    target: Path, *, force: bool = False, host: str | None = None, now: datetime | None = None
) -> list[Path]:
    """Create a complete, working site in ``target``; return the files written.

    A folder that holds anything but a ``.git`` folder is refused unless ``force``; even
    then an existing file is never overwritten (each one skipped is logged).
    """
    host = host or "github"
    if host not in HOSTS:
        raise UsageError(f"unknown host {host!r}; choose one of {', '.join(HOSTS)}")
    if target.exists() and not target.is_dir():
        raise UsageError(Problem(f"{target} is a file, not a folder"))
    if target.is_dir() and not force:
        present = sorted(p.name for p in target.iterdir() if p.name not in _HARMLESS)
        if present:
            shown = ", ".join(present[:4]) + (" ..." if len(present) > 4 else "")
            raise UsageError(
                Problem(
                    f"{target} is not empty (it holds {shown})",
                    hint="choose a new folder, or add --force to write only the files that "
                    "are missing (no existing file is ever overwritten)",
                )
            )

    timezone = local_timezone()
    tz = zoneinfo.ZoneInfo(timezone)
    # The build's idea of "now" (SOURCE_DATE_EPOCH pins it), so the sample essay is never
    # in the future for the first build.
    today = (now or build_time(tz)).astimezone(tz)
    values = {
        "date": today.strftime("%Y-%m-%d"),
        "year": str(today.year),
        "timezone": timezone,
        "project": slugify(target.resolve().name)[:58].strip("-") or "my-site",
        **_HOST_VALUES[host],
    }

    created: list[Path] = []
    for file in (*_COMMON, *_HOST_FILES[host]):
        path = target / _fill(file.target, values)
        if path.exists() or path.is_symlink() or _sample_essay_exists(path):
            log.info("  kept %s: it exists already", path)
            continue
        text = _fill(_starter(file.starter), values)
        _write_new(path, text)
        if file.executable:
            path.chmod(0o755)
        created.append(path)
    return created


def local_timezone() -> str:
    """This computer's IANA time zone, so dates in the new site mean local time; else UTC."""
    candidates = [os.environ.get("TZ", "")]
    with contextlib.suppress(OSError):
        candidates.append(os.readlink("/etc/localtime"))
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8"))
    for candidate in candidates:
        name = candidate.strip().lstrip(":").split("zoneinfo/")[-1]
        if not name or not (name == "UTC" or "/" in name) or name.startswith("/"):
            continue
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return "UTC"


def _starter(name: str) -> str:
    from importlib import resources  # here: every command's parser imports this module

    return (resources.files("passivepress") / "starter" / name).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _sample_essay_exists(path: Path) -> bool:
    """With --force on a second run, another day's copy of the sample essay would take the
    same URL as the first one."""
    folder = path.parent
    if folder.name != "essays" or not path.name.endswith(f"-{SAMPLE_ESSAY}.md"):
        return False
    return folder.is_dir() and any(
        slug_from_filename(p.stem) == SAMPLE_ESSAY for p in folder.glob("*.md")
    )


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet ('x' mode: even a race never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as f:
        f.write(text)


# -- new --------------------------------------------------------------------------------


def new(site_dir: Path, kind: str, title: str, now: datetime | None = None) -> Path:
    """Write a new essay (a draft), book or page titled ``title``; return its path."""
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    # One line: front matter titles are single-line text.
    title = " ".join(title.split())
    if not title:
        raise UsageError("the title is empty")
    slug = slugify(title)
    if not slug:
        raise UsageError(
            Problem(
                f"cannot make a URL from the title {title!r}",
                hint="use a title with at least one letter or digit",
            )
        )
    # Imported here, not at the top: the CLI's parser reads HOSTS and KINDS, and a build
    # with nothing to do should not load the configuration's YAML machinery for them.
    from passivepress import config as config_module

    config = config_module.load(site_dir).config
    when = (now or build_time(config.tz)).astimezone(config.tz)
    content = site_dir / "content"

    if kind == "essay":
        folder = content / "essays"
        path = folder / f"{when:%Y-%m-%d}-{slug}.md"
        if folder.is_dir() and not path.exists():
            for other in sorted(folder.glob("*.md")):
                if slug_from_filename(other.stem) == slug:
                    raise ExistsError(
                        Problem(
                            f"an essay with the address /essays/{slug}/ exists already",
                            str(other),
                            hint="choose another title, or edit that essay",
                        )
                    )
        text = _essay(title, when)
    elif kind == "book":
        path = content / "books" / f"{slug}.md"
        text = _book(title)
    else:
        if slug in _RESERVED_PAGE_SLUGS:
            raise UsageError(
                Problem(
                    f"a page cannot be called {title!r}: /{slug}/ is a section of the site",
                    hint="choose another title",
                )
            )
        path = content / "pages" / f"{slug}.md"
        text = _page(title)
    try:
        _write_new(path, text)
    except FileExistsError:
        raise ExistsError(
            Problem(
                "this file exists already; it was left as it is",
                str(path),
                hint="choose another title, or edit the existing file",
            )
        ) from None
    return path


def _field(key: str, value: Any, comment: str = "") -> str:
    """One front matter line, the value written by PyYAML so any title is quoted safely."""
    if value is None:
        line = f"{key}:"
    else:
        import yaml

        line = yaml.safe_dump(
            {key: value}, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10**6
        ).strip()
        line = line.removeprefix("{").removesuffix("}")
    return f"{line:<20} # {comment}" if comment else line


def _document(lines: list[str], body: str) -> str:
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


def _essay(title: str, when: datetime) -> str:
    return _document(
        [
            _field("title", title),
            f"date: {when:%Y-%m-%d %H:%M}",  # digits only: needs no quoting
            _field("summary", "", "one or two sentences for lists, search results and shares"),
            _field("tags", [], "such as [mentoring, careers]"),
            _field("draft", True, "remove this line to publish the essay"),
        ],
        "Start with the problem your reader has, in their words. Write for one person.\n",
    )


def _book(title: str) -> str:
    return _document(
        [
            _field("title", title),
            _field("authors", [], "such as [Ada Lovelace]"),
            _field("year", None, "such as 2023"),
            _field("publisher", ""),
            _field("isbn", ""),
            _field("cover", "", "an image in static/, such as /covers/my-book.jpg"),
            _field("own", False, "true for a book you wrote"),
            _field("tags", []),
            _field("summary", "", "one or two sentences about the book"),
            "links:               # where to get it; affiliate: true marks a commission link\n"
            '  # - {label: Bookshop, url: "https://example.com/book", affiliate: true}',
        ],
        "What the book is about, and why you recommend it.\n",
    )


def _page(title: str) -> str:
    return _document(
        [
            _field("title", title),
            _field("summary", "", "one sentence for search results and shares"),
            _field("menu", None, "a number puts the page in the navigation, such as 3"),
        ],
        "Write the page here.\n",
    )
