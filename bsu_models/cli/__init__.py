"""The ``bsu-models`` command line: one module per command group (``commands`` holds the
parser, cases, imports, listings, checks and renders; ``scene``, ``exhibit``, ``video``, ``users``,
``members`` and ``records`` the rest; ``args`` the translated argparse).

May import: anything in ``bsu_models``. Nothing imports it (an import-linter contract); the
console script ``bsu-models`` and ``python -m bsu_models.cli`` call ``main``.
"""

from bsu_models.cli.commands import (
    WATERMARK_DIR,
    build_parser,
    cmd_case_add,
    cmd_case_list,
    cmd_demo,
    cmd_gc,
    cmd_import,
    cmd_list,
    cmd_render,
    cmd_show,
    cmd_verify,
    main,
)

__all__ = [
    "WATERMARK_DIR",
    "build_parser",
    "cmd_case_add",
    "cmd_case_list",
    "cmd_demo",
    "cmd_gc",
    "cmd_import",
    "cmd_list",
    "cmd_render",
    "cmd_show",
    "cmd_verify",
    "main",
]
