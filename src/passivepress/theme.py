"""The Jinja environment: template lookup site → theme → built-in default, and filters.

An override can extend the template it replaces: ``{% extends "!theme/essay.html" %}``
looks one level down (the selected theme, then the default) and ``!default/`` goes straight
to the built-in theme.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    meta,
    select_autoescape,
)
from jinja2.loaders import split_template_path

from passivepress import digests
from passivepress.bundled import builtin_theme_dir
from passivepress.config import Config
from passivepress.errors import ConfigError, ContentError, Problem
from passivepress.model import Tracked
from passivepress.urls import absolute, under_base

_getattr = builtins.getattr


class TrackingEnvironment(Environment):
    """A Jinja environment that records every ``object.attribute`` a template reads from
    model objects, while :attr:`recording` is a set. This is how an output's dependencies
    are known exactly instead of guessed (a theme may show any essay on any page)."""

    recording: set[tuple[str, str]] | None = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        recording = self.recording
        if recording is not None and isinstance(obj, Tracked):
            recording.add((obj.key, attribute))
        # Environment.getattr's first try, without the call to it: a page reads some 170
        # attributes.
        try:
            return _getattr(obj, attribute)
        except AttributeError:
            return Environment.getattr(self, obj, attribute)  # an item, or undefined

    def getitem(self, obj: Any, argument: Any) -> Any:
        if self.recording is not None and isinstance(obj, Tracked) and isinstance(argument, str):
            self.recording.add((obj.key, argument))
        return super().getitem(obj, argument)


class _TextLoader(FileSystemLoader):
    """Templates from a folder, where one that is not UTF-8 text is an error naming the
    file and line (Jinja's own loader raises the decoder's error, which names neither)."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            pieces = split_template_path(template)
            for folder in self.searchpath:
                path = Path(folder, *pieces)
                if path.is_file():
                    line = path.read_bytes()[: exc.start].count(b"\n") + 1
                    raise jinja2.TemplateSyntaxError(
                        "the template is not valid UTF-8 text (save it as UTF-8)",
                        line,
                        template,
                        str(path),
                    ) from None
            raise


class _BelowLoader(BaseLoader):
    """``!theme/x.html``: the first level below the site that has ``x.html`` and is not
    itself the template asking for it. A theme's own ``essay.html`` that extends
    ``!theme/essay.html`` thus gets the built-in default's, not itself."""

    def __init__(self, levels: list[FileSystemLoader]) -> None:
        self.levels = levels

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        marker = re.compile(r"""extends\s+["']!theme/""" + re.escape(template) + r"""["']""")
        for level in self.levels:
            try:
                source = level.get_source(environment, template)
            except TemplateNotFound:
                continue
            if marker.search(source[0]) and level is not self.levels[-1]:
                continue  # this level extends the one below: go there
            return source
        raise TemplateNotFound(template)


