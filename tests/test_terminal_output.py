"""People at a terminal get colour and a progress bar; CI logs get plain lines."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from conftest import CONFIG, write_site

BROKEN_LINK = (
    CONFIG
    + """
-- content/essays/2024-03-01-a.md --
---
title: A
date: 2024-03-01
---
A [broken link](/essays/nowhere/).
"""
)


def run(args: list[str], *, terminal: bool) -> tuple[int, str]:
    """Run the command with stderr piped (as in CI) or on a pseudo-terminal."""
    command = [sys.executable, "-m", "passivepress", *args]
    env = {**os.environ, "TERM": "xterm", "SOURCE_DATE_EPOCH": "1717243200"}
    env.pop("NO_COLOR", None)
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode()


def test_output_to_a_pipe_has_no_escape_codes(tmp_path):
    site = write_site(tmp_path / "site", BROKEN_LINK)
    code, err = run(["build", str(site)], terminal=False)
    assert code == 0
    assert "warning: content/essays/2024-03-01-a.md:5: broken link" in err
    assert "Built " in err
    assert "\x1b" not in err
    code, err = run(["build", str(site), "--strict"], terminal=False)
    assert code == 1
    assert "error: content/essays/2024-03-01-a.md:5: (strict) broken link" in err
    assert "\x1b" not in err


def test_a_terminal_gets_coloured_warnings(tmp_path):
    site = write_site(tmp_path / "site", BROKEN_LINK)
    code, out = run(["build", str(site)], terminal=True)
    assert code == 0
    assert "\x1b[33mwarning:\x1b[0m content/essays/2024-03-01-a.md:5: broken link" in out


def test_no_color_turns_colour_off_on_a_terminal(tmp_path, monkeypatch):
    site = write_site(tmp_path / "site", BROKEN_LINK)
    monkeypatch.setenv("NO_COLOR", "1")
    command = [sys.executable, "-m", "passivepress", "build", str(site)]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, stdout=follower, stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    assert b"\x1b" not in out


def test_quiet_prints_nothing_on_success_and_the_closing_line_only_on_success(tmp_path):
    site = write_site(tmp_path / "site", BROKEN_LINK)
    code, err = run(["build", str(site), "--quiet"], terminal=False)
    assert (code, err) == (0, "")
    code, err = run(["build", str(site), "--strict"], terminal=False)
    assert code == 1
    assert "Built " not in err


def test_verbose_prints_the_time_of_each_step(tmp_path):
    site = write_site(tmp_path / "site", BROKEN_LINK)
    code, err = run(["build", str(site), "--verbose"], terminal=False)
    assert code == 0
    for step in ("config", "content", "routes", "render", "write"):
        assert any(line.split()[:1] == [step] and line.endswith("ms") for line in err.splitlines())


def test_a_long_build_shows_a_progress_bar_on_a_terminal_only(tmp_path):
    essays = "".join(
        f"-- content/essays/2024-01-{i % 28 + 1:02d}-e{i}.md --\n---\ntitle: E{i}\n"
        f"date: 2024-01-{i % 28 + 1:02d}\nimage: /covers/x.png\n---\nBody {i}.\n"
        for i in range(320)
    )
    site = write_site(tmp_path / "site", CONFIG + "-- static/covers/x.png --\npng\n" + essays)
    code, out = run(["build", str(site)], terminal=True)
    assert code == 0
    assert "rendering [" in out and "/3" in out
    code, err = run(["build", str(site), "--clean"], terminal=False)
    assert code == 0
    assert "rendering [" not in err
