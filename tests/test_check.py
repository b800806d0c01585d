"""``passivepress check``: a small site with one of each problem, written inline, is built
into a temporary folder and every problem is reported on its page, in text and in JSON.
Links to other hosts are tried against a local HTTP server (there is no internet here)."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import NOW, in_fresh_process
from passivepress.check import check

# No description in the config, so a page without a summary has no meta description.
PROBLEMS = """
-- passivepress.yml --
title: Check Site
base_url: https://example.com/
timezone: UTC
author:
  name: Ada Author
contact:
  email: ada@example.com
affiliate:
  disclosure: ""
-- static/images/pic.svg --
<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>
-- content/essays/2024-03-01-careless.md --
---
title: Careless
date: 2024-03-01
---
A [link to nowhere](/nope/) and an [anchor to nowhere](#missing).

A [good link](/essays/careful/#the-point) and a [bad anchor](/essays/careful/#nowhere).

![](/images/pic.svg)

![A picture that is not there](/images/missing.png)

Buy <a href="https://shop.example/book" rel="sponsored">the book</a> here.
-- content/essays/2024-04-01-careful.md --
---
title: Careful
date: 2024-04-01
summary: Everything a reader and a search engine need.
tags: [mentoring]
cta: false
---
## The point

Back to [the careless one](/essays/careless/).
-- content/pages/plain.md --
---
title: Plain
---
- only a list, so there is no first paragraph to describe the page
"""


def findings_by_page(report_json: str) -> dict[str, list[tuple[str, str]]]:
    data = json.loads(report_json)
    out: dict[str, list[tuple[str, str]]] = {}
    for f in data["findings"]:
        out.setdefault(f["page"], []).append((f["severity"], f["message"]))
    return out


def messages(found: list[tuple[str, str]], severity: str) -> str:
    return "\n".join(m for s, m in found if s == severity)


@pytest.fixture
def problems(tmp_path, make_site):
    return make_site(tmp_path, PROBLEMS)


def test_check_reports_each_problem_on_its_page_as_json(problems, cli):
    result = cli("check", str(problems), "--format", "json")
    assert result.code == 1
    pages = findings_by_page(result.out)

    careless = pages["/essays/careless/"]
    errors = messages(careless, "error")
    assert "broken link /nope/" in errors
    assert "broken anchor #missing" in errors
    assert "broken anchor /essays/careful/#nowhere" in errors
    assert "missing image /images/missing.png" in errors
    assert "/essays/careful/#the-point" not in errors  # that heading exists
    warnings = messages(careless, "warning")
    assert "image without alt text: /images/pic.svg" in warnings
    assert "no summary" in warnings
    assert "no tags" in warnings
    assert "affiliate link without a disclosure: https://shop.example/book" in warnings
    assert "no call to action" not in warnings  # the default invitation is there

    careful = pages["/essays/careful/"]
    assert [s for s, _ in careful] == ["warning"], careful
    assert "no call to action" in careful[0][1]  # cta: false

    assert any("no meta description" in m for _, m in pages["/plain/"])


def test_build_warnings_are_part_of_the_report(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        """
        -- passivepress.yml --
        title: Typos
        description: A site with a typo in the front matter.
        base_url: https://example.com/
        contact:
          email: me@example.com
        -- content/essays/2024-03-01-typo.md --
        ---
        title: Typo
        date: 2024-03-01
        summary: A summary.
        tags: [x]
        updatd: 2024-03-02
        ---
        Hello.
        """,
    )
    result = cli("check", str(site), "--format", "json")
    assert result.code == 0
    assert "updatd" not in result.err  # in the report, not printed beside it
    (typo,) = json.loads(result.out)["findings"]
    assert typo["page"] == "/essays/typo/"
    assert typo["line"] == 6
    assert "updatd" in typo["message"] and "updated" in typo["hint"]


def test_a_contact_link_in_the_navigation_is_not_a_call_to_action(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        """
        -- passivepress.yml --
        title: Quiet
        description: An essay that switched its invitation off.
        base_url: https://example.com/
        contact:
          email: me@example.com
        -- content/essays/2024-03-01-quiet.md --
        ---
        title: Quiet
        date: 2024-03-01
        summary: No invitation here.
        tags: [x]
        cta: false
        ---
        Hello.
        -- content/pages/contact.md --
        ---
        title: Contact
        summary: Write to me.
        menu: 1
        ---
        Write.
        """,
    )
    built = cli("build", str(site))
    assert built.code == 0
    assert "/contact/" in (site / "_site/essays/quiet/index.html").read_text()  # the menu
    found = json.loads(cli("check", str(site), "--format", "json").out)["findings"]
    assert [(f["page"], f["message"].split(":")[0]) for f in found] == [
        ("/essays/quiet/", "no call to action")
    ]


def test_json_report_is_stable_sorted_and_counts_what_it_lists(problems, cli):
    first = cli("check", str(problems), "--format", "json").out
    second = cli("check", str(problems), "--format", "json").out
    assert first == second
    data = json.loads(first)
    assert data["errors"] == sum(f["severity"] == "error" for f in data["findings"]) == 4
    assert data["warnings"] == len(data["findings"]) - 4
    keys = [(f["page"], f["severity"] != "error") for f in data["findings"]]
    assert keys == sorted(keys)
    broken = next(f for f in data["findings"] if f["message"].startswith("broken link /nope/"))
    assert broken["source"] == "content/essays/2024-03-01-careless.md"
    assert broken["line"] == 5  # the line of the Markdown file, front matter counted


def test_text_report_groups_findings_under_their_page(problems, cli):
    result = cli("check", str(problems))
    assert result.code == 1
    lines = result.out.splitlines()
    header = lines.index("/essays/careless/ (content/essays/2024-03-01-careless.md)")
    block = []
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        block.append(line)
    assert "  error: content/essays/2024-03-01-careless.md:5: broken link /nope/" in "\n".join(
        block
    )
    assert any(line.startswith("  warning: ") and "no tags" in line for line in block)
    assert lines[-1].startswith("Checked ") and "4 errors" in lines[-1]


def test_quiet_text_report_shows_only_errors(problems, cli):
    result = cli("check", str(problems), "--quiet")
    assert result.code == 1
    assert "error: " in result.out
    assert "warning: " not in result.out


def test_warnings_alone_exit_zero(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        """
        -- passivepress.yml --
        title: Fine
        description: A site with one untagged essay.
        base_url: https://example.com/
        contact:
          email: me@example.com
        -- content/essays/2024-03-01-untagged.md --
        ---
        title: Untagged
        date: 2024-03-01
        summary: Written, summarised, but never tagged.
        ---
        Hello.
        """,
    )
    result = cli("check", str(site), "--format", "json")
    assert result.code == 0
    found = json.loads(result.out)["findings"]
    assert [(f["page"], f["severity"]) for f in found] == [("/essays/untagged/", "warning")]


def test_a_site_under_a_sub_path_checks_clean(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        """
        -- passivepress.yml --
        title: Sub
        description: A site published under a sub-path.
        base_url: https://user.example.io/my-site/
        contact:
          email: me@example.com
        -- content/essays/2024-03-01-hello.md --
        ---
        title: Hello
        date: 2024-03-01
        summary: A first essay.
        tags: [start]
        ---
        See [about](/about/#who) and the [contact page](/contact/).
        -- content/pages/about.md --
        ---
        title: About
        summary: Who I am.
        ---
        ## Who

        Me.
        -- content/pages/contact.md --
        ---
        title: Contact
        summary: Write to me.
        ---
        Write.
        """,
    )
    result = cli("check", str(site), "--format", "json")
    assert json.loads(result.out)["findings"] == []
    assert result.code == 0


def test_a_link_outside_the_sub_path_is_broken(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        """
        -- passivepress.yml --
        title: Sub
        description: A site published under a sub-path.
        base_url: https://user.example.io/my-site/
        -- content/pages/about.md --
        ---
        title: About
        summary: Who I am.
        ---
        <a href="/elsewhere/">raw HTML is not moved under the sub-path</a>
        """,
    )
    result = cli("check", str(site), "--format", "json")
    assert result.code == 1
    found = json.loads(result.out)["findings"]
    assert any(
        f["page"] == "/my-site/about/" and "broken link /elsewhere/" in f["message"] for f in found
    )


def test_check_leaves_the_site_folder_as_it_was(problems, cli):
    before = sorted(p.relative_to(problems) for p in problems.rglob("*"))
    cli("check", str(problems))
    assert sorted(p.relative_to(problems) for p in problems.rglob("*")) == before


def test_check_reads_the_markdown_the_last_build_kept_and_leaves_its_cache_as_it_was(
    problems, cli, monkeypatch
):
    from passivepress import build as build_module

    alone = json.loads(cli("check", "--format", "json", str(problems)).out)
    cli("build", str(problems))
    cache = problems / ".passivepress"
    kept = {p: p.read_bytes() for p in cache.rglob("*") if p.is_file()}
    rendered: list[object] = []
    real = build_module._render_markdown
    monkeypatch.setattr(
        build_module, "_render_markdown", lambda job: rendered.append(job) or real(job)
    )
    assert json.loads(cli("check", "--format", "json", str(problems)).out) == alone
    assert rendered == []  # every body from the cache folder
    assert {p: p.read_bytes() for p in cache.rglob("*") if p.is_file()} == kept


def test_a_lost_published_url_is_reported(tmp_path, make_site, cli):
    site = make_site(
        tmp_path,
        """
        -- passivepress.yml --
        title: Moved
        description: A site that renamed an essay.
        base_url: https://example.com/
        contact:
          email: me@example.com
        -- published-urls.txt --
        /essays/old-name/
        -- content/essays/2024-03-01-new-name.md --
        ---
        title: New name
        date: 2024-03-01
        summary: Renamed.
        tags: [x]
        ---
        Hello.
        """,
    )
    result = cli("check", str(site), "--format", "json")
    found = json.loads(result.out)["findings"]
    lost = [f for f in found if f["page"] == "/essays/old-name/"]
    assert lost and lost[0]["source"] == "published-urls.txt"
    assert "aliases" in lost[0]["hint"]
    # Reading the pages of a build (which warned about the lost URL too) says it once.
    cli("build", str(site))
    assert json.loads(cli("check", str(site), "--format", "json").out) == json.loads(result.out)


@pytest.mark.parametrize(
    ("archive", "code"),
    [
        ("-- passivepress.yml --\ntitle: T\nbase_url: not a url\n", 2),
        (
            "-- passivepress.yml --\ntitle: T\n-- content/essays/x.md --\n---\ntitle: X\n---\n",
            1,
        ),
    ],
)
def test_a_failed_build_exits_as_build_would(tmp_path, make_site, cli, archive, code):
    site = make_site(tmp_path, archive)
    result = cli("check", str(site))
    assert result.code == code
    assert "error:" in result.err
    assert result.out == ""


# -- links to other hosts -------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """/ok answers 200, /gone 404, /nohead refuses HEAD (405) but answers GET, /slow never
    answers in time. Every request is counted."""

    counts: Counter[tuple[str, str]]
    released: threading.Event  # set when the test is over: /slow then answers at once

    def _answer(self) -> None:
        self.counts[(self.command, self.path)] += 1
        if self.path == "/slow":
            self.released.wait(2)
        status = {"/ok": 200, "/gone": 404, "/slow": 200}.get(self.path, 200)
        if self.path == "/nohead":
            status = 405 if self.command == "HEAD" else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = _answer
    do_GET = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, Counter[tuple[str, str]]]]:
    counts: Counter[tuple[str, str]] = Counter()
    released = threading.Event()
    handler = type("Handler", (_Handler,), {"counts": counts, "released": released})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", counts
    finally:
        # Every thread of the server ended before the next test: a build forks only
        # while its process has no other thread.
        released.set()
        httpd.shutdown()
        httpd.server_close()  # joins the request threads (block_on_close)
        thread.join(5)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def external_site(tmp_path, make_site, root: str, dead: str):
    return make_site(
        tmp_path,
        f"""
        -- passivepress.yml --
        title: Out
        description: A site that links out.
        base_url: https://example.com/
        contact:
          email: me@example.com
        -- content/essays/2024-03-01-one.md --
        ---
        title: One
        date: 2024-03-01
        summary: Links out.
        tags: [links]
        ---
        [ok]({root}/ok) [gone]({root}/gone) [no head]({root}/nohead) [slow]({root}/slow)
        [dead]({dead}/x)
        -- content/essays/2024-03-02-two.md --
        ---
        title: Two
        date: 2024-03-02
        summary: Links to the same places.
        tags: [links]
        ---
        [ok again]({root}/ok#part) [gone again]({root}/gone)
        """,
    )


def test_external_links_are_tried_once_each_and_failures_are_warnings(tmp_path, make_site, server):
    root, counts = server
    dead = f"http://127.0.0.1:{_closed_port()}"
    site = external_site(tmp_path, make_site, root, dead)
    report = check(site, external=True, timeout=0.5, concurrency=4, now=NOW)

    assert report.exit_code == 0  # other sites' trouble is a warning
    assert report.external == 5
    external = {(f.page, f.message) for f in report.findings if "external link" in f.message}
    assert ("/essays/one/", f"external link {root}/gone: answered 404 Not Found") in external
    assert ("/essays/two/", f"external link {root}/gone: answered 404 Not Found") in external
    assert ("/essays/one/", f"external link {root}/slow: no answer within 0.5 s") in external
    assert any(m.startswith(f"external link {dead}/x: could not be reached") for _, m in external)
    assert not any("/ok" in m or "/nohead" in m for _, m in external)

    # One request per distinct URL (the fragment does not make another), GET only where
    # HEAD was refused, and no retry for a timeout.
    assert counts[("HEAD", "/ok")] == 1
    assert counts[("HEAD", "/gone")] == 1
    assert counts[("HEAD", "/nohead")] == 1 and counts[("GET", "/nohead")] == 1
    assert counts[("HEAD", "/slow")] == 1
    assert counts[("GET", "/ok")] == counts[("GET", "/gone")] == 0


def test_external_links_are_left_alone_unless_asked(tmp_path, make_site, server, cli):
    root, counts = server
    site = external_site(tmp_path, make_site, root, root)
    result = cli("check", str(site), "--format", "json")
    assert result.code == 0
    assert json.loads(result.out)["external_links"] == 0
    assert sum(counts.values()) == 0


def test_external_option_on_the_command_line(tmp_path, make_site, server, cli):
    root, _ = server
    site = external_site(tmp_path, make_site, root, root)
    result = cli("check", str(site), "--external", "--timeout", "0.5", "--concurrency", "2")
    assert result.code == 0
    assert f"external link {root}/gone: answered 404 Not Found" in result.out
    assert "external links" in result.out.splitlines()[-1]


def test_bad_timeout_is_a_usage_error(tmp_path, make_site, cli):
    with pytest.raises(SystemExit) as exc:
        cli("check", str(tmp_path), "--timeout", "0")
    assert exc.value.code == 2


def many_problems(count: int) -> str:
    """PROBLEMS and ``count`` more essays, each linking to a heading of the next (there)
    and to one it lacks, with an image without alt text every third essay."""
    return PROBLEMS + "".join(
        f"""
-- content/essays/2024-05-{n % 28 + 1:02d}-e{n}.md --
---
title: Essay {n}
date: 2024-05-{n % 28 + 1:02d}
tags: [t{n % 4}]
{"summary: Said." if n % 2 else ""}
---
## Heading {n}

To [the next](/essays/e{(n + 1) % count}/#heading-{(n + 1) % count}) and
[not there](/essays/e{(n + 2) % count}/#heading-{n}).
{"![](/images/pic.svg)" if n % 3 == 0 else ""}
"""
        for n in range(count)
    )


def test_pages_checked_on_all_cores_make_the_report_one_process_makes(tmp_path, make_site):
    """Pages are read by forked copies, each taking pages as it is ready; anchors between
    pages read by different processes are checked once all are read."""
    site = make_site(tmp_path, many_problems(80))
    alone = check(site, now=NOW, processes=1)
    found = in_fresh_process(
        """
        import json, sys
        from datetime import datetime
        from pathlib import Path
        from passivepress import forks
        from passivepress.check import check

        shares = []  # pages each process checked
        real = forks.together

        def together(*calls):
            results = real(*calls)
            if all(isinstance(result, dict) for result in results):  # not the build's
                shares.extend(len(result) for result in results)
            return results

        forks.together = together
        report = check(Path(sys.argv[1]), now=datetime.fromisoformat(sys.argv[2]), processes=3)
        print(json.dumps({"shares": shares, "report": report.to_json()}))
        """,
        site,
        NOW.isoformat(),
    )
    assert len(found["shares"]) == 3 and sum(found["shares"]) == alone.pages
    assert found["report"] == alone.to_json()
    assert alone.pages > 80
    broken = [f.message for f in alone.errors if f.message.startswith("broken anchor")]
    assert len(broken) == 80 + 2  # each essay's second link; two in the careless essay
    assert "broken anchor /essays/e2/#heading-0: /essays/e2/ has no heading" in "\n".join(broken)
    unlabelled = [f for f in alone.warnings if f.message.startswith("image without alt")]
    assert len(unlabelled) == 27 + 1


def test_page_facts_are_what_html5lib_reads_on_every_page_of_the_example_site(tmp_path):
    """check reads pages with Lexbor's parser; html5lib, another HTML5 parser, finds the
    same ids, links, images and meta data on every page of the repository's example site."""
    import xml.etree.ElementTree as ET
    from pathlib import Path

    import html5lib

    from passivepress import page_facts
    from passivepress.build import BuildOptions, build

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "out"
    build(root, BuildOptions(output=out, use_cache=False, record_urls=False))
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 20

    def reference_facts(tree: ET.Element) -> tuple:
        elements = [el for el in tree.iter() if isinstance(el.tag, str)]
        refs = []
        for el in elements:
            rel = set((el.get("rel") or "").lower().split())
            if el.tag == "link" and rel & {"preconnect", "dns-prefetch"}:
                continue
            for attr in page_facts.URL_ATTRS.get(el.tag, ()):
                if el.get(attr) is not None:
                    refs.append((el.tag, el.get(attr)))
            if el.tag == "meta" and (el.get("property") or el.get("name")) in (
                "og:image",
                "twitter:image",
            ):
                refs.append(("img", el.get("content")))
        main = tree.find(".//main")
        return (
            sorted(refs),
            {el.get("id") for el in elements if el.get("id")},
            [el.get("src") for el in tree.iter("img") if el.get("alt") is None],
            next(
                (m.get("content") for m in tree.iter("meta") if m.get("name") == "description"), ""
            ),
            [a.get("href") or "" for a in (main if main is not None else tree).iter("a")],
        )

    for path in pages:
        data = path.read_bytes()
        facts = page_facts.read(data)
        expected = reference_facts(html5lib.parse(data, namespaceHTMLElements=False))
        found = (
            sorted(facts.references),
            set(facts.ids),
            list(facts.images_without_alt),
            facts.description,
            list(facts.main_links),
        )
        assert found == expected, path.relative_to(out)


@pytest.mark.parametrize(
    "page",
    [
        '<meta charset="iso-8859-1"><a href="/caf\xe9/">c</a>'.encode("latin-1"),
        '<a href="/caf\xe9/">c</a>'.encode("windows-1252"),  # no charset: as browsers do
        '\ufeff<a href="/caf\xe9/">c</a>'.encode(),
    ],
)
def test_a_static_page_in_another_encoding_is_read_as_browsers_read_it(tmp_path, make_site, page):
    site = make_site(tmp_path, PROBLEMS)
    (site / "static/legacy.html").write_bytes(page)
    (site / "static/café").mkdir()
    (site / "static/café/index.html").write_text("<title>Café</title><p>Menu.</p>")

    def errors_on_the_page() -> list[str]:
        return [f.message for f in check(site, now=NOW).errors if f.page == "/legacy.html"]

    assert errors_on_the_page() == []
    (site / "static/café/index.html").unlink()
    assert errors_on_the_page() == ["broken link /café/: no page of the site is there"]


def test_an_empty_or_binary_html_file_is_checked_without_failing(tmp_path, make_site):
    site = make_site(tmp_path, PROBLEMS)
    (site / "static/empty.html").write_bytes(b"")
    (site / "static/binary.html").write_bytes(bytes(range(256)) * 8)
    report = check(site, now=NOW)
    for page in ("/empty.html", "/binary.html"):
        found = [f.message for f in report.findings if f.page == page]
        assert found == ["no meta description: search engines will pick some text of the page"]


def test_checking_the_pages_reports_its_progress(tmp_path, make_site):
    """After the build's progress, the pages' checking reports how far it is, up to all."""
    from passivepress.report import Recorder

    site = make_site(tmp_path, many_problems(60))
    recorder = Recorder()
    report = check(site, now=NOW, processes=1, reporter=recorder)
    seen = recorder.checking_seen
    assert seen[-1] == (report.pages, report.pages)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) > report.pages // 2
    assert "checking" in recorder.steps


def test_a_summary_left_blank_is_no_summary_and_named_by_its_line(tmp_path, make_site):
    """The author's summary, not the first paragraph the model falls back on: blank or
    null is none, and the warning points at the line left blank."""
    essays = {
        "blank": 'summary: ""',
        "spaces": 'summary: "   "',
        "null": "summary:",
        "tilde": "summary: ~",
        "none": "lang: en",
        "given": "summary: Said well.",
        "zero": "summary: 0",
    }
    site = make_site(
        tmp_path,
        PROBLEMS
        + "".join(
            f"-- content/essays/2024-05-0{n}-{name}.md --\n---\ntitle: Essay {name}\n"
            f"date: 2024-05-0{n}\ntags: [t]\n{line}\n---\nA first paragraph.\n"
            for n, (name, line) in enumerate(essays.items(), start=1)
        ),
    )
    report = check(site, now=NOW)
    found = {
        f.page.split("/")[2]: f.line
        for f in report.warnings
        if f.message.startswith("no summary") and f.page.startswith("/essays/")
    }
    assert {k: v for k, v in found.items() if k in essays} == {
        "blank": 5,
        "spaces": 5,
        "null": 5,
        "tilde": 5,
        "none": None,
    }


def test_links_are_resolved_as_urljoin_resolves_them() -> None:
    """check resolves most links without joining them to the page's address: the same
    place as urljoin gives, for any link a page may hold."""
    import random
    from urllib.parse import urljoin, urlsplit

    from passivepress.check import _joined

    rng = random.Random(6)
    schemes = ["", "https:", "http:", "HTTPS:", "mailto:", "ftp:", "https:/", "javascript:"]
    hosts = ["", "//example.com", "//Example.COM", "//example.com:8000", "//u@example.com"]
    hosts += ["//other.org", "//", "//[::1]"]
    segments = ["", "a", "b c", "%2e", ".", "..", "x;p", "café", "%C3%A9", "\\", "a.b", ".x"]
    tails = ["", "?", "?q=1", "?a/../b", "#", "#f", "#a/../b", "?q#f", ";p", "#/."]
    bases = [
        "https://example.com/",
        "https://example.com/essays/x/",
        "http://127.0.0.1:8000/a/b/",
        "https://example.com/a/b.html",
    ]
    for _ in range(20000):
        path = "/".join(rng.choice(segments) for _ in range(rng.randint(0, 4)))
        ref = rng.choice(schemes) + rng.choice(hosts) + ("/" * rng.randint(0, 1)) + path
        ref += rng.choice(tails)
        base = rng.choice(bases)
        try:
            expected = urlsplit(urljoin(base, ref))
        except ValueError:  # such as //[::1]. on Pythons that check bracketed hosts
            with pytest.raises(ValueError):
                _joined(base, ref, urlsplit(ref))
            continue
        assert _joined(base, ref, urlsplit(ref)) == expected, (base, ref)


def test_a_link_to_an_anchor_of_its_own_page_leads_where_resolving_it_leads() -> None:
    """check takes a page's own #anchors as they are, without resolving them against the
    page's address (a fifth of an essay's links): the same target as resolving gives."""
    import random
    from urllib.parse import urljoin, urlsplit

    from passivepress.check import _Checker, _Html, _site_path

    rng = random.Random(7)
    rels = ["index.html", "essays/x/index.html", "café/index.html", "404.html", "a b/c.html"]
    rels += ["100%25/index.html", "q?/index.html", "essays/x/notes.htm"]
    refs = ["#", "#f", "#fn1", "#a#b", "#a?b", "#caf%C3%A9", "#café", "#a b", "#a%20b"]
    refs += ["#a\tb", "#a/../b", "#top", "#%", "#\\x"]
    for base_url in ("https://example.com/", "https://name.github.io/site/"):
        checker = object.__new__(_Checker)
        parts = urlsplit(base_url)
        checker.base_url, checker.base_path = base_url, parts.path
        checker.origin = (parts.scheme, parts.netloc)
        checker.files = set(rels)
        checker.pages = {rel: _Html(rel, _site_path(rel)) for rel in rels}
        checker._targets = {}
        for _ in range(500):
            page = checker.pages[rng.choice(rels)]
            ref = rng.choice(refs)
            page_url = urljoin(base_url, page.path.lstrip("/"))
            resolved = checker._target(checker._base_for(ref, page_url), ref)
            assert checker._target_of(ref, page, page_url) == resolved, (page, ref)


def _count_renders(monkeypatch) -> list[object]:
    """Every time a build renders its pages (check's own build does; reading the pages of
    a build that is still current does not)."""
    from passivepress import build as build_module

    renders: list[object] = []
    real = build_module.Builder._render_routes
    monkeypatch.setattr(
        build_module.Builder,
        "_render_routes",
        lambda self, *args: renders.append(args) or real(self, *args),
    )
    return renders


def test_check_reads_the_pages_of_the_last_build_while_it_is_current(problems, cli, monkeypatch):
    """After ``passivepress build``, with nothing changed since, check reads that build's
    pages instead of building them again, and reports the same."""
    alone = json.loads(cli("check", "--format", "json", str(problems)).out)
    cli("build", str(problems))
    renders = _count_renders(monkeypatch)
    assert json.loads(cli("check", "--format", "json", str(problems)).out) == alone
    assert renders == []


@pytest.mark.parametrize("change", ["source", "output", "drafts"])
def test_check_builds_again_when_the_last_build_is_not_current(problems, cli, monkeypatch, change):
    """An edit since the build, a page of the output changed by hand, or a build with
    other options: check builds the site itself."""
    cli("build", str(problems))
    careful = problems / "content/essays/2024-04-01-careful.md"
    if change == "source":
        careful.write_text(careful.read_text() + "\nAnd [a new mistake](/gone/).\n")
    elif change == "output":
        page = problems / "_site/essays/careful/index.html"
        page.write_text(page.read_text().replace('id="the-point"', 'id="somewhere-else"'))
    else:
        cli("build", "--drafts", str(problems))
    renders = _count_renders(monkeypatch)
    found = findings_by_page(cli("check", "--format", "json", str(problems)).out)
    assert len(renders) == 1
    careless = messages(found["/essays/careless/"], "error")
    assert "#the-point" not in careless  # the anchor is there in what a build makes
    if change == "source":
        assert "broken link /gone/" in messages(found["/essays/careful/"], "error")


def test_files_left_in_the_output_by_others_do_not_hide_a_broken_link(problems, cli):
    """Reading the last build's pages, check knows the files that build wrote: one put
    there by hand is not the site's."""
    careful = problems / "content/essays/2024-04-01-careful.md"
    careful.write_text(careful.read_text() + "\nSee [the notes](/notes.txt).\n")
    cli("build", str(problems))
    (problems / "_site/notes.txt").write_text("left by hand")
    found = findings_by_page(cli("check", "--format", "json", str(problems)).out)
    assert "broken link /notes.txt" in messages(found["/essays/careful/"], "error")


def test_check_reads_the_pages_of_a_build_made_the_quick_way(problems, cli, monkeypatch):
    """An essay edited and built the quick way: that build is current too."""
    cli("build", str(problems))
    careful = problems / "content/essays/2024-04-01-careful.md"
    careful.write_text(careful.read_text() + "\nAnd [a new mistake](/gone/).\n")
    assert "the quick way" in cli("build", "-v", str(problems)).err
    renders = _count_renders(monkeypatch)
    found = findings_by_page(cli("check", "--format", "json", str(problems)).out)
    assert renders == []
    assert "broken link /gone/" in messages(found["/essays/careful/"], "error")


@pytest.mark.parametrize(
    "fragment",
    [
        "<p>No picture here, only <em>text</em> and a <a href='/imgs/'>link</a>.</p>",
        '<p><img src="/a.png"> and <IMG SRC="/b.png" alt=" "></p>',
        '<p><image src="/c.png"></p>',  # read as <img> by an HTML5 parser
        '<p><img/src="/d.png"><img\tsrc="/e.png" alt="E"></p>',
        '<p><imgs src="/f.png"></imgs><image2 src="/g.png"></p>',
        "<p>&lt;img src=/h.png&gt; as text</p>",
    ],
)
def test_images_in_an_authors_html_are_found_as_an_html5_parser_finds_them(fragment):
    """The fragment is parsed only when it may hold an image: the same answer as
    html5lib's tree, either way."""
    import html5lib

    from passivepress import page_facts

    tree = html5lib.parse(fragment, namespaceHTMLElements=False)
    expected = [el.get("src") or "" for el in tree.iter("img") if not (el.get("alt") or "").strip()]
    assert page_facts.images_without_text(fragment) == expected


def test_a_link_no_browser_can_follow_is_a_broken_link(tmp_path, make_site, cli):
    """A host in brackets that is no IPv6 address: urlsplit refuses it (and newer Pythons
    refuse more such hosts), and check reports the link rather than stopping."""
    site = make_site(
        tmp_path,
        PROBLEMS
        + """
-- content/essays/2024-05-01-typo.md --
---
title: Typo
date: 2024-05-01
summary: A mistyped address.
tags: [mentoring]
---
A <a href="https://[oops/">mistyped address</a> and an <img src="http://[::1/x.png" alt="X">.
""",
    )
    result = cli("check", str(site), "--format", "json")
    assert result.code == 1
    errors = messages(findings_by_page(result.out)["/essays/typo/"], "error")
    assert "broken link https://[oops/: not a valid URL" in errors
    assert "missing image http://[::1/x.png: not a valid URL" in errors
