#!/usr/bin/env python3
"""The values table of infra/helm/revloop/README.md, generated from values.yaml's `# --` comments.

    values_table.py           print the table
    values_table.py --write   rewrite the table at the end of README.md
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import yaml

CHART = pathlib.Path(__file__).resolve().parents[1] / "revloop"
VALUES = CHART / "values.yaml"
README = CHART / "README.md"
HEADER = "| Value | Default | Description |\n|---|---|---|\n"
# Values documented as one entry although they are maps.
WHOLE = {"resources", "namespaceSelector"}


def rows(values_text: str | None = None) -> list[tuple[str, object, str]]:
    """(dotted path, default, description) of every documented value, in file order."""
    text = values_text if values_text is not None else VALUES.read_text()
    tree = yaml.safe_load(text)
    out = []
    stack: list[str] = []
    comment: list[str] = []
    in_comment = False
    for line in text.splitlines():
        m = re.match(r"^\s*# -- (.*)$", line)
        if m:
            comment, in_comment = [m.group(1)], True
            continue
        m = re.match(r"^\s*#\s?(.*)$", line)
        if m:
            if in_comment:
                comment.append(m.group(1).strip())
            continue
        in_comment = False
        m = re.match(r"^(\s*)([A-Za-z0-9_.-]+):", line)
        if not m:
            continue
        depth = len(m.group(1)) // 2
        if any(part in WHOLE for part in stack[:depth]):
            continue
        stack = stack[:depth] + [m.group(2)]
        value = tree
        for part in stack:
            value = value[part]
        if isinstance(value, dict) and value and stack[-1] not in WHOLE:
            comment = []
            continue
        out.append((".".join(stack), value, " ".join(comment)))
        comment = []
    return out


def table(values_text: str | None = None) -> str:
    lines = []
    for path, value, description in rows(values_text):
        shown = value if isinstance(value, str) and value else json.dumps(value)
        lines.append(f"| `{path}` | `{shown}` | {description} |")
    return HEADER + "\n".join(lines) + "\n"


def readme_table(readme_text: str) -> str:
    start = readme_text.index(HEADER)
    return readme_text[start:]


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        text = README.read_text()
        README.write_text(text[: text.index(HEADER)] + table())
    else:
        sys.stdout.write(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
