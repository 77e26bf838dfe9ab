#!/bin/sh
# Temporal's two databases on PostgreSQL (temporal, temporal_visibility): created when missing,
# schema set up and upgraded to what this admin-tools image's server version needs. Safe to run on
# every `docker compose up`: each step leaves a database that already has it as it was.
# Runs in temporalio/admin-tools (temporal-sql-tool); the password comes in as SQL_PASSWORD.
set -eu
: "${POSTGRES_SEEDS:?the PostgreSQL host}"
: "${POSTGRES_USER:?the PostgreSQL user}"
: "${SQL_PASSWORD:?the PostgreSQL password}"
port="${DB_PORT:-5432}"
schema_dir=/etc/temporal/schema/postgresql/v12

until nc -z "$POSTGRES_SEEDS" "$port"; do
    echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$port"
    sleep 2
done

for db in temporal temporal_visibility; do
    case "$db" in
        temporal) dir="$schema_dir/temporal/versioned" ;;
        *) dir="$schema_dir/visibility/versioned" ;;
    esac
    sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" --db "$db" "$@"; }
    # An existing database is refused here; a missing one that cannot be made fails the next step.
    sql create-database || echo "database $db exists"
    sql setup-schema -v 0.0
    sql update-schema -d "$dir"
done
echo "Temporal's schema is up to date"
