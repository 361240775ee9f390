"""Print the role table (roles x actions x case membership) as Markdown, from
bsu_models.core.access.

The README's table between the ``role-table`` markers is this output; ``--write`` puts it there
(tests/test_role_matrix.py fails while the two differ).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bsu_models.core.access import role_table_markdown

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- role-table -->\n", "<!-- /role-table -->\n"


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between the markers replaced by the table from the code."""
    head, rest = readme.split(START, 1)
    _old, tail = rest.split(END, 1)
    return head + START + role_table_markdown() + END + tail


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        README.write_text(readme_with_table(README.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(role_table_markdown())
