"""`python -m polybook`: the same as the `polybook` command."""

import sys

from .cli import main

sys.exit(main())
