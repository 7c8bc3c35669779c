#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and the wait_for predicates run indirectly
# HTTP API load benchmark: builds the engine, serves a throwaway copy of the
# example config repository (a temp git repo) from a temp SQLite database on
# a free port, and drives it with bench/loadgen, an open-loop load generator
# that measures latency from each request's scheduled start:
#
#   GET /central-config/last-sync                       expect 200
#   GET /central-config/entities  If-None-Match: "G"    expect 304
#
# at each rate of BENCH_RATES (default "1000 2000" req/s) for BENCH_DURATION
# (default 10s) each, with BENCH_SOURCES sources (default 50: the example
# repository and small dir sources with one team each, every fifth with a
# broken file, so last-sync reports failed files and file errors), then prints a markdown table on stdout (progress goes
# to stderr), or with BENCH_FORMAT=benchfmt one line per row in the Go
# benchmark format (what `make bench` collects). Exits 1 when any request
# failed. The engine and every temp file are removed on exit, on failure
# and on Ctrl-C.
#
#   bash bench/api.sh
#   BENCH_RATES=1000 BENCH_DURATION=5s bash bench/api.sh
#   BENCH_FORMAT=benchfmt bash bench/api.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rates="${BENCH_RATES:-1000 2000}"
duration="${BENCH_DURATION:-10s}"
format="${BENCH_FORMAT:-markdown}"
sources="${BENCH_SOURCES:-50}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/central-config-api-bench.XXXXXX")"
engine_pid=""

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [ -n "$engine_pid" ] && kill -0 "$engine_pid" 2>/dev/null; then
		kill -TERM "$engine_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$engine_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$engine_pid" 2>/dev/null || true
		wait "$engine_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "api.sh: $*" >&2; }

die() {
	log "$*"
	if [ -s "$tmp/engine.log" ]; then
		log "last lines of the engine log:"
		tail -n 20 "$tmp/engine.log" >&2
	fi
	exit 1
}

for tool in curl git jq go make; do
	command -v "$tool" >/dev/null || die "$tool is required"
done

# free_port prints a loopback port nothing listens on (a connect is refused).
free_port() {
	local port
	for _ in $(seq 100); do
		port=$((20000 + RANDOM % 30000))
		if ! (: <>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

log "building the engine and the load generator"
make --no-print-directory build >&2
go build -o "$tmp/loadgen" ./bench/loadgen

log "creating the example config repository in $tmp/repo"
repo="$tmp/repo"
mkdir -p "$repo"
cp -R examples/central-config/. "$repo/"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name="central-config bench" -c user.email="bench@central-config.invalid" -c commit.gpgsign=false \
	commit -q -m "Example config repository"

# The other sources: a folder each, one team, and a broken file in every
# fifth (its errors and failed-file count are what last-sync reads).
extra_sources=""
for i in $(seq 2 "$sources"); do
	dir="$tmp/sources/s$i"
	mkdir -p "$dir"
	printf 'apiVersion: central-config.io/v1\nteams:\n  - name: bench-team-%d\n    title: Bench team %d\n' "$i" "$i" >"$dir/teams.yaml"
	if [ $((i % 5)) -eq 0 ]; then
		printf 'apiVersion: central-config.io/v1\nteams:\n  - name: [broken\n' >"$dir/broken.yaml"
	fi
	extra_sources+="    - { id: bench-$i, dir: { path: \"$dir\" }, schedule: { frequency: { seconds: 10 } } }"$'\n'
done

port="$(free_port)" || die "no free port found"
base="http://127.0.0.1:$port"
token="bench-$RANDOM$RANDOM"
cat >"$tmp/bench.yaml" <<EOF
# Overlay written by bench/api.sh: a throwaway database, cache and port.
centralConfig:
  sources:
    - id: example
      git:
        url: file://$repo
        branch: main
      schedule:
        frequency: { seconds: 10 }
$extra_sources  database:
    client: sqlite
    connection: $tmp/central-config.db
  cacheDir: $tmp/cache
  server:
    listen: 127.0.0.1:$port
  logging:
    format: json
EOF

log "starting the engine on $base"
CENTRAL_CONFIG_EXAMPLE_REPO="$repo" CENTRAL_CONFIG_TOKEN="$token" \
	"$root/bin/central-config" --config examples/app-config.yaml --config examples/app-config.dev.yaml \
	--config "$tmp/bench.yaml" serve >"$tmp/engine.log" 2>&1 &
engine_pid=$!

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.1s.
wait_for() {
	local what=$1 secs=$2
	shift 2
	local deadline=$((SECONDS + secs))
	until "$@"; do
		kill -0 "$engine_pid" 2>/dev/null || die "the engine exited while waiting for $what"
		[ "$SECONDS" -lt "$deadline" ] || die "timed out after ${secs}s waiting for $what"
		sleep 0.1
	done
}
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/readyz" || true)" = 200 ]; }
generation() { curl -fsS --max-time 5 "$base/central-config/last-sync" | jq -er '.generation'; }
synced() {
	local g
	g="$(generation 2>/dev/null)" || return 1
	[ "$g" -ge 1 ]
}

