"""The fuzzers of fuzz/ still run, find a few steps matching clean builds, and can fail: a
difference planted into an output tree is reported with exit code 1, its failure log
replays it, and the reducer shrinks that log (about 20 s in all).

The fuzz runs themselves are not part of the test run (see fuzz/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"
FUZZERS = ["edits", "restarts"]
PLANTED = "+<!-- planted by the fuzzer's --plant -->"


def fuzz(script: str, *args: object) -> subprocess.CompletedProcess[str]:
    """``python fuzz/<script> ARGS``, its output kept."""
    return subprocess.run(
        [sys.executable, str(FUZZ / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
    )


def file_ops(log: Path) -> int:
    """How many file operations a failure log holds."""
    steps = json.loads(log.read_text())["steps"]
    return sum(len(e[1]) for step in steps for e in step["events"] if e[0] == "ops")


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each fuzzer's run of one step with a difference planted after its builds (and no
    invalid edit, so that the step builds): its failure log, and what it printed."""
    runs = {}
    for name in FUZZERS:
        work = tmp_path_factory.mktemp(f"planted-{name}")
        args = ["--seeds", 1, "--steps", 2, "--essays", 6, "--without", "invalid"]
        proc = fuzz(f"{name}.py", *args, "--plant", 1, "--workdir", work)
        assert proc.returncode == 1, output(proc)
        runs[name] = (work / "results" / f"failure-{name}-1.json", proc.stdout)
    return runs


@pytest.mark.parametrize("name", FUZZERS)
def test_a_short_run_builds_every_step_and_finds_it_matching(name: str, tmp_path: Path) -> None:
    args = ["--seeds", "1-2", "--steps", 3, "--essays", 6, "--workdir", tmp_path]
    proc = fuzz(f"{name}.py", *args)
    assert proc.returncode == 0, output(proc)
    assert "every build matched a clean build" in proc.stdout
    stats = json.loads((tmp_path / "results" / "stats.json").read_text())
    assert stats["seeds"] == [1, 2]
    assert stats["steps"] == 6
    assert stats["failures"] == []
    counts = stats["counts"]
    if name == "edits":
        # Each step built the CLI's way and the preview's, and compared both.
        assert sum(v for k, v in counts["ways"].items() if k.startswith("cli")) == 6
        assert sum(v for k, v in counts["ways"].items() if k.startswith("preview")) == 6
    else:
        assert counts["events"]["check"] >= 6 + 2  # each step's, and each setup's
        assert sum(counts["actions"].values()) == 6
    assert sum(counts["edits"].values()) >= 1
    assert not list(tmp_path.glob(f"{name}-*")), "the sites are left behind"


@pytest.mark.parametrize("name", FUZZERS)
def test_a_planted_difference_fails_the_run_and_its_log_replays_it(
    name: str, planted: dict[str, tuple[Path, str]], tmp_path: Path
) -> None:
    log, printed = planted[name]
    assert f"failure log: {log}" in printed
    assert "cli output-diff in 1 files: 404.html" in printed
    assert PLANTED in printed  # the first differing file's diff
    record = json.loads(log.read_text())
    assert record["fuzzer"] == name and record["seed"] == 1
    assert record["failure"]["channel"] == "cli"
    assert record["failure"]["files"] == ["404.html"]
    replay = fuzz(f"{name}.py", "--replay", log, "--workdir", tmp_path)
    assert replay.returncode == 1, output(replay)
    assert "replay FAILED" in replay.stdout and PLANTED in replay.stdout


def test_the_reducer_shrinks_a_failure_to_one_that_replays(
    planted: dict[str, tuple[Path, str]], tmp_path: Path
) -> None:
    log, _ = planted["restarts"]
    small = tmp_path / "small.json"
    proc = fuzz("reduce.py", log, "--out", small, "--budget", 12, "--workdir", tmp_path)
    assert proc.returncode == 0, output(proc)
    assert PLANTED in proc.stdout
    assert file_ops(small) < file_ops(log)
    replay = fuzz("restarts.py", "--replay", small, "--workdir", tmp_path)
    assert replay.returncode == 1, output(replay)


def test_usage_errors_exit_with_2(planted: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    for args in (
        ["--seeds", "ten"],
        ["--without", "no_such_edit"],
        ["--replay", planted["restarts"][0]],  # a log of the other fuzzer
        ["--replay", tmp_path / "missing.json"],
    ):
        proc = fuzz("edits.py", *args, "--workdir", tmp_path)
        assert proc.returncode == 2, output(proc)