class Theme:
    """Where templates and theme static files come from, for one site."""

    def __init__(self, site_dir: Path, config: Config) -> None:
        self.site_dir = site_dir
        self.config = config
        self.default_dir = builtin_theme_dir()
        selected = site_dir / "themes" / config.theme
        if selected.is_dir():
            self.theme_dir: Path | None = selected
        elif config.theme == "default":
            self.theme_dir = None
        else:
            raise ConfigError(
                Problem(
                    f"theme '{config.theme}' not found: no folder themes/{config.theme}/",
                    "passivepress.yml",
                    hint="use 'theme: default' or create the theme folder",
                )
            )

    @property
    def template_dirs(self) -> list[Path]:
        """Lookup order, most specific first; folders that do not exist are left out."""
        dirs = [self.site_dir / "templates"]
        if self.theme_dir is not None:
            dirs.append(self.theme_dir / "templates")
        dirs.append(self.default_dir / "templates")
        return [d for d in dirs if d.is_dir()]

    @property
    def card_font(self) -> Path | None:
        """The font of social cards: the theme's fonts/card.ttf, else the default's."""
        candidates = [self.default_dir / "fonts" / "DejaVuSans.ttf"]
        if self.theme_dir is not None:
            candidates.insert(0, self.theme_dir / "fonts" / "card.ttf")
        return next((p for p in candidates if p.is_file()), None)

    @property
    def stylesheet(self) -> str:
        """The theme's main stylesheet, whose colours the social cards use."""
        for folder in reversed(self.static_dirs):
            path = folder / "css" / "style.css"
            if path.is_file():
                return path.read_text(encoding="utf-8", errors="replace")
        return ""

    @property
    def static_dirs(self) -> list[Path]:
        """Static folders, lowest priority first (later ones win on the same path)."""
        dirs = [self.default_dir / "static"]
        if self.theme_dir is not None:
            dirs.append(self.theme_dir / "static")
        dirs.append(self.site_dir / "static")
        return [d for d in dirs if d.is_dir()]

    def environment(self, bytecode_dir: Path | None = None) -> TrackingEnvironment:
        """The Jinja environment; ``bytecode_dir`` keeps compiled templates between runs
        (compiling the theme is most of a small site's build)."""
        site_templates = self.site_dir / "templates"
        levels = [_TextLoader(d) for d in self.template_dirs]
        below_site = [_TextLoader(d) for d in self.template_dirs if d != site_templates]
        loader = ChoiceLoader(
            [
                PrefixLoader(
                    {
                        "!theme": _BelowLoader(below_site),
                        "!default": _TextLoader(self.default_dir / "templates"),
                    },
                    delimiter="/",
                ),
                *levels,
            ]
        )
        env = TrackingEnvironment(
            loader=loader,
            autoescape=select_autoescape(["html", "htm", "xml", "j2"], default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=-1,
            bytecode_cache=FileSystemBytecodeCache(str(bytecode_dir)) if bytecode_dir else None,
        )
        config = self.config
        # Not str(path): a Based URL (already under the base path) must keep its type.
        env.filters["url"] = lambda path: under_base(_text(path), config.base_path)
        env.filters["absolute_url"] = lambda path: absolute(_text(path), config.base_url)
        env.filters["date"] = lambda value, fmt=None: format_date(value, fmt or config.date_format)
        env.filters["isodate"] = lambda value: value.isoformat() if value else ""
        return env


def template_digests(env: Environment, names: Iterable[str], everything: str) -> dict[str, str]:
    """For each template in ``names``, a digest of the source of every template rendering
    it may load: itself, what it extends, includes and imports, and what those do, as the
    site, theme and default levels resolve them now (a template added at the site level
    shadows the theme's). A page is made again when its template's digest changed.

    A template that names another through a variable may load any: its digest is
    ``everything`` (that of all template files)."""
    sources: dict[str, str | None] = {}  # None: no such template
    loads: dict[str, tuple[str, ...] | None] = {}  # None: names chosen while rendering

    def read(name: str) -> None:
        assert env.loader is not None
        try:
            source = env.loader.get_source(env, name)[0]
        except TemplateNotFound:
            sources[name], loads[name] = None, ()
            return
        except Exception:  # unreadable (not UTF-8, say): rendering says where and why
            sources[name], loads[name] = None, None
            return
        sources[name] = source
        try:
            found = tuple(meta.find_referenced_templates(env.parse(source)))
        except jinja2.TemplateSyntaxError:  # rendering says where
            found = (None,)
        # A name chosen while rendering shows as None; so, here, does a syntax error.
        loads[name] = None if None in found else found  # type: ignore[assignment]

    by_top = {}
    for top in names:
        seen: set[str] = set()
        todo, dynamic = [top], False
        while todo and not dynamic:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name not in sources:
                read(name)
            more = loads[name]
            if more is None:
                dynamic = True
            else:
                todo.extend(more)
        if dynamic:
            by_top[top] = everything
            continue
        h = digests.new()
        for name in sorted(seen):
            source = sources[name]
            h.update(f"{name}\0{len(source) if source is not None else -1}\0".encode())
            h.update((source or "").encode("utf-8", "surrogatepass"))
        by_top[top] = h.hexdigest()
    return by_top


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


@lru_cache(maxsize=16384)  # an essay's date shows on its page, in lists, in related essays
def format_date(value: datetime, fmt: str) -> str:
    # '%-d' (day without padding) is a glibc extension; do it ourselves so themes work
    # the same on every platform.
    fmt = fmt.replace("%-d", str(value.day)).replace("%-m", str(value.month))
    return value.strftime(fmt)


def template_problem(exc: Exception, what: str, site_dir: Path) -> Problem:
    """A located message for a template that failed to load or render."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        filename = exc.filename or exc.name or "template"
        return Problem(
            f"template syntax error: {exc.message}", _rel(filename, site_dir), exc.lineno
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(
            f"template not found: {exc.name} (while rendering {what})",
            hint="put it in templates/ or in your theme's templates/",
        )
    frame = _template_frame(exc)
    message = f"while rendering {what}: {type(exc).__name__ if not str(exc) else exc}"
    if isinstance(exc, jinja2.UndefinedError):
        message = f"while rendering {what}: {exc.message}"
    if frame:
        return Problem(message, _rel(frame[0], site_dir), frame[1])
    return Problem(message)


def _template_frame(exc: Exception) -> tuple[str, int] | None:
    """The innermost template file and line in a traceback (Jinja rewrites them so)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".j2", ".txt")):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _rel(filename: str, site_dir: Path) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def render(
    env: TrackingEnvironment,
    template: str,
    context: dict[str, Any],
    what: str,
    site_dir: Path,
    record: bool = True,
) -> tuple[str, set[tuple[str, str]]]:
    """Render a template; returns the text and the model attributes it read (none looked
    for unless ``record``)."""
    read: set[tuple[str, str]] = set()
    env.recording = read if record else None
    try:
        return env.get_template(template).render(context), read
    except Exception as exc:  # any failure inside a template is the site's to fix
        raise ContentError(template_problem(exc, what, site_dir)) from exc
    finally:
        env.recording = None
