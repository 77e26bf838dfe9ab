"""The operator's commands, behind one entry point: `python -m gridflow_admin` (installed as
`gridflow-admin` too). `--help` on it or on any command lists what it takes; docs/operations.md
has one line per command.

One module per command (or group of commands): migrate, reconcile, archive (verify-archive),
calendar, routing, patches; cli.py puts them together. The work itself lives in readmodel/ and
domain/; these modules parse the options, call it and print.
"""
