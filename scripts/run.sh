#!/usr/bin/env bash
# The run command (make run): the engine on SQLite syncing the example
# config repository as a local git repository, and the Backstage app
# (better-sqlite3) with our plugins next to it. Ctrl-C stops everything it
# started.
#
#     scripts/run.sh                     engine + Backstage on SQLite
#     scripts/run.sh --engine-only       the engine alone
#     scripts/run.sh --postgres [URL]    both on PostgreSQL: the server at URL
#                                        (or $CENTRAL_CONFIG_POSTGRES_URL), else
#                                        a throwaway local cluster (PostgreSQL
#                                        15 binaries), removed on exit
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

with_backstage=true
postgres=false
pg_url="${CENTRAL_CONFIG_POSTGRES_URL:-}"
case "${1:-}" in
--engine-only) with_backstage=false ;;
--postgres)
	postgres=true
	pg_url="${2:-$pg_url}"
	;;
"") ;;
*)
	echo "usage: scripts/run.sh [--engine-only | --postgres [URL]]" >&2
	exit 2
	;;
esac

bash scripts/example-repo.sh
export CENTRAL_CONFIG_EXAMPLE_REPO="$root/.data/example-repo"
export CENTRAL_CONFIG_TOKEN="${CENTRAL_CONFIG_TOKEN:-dev-token}"
export CENTRAL_CONFIG_URL="${CENTRAL_CONFIG_URL:-http://127.0.0.1:7080}"

pids=()
pg_dir=''
pg_as=()
stop() {
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do
		# Each child leads its own process group: stop the whole group
		# (yarn start runs several processes).
		kill -TERM -- "-$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ -n "$pg_dir" ]; then
		"${pg_as[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
		rm -rf "$pg_dir"
	fi
	echo "stopped"
}
trap stop EXIT INT TERM

engine_configs=(--config examples/app-config.yaml --config examples/app-config.dev.yaml)
backstage_configs=()
if $postgres; then
	if [ -z "$pg_url" ]; then
		# A throwaway cluster: data and socket in a temporary directory, a
		# free port on 127.0.0.1, trust authentication. initdb refuses root:
		# as root it runs as the postgres user.
		bin=/usr/lib/postgresql/15/bin
		[ -x "$bin/initdb" ] || {
			echo "run: PostgreSQL 15 binaries are needed at $bin, or give a server URL: scripts/run.sh --postgres postgres://..." >&2
			exit 1
		}
		pg_dir="$(mktemp -d)"
		if [ "$(id -u)" = 0 ]; then
			chown postgres "$pg_dir"
			pg_as=(runuser -u postgres --)
		fi
		port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
		"${pg_as[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres -A trust >"$pg_dir/initdb.log" 2>&1 ||
			{ cat "$pg_dir/initdb.log" >&2; exit 1; }
		"${pg_as[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir" start >/dev/null ||
			{ cat "$pg_dir/server.log" >&2; exit 1; }
		pg_url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
		echo "PostgreSQL 15 (throwaway, removed on exit) at 127.0.0.1:$port"
	fi
	export CENTRAL_CONFIG_POSTGRES_URL="$pg_url"
	engine_configs+=(--config examples/app-config.postgres.yaml)
	# Absolute: backstage-cli resolves --config in each package's folder.
	backstage_configs=(--config "$root/backstage/app-config.yaml" --config "$root/backstage/app-config.postgres.yaml")
fi

setsid bin/central-config "${engine_configs[@]}" serve &
pids+=($!)

if $with_backstage; then
	bash backstage/scripts/setup.sh
	(cd backstage && exec setsid scripts/yarn start "${backstage_configs[@]}") &
	pids+=($!)
fi

cat <<MSG

  engine API:    $CENTRAL_CONFIG_URL/central-config/last-sync
  entities:      $CENTRAL_CONFIG_URL/central-config/entities
  Kafka:         $CENTRAL_CONFIG_URL/central-config/kafka/topology
MSG
if $postgres; then
	cat <<MSG
  database:      PostgreSQL (the engine's tables and Backstage's backstage_plugin_* databases)
MSG
fi
if $with_backstage; then
	cat <<MSG
  Backstage:     http://localhost:3000 (sign in as guest: the catalog, Sync status, Kafka topology)
MSG
fi
cat <<MSG
  try a change:  edit a file in .data/example-repo, git commit, and watch Sync status (syncs every 10 s)
  sync now:      the Sync now button, or
                 curl -X POST -H 'Authorization: Bearer $CENTRAL_CONFIG_TOKEN' $CENTRAL_CONFIG_URL/central-config/sync
  Ctrl-C stops everything.

MSG
wait -n