wait_for "GET /readyz to answer 200" 30 ready
wait_for "the first sync (last-sync generation >= 1)" 30 synced
# every source has run once (a status with a last run)
all_ran() { [ "$(curl -fsS --max-time 5 "$base/central-config/last-sync" | jq '[.sources[] | select(.lastRun != null)] | length')" = "$sources" ]; }
wait_for "a first run of all $sources sources" 60 all_ran
gen="$(generation)"
entities="$(curl -fsS --max-time 10 "$base/central-config/entities" | jq -er '.entities | length')"
etag="\"$gen\""
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "If-None-Match: $etag" "$base/central-config/entities")"
[ "$code" = 304 ] || die "GET /central-config/entities with If-None-Match: $etag answered $code, want 304"
log "ready: generation $gen, $entities entities; $(nproc) CPUs shared by the engine and the load generator"

failed=0
rows=()
notes=()
benchfmt=()
# bench NAME KEY RATE EXPECT PATH [HEADER]: KEY names the row in benchfmt.
bench() {
	local name=$1 key=$2 rate=$3 expect=$4 path=$5
	shift 5
	local args=(-url "$base$path" -rate "$rate" -duration "$duration" -expect "$expect" -json)
	local h
	for h in "$@"; do
		args+=(-header "$h")
	done
	log "$name at $rate req/s for $duration"
	local out="$tmp/result-${#rows[@]}.json" rc=0
	"$tmp/loadgen" "${args[@]}" >"$out" || rc=$?
	jq -e . "$out" >/dev/null 2>&1 || die "loadgen (exit $rc) printed no result"
	case $rc in
	0) ;;
	1)
		failed=1
		log "$name at $rate req/s: $(jq -c '{errors, status_counts, error_samples}' "$out")"
		;;
	*) die "loadgen failed (exit $rc)" ;;
	esac
	if jq -e '.achieved_rate < 0.95 * .target_rate' "$out" >/dev/null; then
		notes+=("$name at $rate req/s: requests started late (max $(jq -r .max_start_lag_ms "$out") ms behind schedule): all 256 in-flight slots were busy (the engine, or this shared host, could not keep up); latencies include the queueing")
	fi
	rows+=("$(jq -r --arg name "$name" \
		'"| \($name) | \(.target_rate) | \(.achieved_rate * 10 | round / 10) | \(.latency_ms.p50) | \(.latency_ms.p99) | \(.latency_ms.max) | \(.errors) |"' \
		"$out")")
	benchfmt+=("$(jq -r --arg key "$key" \
		'"BenchmarkAPI/endpoint=\($key)/rate=\(.target_rate) 1 \(.achieved_rate) req/s \(.latency_ms.p50) p50-ms \(.latency_ms.p99) p99-ms \(.latency_ms.max) max-ms \(.errors) errors"' \
		"$out")")
}

for rate in $rates; do
	bench "GET /central-config/last-sync" last-sync "$rate" 200 /central-config/last-sync
	bench "GET /central-config/entities (If-None-Match → 304)" entities-304 "$rate" 304 /central-config/entities "If-None-Match: $etag"
done

if [ "$format" = benchfmt ]; then
	echo "entities: $entities"
	echo "sources: $sources"
	echo "store: sqlite"
	printf '%s\n' "${benchfmt[@]}"
	for n in "${notes[@]}"; do
		log "$n"
	done
	exit "$failed"
fi

echo
echo "$("$root/bin/central-config" version 2>/dev/null || echo central-config): generation $gen, $entities entities in $sources sources, SQLite;" \
	"$(nproc) CPUs shared with the load generator; $duration per row; latency from the scheduled start (ms)"
echo
echo "| endpoint | rate (req/s) | achieved (req/s) | p50 (ms) | p99 (ms) | max (ms) | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
if [ "${#notes[@]}" -gt 0 ]; then
	echo
	printf -- '- %s\n' "${notes[@]}"
fi
exit "$failed"
