"""The build pipeline, in the order it runs: config → theme → content → routes → render →
static → checks → commit. Everything a reader needs to follow a build is in :func:`build`.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from passivepress import config as config_module
from passivepress import loader, routes, theme
from passivepress.errors import ConfigError, Problem, StrictError
from passivepress.output import Stage, check_target
from passivepress.report import Reporter
from passivepress.urls import output_path


@dataclass(frozen=True)
class BuildOptions:
    output: Path | None = None
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    strict: bool = False
    preview: bool = False
    now: datetime | None = None


@dataclass
class BuildResult:
    output: Path
    pages: int = 0
    feeds: int = 0
    files: int = 0
    seconds: float = 0.0
    warnings: list[Problem] = field(default_factory=list)


def build_time(tz: object) -> datetime:
    """'Now' for deciding which essays are in the future. SOURCE_DATE_EPOCH pins it, as
    reproducible-build tooling expects."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).astimezone(tz)  # type: ignore[arg-type]
    return datetime.now(tz)  # type: ignore[arg-type]


class _Timer:
    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.reporter.step(name, time.perf_counter() - start)


def build(site_dir: Path, options: BuildOptions | None = None,
          reporter: Reporter | None = None) -> BuildResult:
    """Build the site in ``site_dir``; the previous output is replaced only on success."""
    options = options or BuildOptions()
    reporter = reporter or Reporter()
    step = _Timer(reporter)
    started = time.perf_counter()
    site_dir = site_dir.resolve()

    with step("config"):
        loaded = config_module.load(site_dir)
        config = loaded.config
        if options.base_url:
            try:
                config = config_module.parse(
                    f"title: x\nbase_url: {options.base_url!r}\n", "--base-url").config
                config = dataclasses.replace(loaded.config, base_url=config.base_url)
            except ConfigError as exc:
                raise ConfigError([dataclasses.replace(p, path="--base-url", line=None)
                                   for p in exc.problems if "base_url" in p.message]) from None
        out_dir = options.output or site_dir / config.output
        out_dir = (site_dir / out_dir) if not out_dir.is_absolute() else out_dir
        check_target(out_dir, site_dir)
        now = options.now or build_time(config.tz)

    with step("theme"):
        site_theme = theme.Theme(site_dir, config)
        env = site_theme.environment()

    with step("content"):
        content = loader.load(site_dir, config, now=now, drafts=options.drafts,
                              future=options.future, preview=options.preview)
        site = content.site

    with step("routes"):
        plan = routes.plan(site, content.menu)

    warnings = [*loaded.warnings, *content.warnings]
    result = BuildResult(output=out_dir)
    stage = Stage(out_dir)
    try:
        with step("render"):
            for i, route in enumerate(plan):
                if route.template is not None and route.context is not None:
                    text = theme.render(env, route.template, route.context(),
                                        route.origin, site_dir)
                    data = text.encode("utf-8")
                    result.pages += 1
                else:
                    assert route.produce is not None
                    data = route.produce()
                    result.feeds += route.kind == "feed"
                stage.write(route.file, data, route.origin)
                reporter.rendered(route.path)
                reporter.progress(i + 1, len(plan))

        with step("static"):
            warnings += stage.copy_static(site_theme.static_dirs, site_dir)

        with step("check"):
            warnings += check_links(site, stage.files)

        for warning in warnings:
            reporter.warning(warning)
        if options.strict and warnings:
            raise StrictError([dataclasses.replace(w, message=f"(strict) {w.message}")
                               for w in warnings])
        with step("write"):
            stage.commit()
    except BaseException:
        stage.discard()
        raise
    result.files = len(stage.files)
    result.warnings = warnings
    result.seconds = time.perf_counter() - started
    return result


def check_links(site: object, files: dict[str, str]) -> list[Problem]:
    """Internal links and images in content that lead to no file of the built site."""
    problems = []
    base_path = site.config.base_path  # type: ignore[attr-defined]
    items = [*site.essays, *site.books, *site.pages]  # type: ignore[attr-defined]
    for item in items:
        for link, line in item.body_links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            path = unquote(parts.path)
            if base_path != "/" and path.startswith(base_path):
                path = "/" + path[len(base_path):]
            target = output_path(path)
            if target in files or output_path(path + "/") in files:
                continue
            problems.append(Problem(f"broken link: nothing on the site at {link}",
                                    str(item.source), line,
                                    hint="check the spelling; essays live at /essays/<slug>/"))
    return problems
