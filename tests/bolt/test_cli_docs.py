"""docs/cli.md is generated from the commands' parsers, and every flag the docs name is
a flag of the commands."""

from __future__ import annotations

import re
import subprocess
import sys

import support

GENERATOR = support.REPO_ROOT / "scripts" / "gen_cli_docs.py"
PAGES = [support.REPO_ROOT / "README.md", *sorted((support.REPO_ROOT / "docs").rglob("*.md"))]
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]")

#: Flags of other tools that the docs name, with the tool.
OTHER_TOOLS = {
    "--call-graph": "perf record",
    "--check": "scripts/gen_cli_docs.py",
    "--deploy-hook": "certbot",
    "--duration": "h2load",
    "--h1": "h2load",
    "--noinput": "manage.py migrate, collectstatic",
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


def test_every_flag_the_docs_name_exists():
    known = _command_flags() | OTHER_TOOLS.keys()
    unknown = [
        f"{page.relative_to(support.REPO_ROOT)}: {flag}"
        for page in PAGES
        for flag in FLAG.findall(page.read_text())
        if flag not in known
    ]
    assert not unknown, "flags no command has:\n" + "\n".join(unknown)
