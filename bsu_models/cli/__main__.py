"""``python -m bsu_models.cli``: the same as the ``bsu-models`` command."""

import sys

from bsu_models.cli.commands import main

sys.exit(main())
