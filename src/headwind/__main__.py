"""``python -m headwind``: the same command line as the ``headwind`` console script."""

from headwind.cli import main

raise SystemExit(main())
