#!/usr/bin/env bash
# Installs and starts PostgreSQL (Debian 12, as root) for the HQ tests.
# Contract: prints exactly one line on stdout, `export TAYANCH_TEST_PG_URL=...`, and
# nothing else except errors on stderr, so `eval "$(bash .ci/postgres.sh)"` sets it.
# The role may create databases: the tests make one database per test and drop it.
set -euo pipefail

PG_USER="${TAYANCH_PG_USER:-tayanch}"
PG_PASSWORD="${TAYANCH_PG_PASSWORD:-tayanch-ci}"
PG_DB="${TAYANCH_PG_DB:-tayanch_test}"
PG_PORT="${TAYANCH_PG_PORT:-5432}"

quiet() { "$@" >/dev/null 2>/tmp/postgres-ci.err || { cat /tmp/postgres-ci.err >&2; exit 1; }; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get update -q
    quiet apt-get install -y -q postgresql
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
if ! pg_lsclusters -h 2>/dev/null | grep -q "^${version} main"; then
    quiet pg_createcluster "${version}" main -p "${PG_PORT}"
fi
if ! pg_lsclusters -h | grep -q "^${version} main .* online"; then
    quiet pg_ctlcluster "${version}" main start
fi
for _ in $(seq 1 50); do
    if su postgres -c "pg_isready -q -p ${PG_PORT}" >/dev/null 2>&1; then break; fi
    sleep 0.2
done

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -t -A -p ${PG_PORT} -c \"$1\""; }
if [ -z "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '${PG_USER}'")" ]; then
    quiet psql_admin "CREATE ROLE ${PG_USER} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}'"
fi
# DROP DATABASE .. WITH (FORCE) of a test's database must also end an autovacuum worker
# that happens to be on it, which only a member of pg_signal_backend may do.
quiet psql_admin "GRANT pg_signal_backend TO ${PG_USER}"
if [ -z "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" ]; then
    quiet psql_admin "CREATE DATABASE ${PG_DB} OWNER ${PG_USER}"
fi

echo "export TAYANCH_TEST_PG_URL=postgresql+psycopg://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/${PG_DB}"
