"""A real browser on the live preview: Debian's headless Chromium, driven by Playwright.

An essay is open in a tab; its Markdown is saved on disk and the tab shows the new text
with no action in the browser; a broken save shows the error in the page, a fix clears it;
a CSS change restyles the page without reloading it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from passivepress.serve import LivePreview, ServeOptions

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's Chromium is not at /usr/bin/chromium (apt-get install chromium; "
    ".ci/run does this)",
)

SITE = {
    "passivepress.yml": "title: Browser Test\nbase_url: https://example.com/\ntimezone: UTC\n"
    "author:\n  name: Ada\ncontact:\n  email: ada@example.com\n",
    "content/books/a-book.md": "---\ntitle: A Book\nauthor: Ada\n---\nMine.\n",
    "static/css/extra.css": "main { border-top: 0px solid red }\n",
    "templates/base.html": '{% extends "!theme/base.html" %}\n'
    '{% block head %}{{ super() }}<link rel="stylesheet" href="{{ "/css/extra.css"|url }}">'
    "{% endblock %}\n",
}
ESSAY = "---\ntitle: Hello\ndate: 2024-03-01\n{books}---\n{body}\n"
TIMEOUT = 10_000  # ms; a reload normally takes a fraction of a second


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[LivePreview]:
    site = tmp_path / "site"
    for name, text in SITE.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    essay = site / "content" / "essays" / "2024-03-01-hello.md"
    essay.parent.mkdir(parents=True)
    essay.write_text(ESSAY.format(books="", body="The first version."))
    now = datetime(2024, 6, 1, tzinfo=UTC)
    with LivePreview(
        site, ServeOptions(port=0, now=now, jobs=1, watch_default_theme=False)
    ) as running:
        yield running


@pytest.fixture
def page(preview: LivePreview) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_an_open_tab_follows_every_save_by_itself(preview: LivePreview, page: Any) -> None:
    from playwright.sync_api import expect

    essay = preview.site_dir / "content" / "essays" / "2024-03-01-hello.md"
    page.goto(preview.url + "essays/hello/")
    main = page.locator("main")
    expect(main).to_contain_text("The first version.")
    page.wait_for_function("document.readyState === 'complete'")

    # A save: the tab reloads by itself and shows the new text.
    essay.write_text(ESSAY.format(books="", body="The second version."))
    expect(main).to_contain_text("The second version.", timeout=TIMEOUT)

    # A broken save: the error, with file and line, appears over the last good page.
    essay.write_text(ESSAY.format(books="books: [no-such-book]\n", body="Broken."))
    banner = page.locator("#passivepress-error")
    expect(banner).to_contain_text("content/essays/2024-03-01-hello.md:4", timeout=TIMEOUT)
    expect(banner).to_contain_text("unknown book 'no-such-book'")
    expect(main).to_contain_text("The second version.")

    # The fix clears it.
    essay.write_text(ESSAY.format(books="books: [a-book]\n", body="The third version."))
    expect(main).to_contain_text("The third version.", timeout=TIMEOUT)
    expect(banner).to_have_count(0)

    # A CSS change restyles the open page without reloading it.
    page.evaluate("window.__still_the_same_page = true")
    (preview.site_dir / "static" / "css" / "extra.css").write_text(
        "main { border-top: 7px solid red }\n"
    )
    page.wait_for_function(
        "getComputedStyle(document.querySelector('main')).borderTopWidth === '7px'",
        timeout=TIMEOUT,
    )
    assert page.evaluate("window.__still_the_same_page") is True
