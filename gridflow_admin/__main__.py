"""`python -m gridflow_admin …`: see cli.py."""

from gridflow_admin.cli import main

raise SystemExit(main())
