"""benchmarks/build_speed.py still runs: a tiny corpus, one run of each kind, no Hugo or Pelican.

The benchmark itself is not part of the test run; this only keeps the script from rotting
(about 3 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "build_speed.py"


def run_benchmark(name: str, *args: object, cwd: Path | None = None) -> str:
    """benchmarks/<name> on a corpus of 20 essays and 5 books, one run; its output."""
    proc = subprocess.run(
        [sys.executable, SCRIPT.parent / name, "--essays", "20", "--books", "5", "--runs", "1"]
        + [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_build_speed_runs_and_reports(tmp_path: Path) -> None:
    raw = tmp_path / "results.json"
    work = tmp_path / "work"
    out = run_benchmark("build_speed.py", "--workdir", work, "--json", raw)
    assert "| passivepress | 20 |" in out
    assert "### Issue 6's targets" in out
    results = json.loads(raw.read_text())["results"]
    (only,) = results
    assert only["system"] == "passivepress" and only["pages"] > 20
    for mode in ("cold", "warm", "edit"):
        (sample,) = only["runs"][mode]
        assert sample["wall_s"] > 0 and sample["max_rss_kib"] > 0
    # Without --keep, what the run made in the work folder is gone.
    assert not (work / "essays-20").exists()


def test_book_roles_become_links() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    from build_speed import plain_links

    text = "See {book}`book-001`. And {book}`unknown`."
    assert plain_links(text, {"book-001": "Book one"}) == (
        "See [Book one](/books/book-001/). And [unknown](/books/unknown/)."
    )


def test_edit_kinds_runs_and_reports(tmp_path: Path) -> None:
    """benchmarks/edit_kinds.py: each edit makes something again, and only some outputs."""
    out = run_benchmark("edit_kinds.py", cwd=tmp_path)
    rows = {
        line.split("|")[1].strip(): int(line.split("|")[3].strip().replace(",", ""))
        for line in out.splitlines()
        if line.startswith("| ") and not line.startswith(("| edit", "| ---"))
    }
    assert set(rows) == {
        "tag.html edited",
        "essay.html edited",
        "description edited",
        "a new essay",
        "an essay deleted",
    }
    assert all(made > 0 for made in rows.values()), rows
    assert rows["tag.html edited"] < rows["description edited"]


def test_check_speed_runs_and_reports(tmp_path: Path) -> None:
    out = run_benchmark("check_speed.py", "--workdir", tmp_path, "--after-build")
    assert "passivepress check after a build, 20 essays (" in out
    assert " pages/s, peak RSS " in out
    assert list(tmp_path.iterdir()) == []  # the corpus is gone


def test_preview_start_runs_and_reports(tmp_path: Path) -> None:
    out = run_benchmark("preview_start.py", "--workdir", tmp_path, "--linger", "0.5")
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split("|")[1].strip() for row in rows[1:]] == [
        "--temporary: every page built and written",
        "its folder kept: the first run",
        "started again, nothing changed",
        "started again, one essay edited before",
    ]
    assert list(tmp_path.iterdir()) == []  # the corpus is gone


def test_ci_speed_runs_and_finds_the_restored_cache_used(tmp_path: Path) -> None:
    """benchmarks/ci_speed.py: a checkout with the cache restored builds nothing again
    when nothing changed, and an edit gives a clean build's output (the script checks)."""
    raw = tmp_path / "results.json"
    work = tmp_path / "work"
    out = run_benchmark("ci_speed.py", "--workdir", work, "--json", raw)
    assert "| 20 |" in out
    results = json.loads(raw.read_text())["results"]["20"]
    assert set(results) == {"first", "unchanged", "edit", "edit_new"}
    for samples in results.values():
        (sample,) = samples
        assert sample["wall_s"] > 0 and sample["max_rss_kib"] > 0
    assert not (work / "ci-20").exists()
