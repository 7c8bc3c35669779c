#!/usr/bin/env bash
# The run command (make run): the engine on SQLite syncing the example
# config repository as a local git repository, and the Backstage app
# (better-sqlite3) with our plugins next to it; --engine-only leaves
# Backstage out. Ctrl-C stops everything it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

with_backstage=true
[ "${1:-}" = "--engine-only" ] && with_backstage=false

bash scripts/example-repo.sh
export CENTRAL_CONFIG_EXAMPLE_REPO="$root/.data/example-repo"
export CENTRAL_CONFIG_TOKEN="${CENTRAL_CONFIG_TOKEN:-dev-token}"
export CENTRAL_CONFIG_URL="${CENTRAL_CONFIG_URL:-http://127.0.0.1:7080}"

pids=()
stop() {
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do
		# Each child leads its own process group: stop the whole group
		# (yarn start runs several processes).
		kill -TERM -- "-$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	echo "stopped"
}
trap stop EXIT INT TERM

setsid bin/central-config --config examples/app-config.yaml --config examples/app-config.dev.yaml serve &
pids+=($!)

if $with_backstage; then
	bash backstage/scripts/setup.sh
	(cd backstage && exec setsid scripts/yarn start) &
	pids+=($!)
fi

cat <<MSG

  engine API:    $CENTRAL_CONFIG_URL/central-config/last-sync
  entities:      $CENTRAL_CONFIG_URL/central-config/entities
  Kafka:         $CENTRAL_CONFIG_URL/central-config/kafka/topology
MSG
if $with_backstage; then
	cat <<MSG
  Backstage:     http://localhost:3000 (the catalog shows the example organisation)
MSG
fi
cat <<MSG
  try a change:  edit a file in .data/example-repo, git commit, and watch last-sync (syncs every 10 s)
  sync now:      curl -X POST -H 'Authorization: Bearer $CENTRAL_CONFIG_TOKEN' $CENTRAL_CONFIG_URL/central-config/sync
  Ctrl-C stops everything.

MSG
wait -n
