"""The README is what users read first: it must stay true to the code."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from passivepress import config
from passivepress.cli import make_parser
from passivepress.loader import BOOK_KEYS, ESSAY_KEYS, PAGE_KEYS

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_configuration_reference_in_the_readme_is_the_schema():
    assert config.reference() in README


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = make_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_and_option_is_in_the_readme(name):
    assert f"passivepress {name}" in README
    for action in _subcommands()[name]._actions:
        longest = max(action.option_strings, key=len, default=None)
        if longest and longest not in ("--help",):
            assert longest in README, f"{name} {longest} is not in the README"


@pytest.mark.parametrize("key", sorted(set(ESSAY_KEYS + BOOK_KEYS + PAGE_KEYS)))
def test_every_front_matter_key_is_in_the_readme(key):
    assert f"`{key}`" in README


def test_the_two_commands_are_near_the_top():
    top = README[:2500]
    assert "pip install -e . && passivepress build" in top
    assert "pip install -e '.[test]' && pytest" in top
