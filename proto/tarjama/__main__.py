"""`python -m tarjama` is the `tarjama` command."""

import sys

from tarjama.client.cli import main

sys.exit(main())
