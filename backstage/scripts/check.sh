#!/usr/bin/env bash
# backstage/scripts/check.sh: every check of the Backstage app, as CI runs
# them: install (when needed), type check, the publishable packages
# (scripts/check-packages.js: publish metadata, repo fix --publish, the
# @backstage/* ranges of the supported releases, the generated API types),
# lint, formatting, and the unit tests, which run the provider's database
# tests on SQLite and on a throwaway PostgreSQL 15 cluster. Prints each step's time and, last, the
# test count as "N passed, N failed".
#
#     bash backstage/scripts/check.sh
#
# BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING (a server and a role
# that may create databases) is used instead of the throwaway cluster when
# set.
set -euo pipefail
app="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$app"

stage() { printf '\n=== backstage: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
timed() {
	local name=$1 t0=$SECONDS
	shift
	stage "$name"
	"$@"
	printf '=== backstage: %s took %ds\n' "$name" $((SECONDS - t0))
}

timed "setup" bash scripts/setup.sh

pg_dir=''
cleanup() {
	if [ -n "$pg_dir" ]; then
		runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 ||
			/usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$pg_dir"
	fi
}
trap cleanup EXIT

# A private PostgreSQL 15: data and socket in a temporary directory, a free
# port on 127.0.0.1, trust authentication, fsync off. initdb and postgres
# refuse root, so as root the server runs as the postgres user.
start_postgres() {
	local bin=/usr/lib/postgresql/15/bin as=()
	if [ ! -x "$bin/initdb" ]; then
		echo "backstage check: PostgreSQL 15 is needed at $bin (Debian's postgresql-15), or set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING" >&2
		return 1
	fi
	pg_dir="$(mktemp -d)"
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$pg_dir"
		as=(runuser -u postgres --)
	fi
	local port
	port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
	"${as[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync >"$pg_dir/initdb.log" 2>&1 ||
		{ cat "$pg_dir/initdb.log" >&2; return 1; }
	"${as[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null || { cat "$pg_dir/server.log" >&2; return 1; }
	export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="postgresql://postgres@127.0.0.1:$port/postgres"
	echo "backstage check: PostgreSQL 15 on 127.0.0.1:$port"
}

timed "tsc" scripts/yarn tsc
timed "packages" node scripts/check-packages.js
timed "lint" scripts/yarn lint:all
timed "prettier" scripts/yarn prettier:check

if [ -z "${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-}" ]; then
	timed "postgres" start_postgres
fi
log="$(mktemp)"
status=0
timed "test" env CI=true scripts/yarn test:all 2>&1 | tee "$log" || status=$?

# Jest's summary, "Tests: 2 failed, 77 passed, 79 total", as the plain line.
summary="$(grep -E '^Tests: ' "$log" | tail -1 || true)"
rm -f "$log"
passed="$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$summary")"
failed="$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$summary")"
if [ -z "$passed" ] && [ -z "$failed" ]; then
	echo "backstage check: no test summary found" >&2
	exit 1
fi
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
