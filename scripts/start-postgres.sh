#!/usr/bin/env bash
# Makes a local Postgres available for the store tests and prints its admin URL
# (postgres://xplane:<password>@127.0.0.1:<port>/postgres) on stdout; progress
# goes to stderr. As root on Debian: installs the `postgresql` package if it is
# missing, creates and starts a cluster, and keeps a login role `xplane` (with
# CREATEDB, so each test gets its own database) whose password is generated once
# and kept beside the cluster. Idempotent, and quick when Postgres already runs.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

say() { printf 'start-postgres: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs and starts the system Postgres); or set XPLANE_TEST_POSTGRES_URL to a server you have"

if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "postgresql is not installed and there is no apt-get to install it"
  say "apt-get install postgresql"
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends postgresql >&2
fi

# The newest installed server version, and its cluster (Debian's postinst usually makes `main`).
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
[ -n "$version" ] || die "no Postgres server found under /usr/lib/postgresql"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
  say "pg_createcluster $version main"
  pg_createcluster "$version" main >&2
fi

cluster_field() { pg_lsclusters -h | awk -v v="$version" -v f="$1" '$1 == v && $2 == "main" { print $f }'; }
if [ "$(cluster_field 4)" != "online" ]; then
  say "starting cluster $version main"
  pg_ctlcluster "$version" main start >&2 || service postgresql start >&2
fi
port=$(cluster_field 3)
[ "$(cluster_field 4)" = "online" ] || die "cluster $version main did not start; see /var/log/postgresql/postgresql-$version-main.log"

psql_admin() { runuser -u postgres -- psql --no-psqlrc -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"; }

# Wait for connections (a just-started server may still be recovering).
for _ in $(seq 1 50); do
  psql_admin -tAc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.2
done
psql_admin -tAc 'SELECT 1' >/dev/null || die "cluster $version main is online but does not accept connections"

# The role's password lives with the cluster's data, readable by root only.
secret=/var/lib/postgresql/xplane-test-password
if [ ! -s "$secret" ]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$secret")
fi
password=$(cat "$secret")

# Nothing is written when the role already logs in with the password: test
# processes may run this at the same moment, and concurrent ALTER ROLEs fail.
can_login() {
  PGPASSWORD=$password PGCONNECT_TIMEOUT=5 psql --no-psqlrc -X -q -h 127.0.0.1 -p "$port" -U xplane -d postgres \
    -tAc "SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user" 2>/dev/null | grep -qx t
}
if ! can_login; then
  if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'xplane'")" != "1" ]; then
    say "creating role xplane"
    psql_admin -c "CREATE ROLE xplane LOGIN CREATEDB PASSWORD '$password'"
  else
    say "setting the password of role xplane"
    psql_admin -c "ALTER ROLE xplane LOGIN CREATEDB PASSWORD '$password'"
  fi
  can_login || die "role xplane cannot log in over 127.0.0.1:$port with its password; check pg_hba.conf"
fi

printf 'postgres://xplane:%s@127.0.0.1:%s/postgres\n' "$password" "$port"
