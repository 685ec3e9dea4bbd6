"""`python -m callcenter`: the `callcenter` command (how the supervisor starts its worker)."""

import sys

from callcenter.cli import main

sys.exit(main())
