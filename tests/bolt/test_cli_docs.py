"""docs/cli.md is generated from the commands' parsers, and every flag the docs name is
a flag of the commands."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import support
from django.core.management.base import CommandError

GENERATOR = support.REPO_ROOT / "scripts" / "gen_cli_docs.py"
PAGES = [support.REPO_ROOT / "README.md", *sorted((support.REPO_ROOT / "docs").rglob("*.md"))]
#: A code span that starts with a flag: a flag named in prose or a table.
NAMED_FLAG = re.compile(r"`(--[a-z][a-z0-9-]*)[^`]*`")
FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)

#: Flags of other tools named in code spans of their own, with the tool.
OTHER_TOOLS = {
    "--call-graph": "perf record",
    "--duration": "h2load",
    "--example": "scripts/setup.sh",
    "--h1": "h2load",
    "--only": "benches",
    "--strict": "h2spec",
    "--tool": "benches",
}


def test_cli_page_is_what_the_parsers_say():
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"],
        cwd=support.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def _command_flags() -> set[str]:
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        import gen_cli_docs
    finally:
        sys.path.remove(str(GENERATOR.parent))
    flags = set()
    for parser in (
        gen_cli_docs.runbolt_parser(),
        gen_cli_docs.serve_parser(),
        gen_cli_docs.cli.build_parser(),
    ):
        flags |= {flag for action in parser._actions for flag in action.option_strings}
    return flags


def _parsers():
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        import gen_cli_docs
    finally:
        sys.path.remove(str(GENERATOR.parent))
    return gen_cli_docs.runbolt_parser(), gen_cli_docs.cli.build_parser()


def test_every_flag_the_docs_name_exists():
    runbolt, django_bolt = _parsers()
    serve = next(a for a in django_bolt._actions if a.choices and "serve" in a.choices)
    known = {
        flag
        for parser in (runbolt, django_bolt, serve.choices["serve"])
        for action in parser._actions
        for flag in action.option_strings
    }
    unknown = [
        f"{page.relative_to(support.REPO_ROOT)}: {flag}"
        for page in PAGES
        for flag in NAMED_FLAG.findall(page.read_text())
        if flag not in known and flag not in OTHER_TOOLS
    ]
    assert not unknown, "flags no command has:\n" + "\n".join(unknown)


SHELL_OPERATORS = {"&", "&&", "|", "||", ";"}
RUNS = ("manage.py runbolt", '"runbolt"', "django-bolt serve", "django-bolt --")


def _commands(text: str) -> list[str]:
    """Lines of code blocks that run runbolt or django-bolt (continuations joined)."""
    lines = []
    for block in FENCED.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            if any(command in line for command in RUNS):
                lines.append(line)
    return lines


def _arguments(line: str) -> list[str]:
    """The words of a command line, or of a Dockerfile's ``CMD [...]``."""
    if line.startswith("CMD ["):
        return json.loads(line.removeprefix("CMD "))
    return shlex.split(line, comments=True)


def test_every_command_line_in_the_docs_is_accepted():
    """Each runbolt and django-bolt command of a code block (README, docs, the systemd
    unit and the Dockerfile of deployment.md) parses with the command's own parser."""
    runbolt, django_bolt = _parsers()
    seen = 0
    for page in PAGES:
        for line in _commands(page.read_text()):
            words = _arguments(line)
            if "runbolt" in words:
                parser, args = runbolt, words[words.index("runbolt") + 1 :]
            else:
                parser, args = django_bolt, words[words.index("django-bolt") + 1 :]
            ends = [i for i, word in enumerate(args) if word in SHELL_OPERATORS]
            args = args[: ends[0]] if ends else args
            try:
                parser.parse_args(args)
            except (SystemExit, CommandError) as exc:
                raise AssertionError(f"{page.name}: {line}\n{exc}") from None
            seen += 1
    assert seen >= 8
