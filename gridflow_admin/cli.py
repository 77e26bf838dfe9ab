"""The entry point: every admin command as a subcommand of one `gridflow-admin`.

python -m gridflow_admin --help
python -m gridflow_admin routing add --help
"""

from collections.abc import Sequence

import click

from gridflow_admin.archive import verify_archive
from gridflow_admin.calendar import calendar
from gridflow_admin.migrate import migrate
from gridflow_admin.patches import patches
from gridflow_admin.reconcile import reconcile
from gridflow_admin.routing import routing
from gridflow_admin.temporal_setup import temporal_setup


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """gridflow's admin commands: the read model's schema, reconciliation with the workflows,
    the archive's hash chain, the working calendar, the routing rules, the workflow patches
    and a Temporal cluster's namespace (docs/operations.md)."""


for command in (migrate, reconcile, verify_archive, calendar, routing, patches, temporal_setup):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (`argv` without the program's name; None: the command line) and return
    its exit status: 0 done, 2 a usage error, the others as each command's help says. An
    unexpected error propagates (the console prints its traceback)."""
    try:
        cli.main(args=None if argv is None else list(argv), prog_name="gridflow-admin")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    return 0
