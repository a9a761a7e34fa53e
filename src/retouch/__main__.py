"""`python -m retouch` runs the CLI."""

from .cli import main

raise SystemExit(main())
