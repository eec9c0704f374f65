"""python -m scanner_client == inventory-scan."""

import sys

from .cli import main

sys.exit(main())
