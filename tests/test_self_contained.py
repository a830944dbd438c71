"""The project's files cite only what a reader of the repository has: no document from outside it (the
team's first design notes and interface sketch lived beside the repository and are not shipped)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"INTERFACES\.md|(?<![\w/])DESIGN\.md|\.\./shared/")


def test_no_file_cites_a_document_outside_the_repository():
    cited = []
    for folder in ("survey", "analysis", "tests", "bench", "docs", "templates", "migrations"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".md", ".html", ".txt", ".json") and path != Path(__file__).resolve():
                cited += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1)
                          if OUTSIDE.search(line)]
    cited += [f"README.md:{n}" for n, line in enumerate((ROOT / "README.md").read_text().splitlines(), 1)
              if OUTSIDE.search(line)]
    assert cited == []
