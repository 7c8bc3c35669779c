#!/usr/bin/env bash
# The run command (make run): the engine on SQLite syncing the example
# config repository as a local git repository, and the Backstage app
# (better-sqlite3) with our plugins next to it. Ctrl-C stops everything it
# started, and the script exits 0 when everything stopped cleanly.
#
# The terminal shows what a user needs: the URLs, the engine's syncs,
# warnings and errors, Backstage's warnings and errors, and the progress of
# the first install (about 4 minutes in yarn install). The full logs are in
# .data/logs/engine.log and .data/logs/backstage.log (rewritten each run).
#
#     scripts/run.sh                     engine + Backstage on SQLite
#     scripts/run.sh --engine-only       the engine alone
#     scripts/run.sh --postgres [URL]    both on PostgreSQL: the server at URL
#                                        (or $CENTRAL_CONFIG_POSTGRES_URL), else
#                                        a throwaway local cluster (PostgreSQL
#                                        15 binaries), removed on exit
set -euo pipefail
# wait -n -p (below) needs bash 5.1; macOS ships 3.2 (brew install bash).
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
	echo "run: needs bash 5.1 or newer (wait -n -p); this is bash $BASH_VERSION (on macOS: brew install bash, then make run again)" >&2
	exit 1
fi
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

logs="$root/.data/logs"
mkdir -p "$logs"
: >"$logs/engine.log"
if $with_backstage; then
	: >"$logs/backstage.log"
fi

# awk reading a pipe line by line, so lines reach the terminal as they come
# (mawk, Debian's awk, otherwise reads the pipe in large blocks). Its output
# goes through sed -u, which writes each line at once (mawk -W interactive
# writes a line and its newline apart, and lines of two services would mix).
awk_lines=(awk)
if awk -W version 2>&1 | grep -qi mawk; then
	awk_lines=(awk -W interactive)
fi

# engine_terminal: the engine's JSON log lines, reduced to what a user of
# make run needs in one short line each: start and syncs with their main
# fields, warnings and errors with all their fields; other lines (a panic, a
# configuration error) as they are.
engine_terminal() {
	"${awk_lines[@]}" '
	function field(k,   re, v) {
		re = "\"" k "\":(\"([^\"\\\\]|\\\\.)*\"|[^,}]*)"
		if (!match($0, re)) return ""
		v = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
		gsub(/^"|"$/, "", v)
		return v
	}
	# every field but time, level and msg, as key=value (a string value
	# unquoted, an object or a list as it is)
	function all_fields(   rest, pair, p, k, v, out) {
		rest = $0; out = ""
		while (match(rest, /"[^"]+":("([^"\\]|\\.)*"|\{[^}]*\}|\[[^\]]*\]|[^,}]*)/)) {
			pair = substr(rest, RSTART, RLENGTH)
			rest = substr(rest, RSTART + RLENGTH)
			p = index(pair, "\":")
			k = substr(pair, 2, p - 2); v = substr(pair, p + 2)
			if (k == "time" || k == "level" || k == "msg") continue
			gsub(/^"|"$/, "", v)
			if (k == "revision") v = substr(v, 1, 12)
			out = out " " k "=" v
		}
		return out
	}
	!/^\{/ { print "engine    " $0; fflush(); next }
	{
		level = field("level"); msg = field("msg")
		if (level != "WARN" && level != "ERROR" && msg != "central-config engine started" && msg != "sync finished") next
		line = "engine    " substr(field("time"), 12, 8)
		if (level != "INFO") line = line " " level
		line = line " " msg
		if (level == "WARN" || level == "ERROR") { print line all_fields(); fflush(); next }
		n = split("address source run outcome revision entities locations added changed removed file_errors reason url error", keys, " ")
		for (i = 1; i <= n; i++) {
			v = field(keys[i])
			if (v == "") continue
			if (keys[i] == "revision") v = substr(v, 1, 12)
			line = line " " keys[i] "=" v
		}
		print line; fflush()
	}' | sed -u ''
}

# backstage_terminal: Backstage's warnings and errors (backend log lines at
# warn or error, compile errors of the frontend); not its per-request and
# other info lines.
backstage_terminal() {
	sed -u 's/\x1b\[[0-9;]*m//g' | "${awk_lines[@]}" '
	/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ {
		# The backend: timestamp, plugin, level, message, fields.
		if ($3 == "warn" || $3 == "error") { print "backstage " $0; fflush() }
		next
	}
	/ERROR|[Ee]rror:|Failed to compile/ { print "backstage " $0; fflush() }' | sed -u ''
}

# say: a line of this script, apart from the services' lines.
say() { printf 'run       %s\n' "$*"; }

pids=()
names=()
pg_dir=''
pg_as=()
interrupted=false
# stop ends every child (each leads its own process group: stop the whole
# group; yarn start runs several processes), waits up to 30 s for each, and
# exits: 0 after Ctrl-C when every child stopped cleanly (within the 30 s,
# the engine with status 0), else 1.
stop() {
	local status=$? clean=true report=() i pid st waited
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || true
	done
	for i in "${!pids[@]}"; do
		pid=${pids[$i]}
		waited=0
		while kill -0 "$pid" 2>/dev/null && [ $waited -lt 300 ]; do
			sleep 0.1
			waited=$((waited + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL -- "-$pid" 2>/dev/null || true
			report+=("${names[$i]} killed after 30 s")
			clean=false
		fi
		st=0
		wait "$pid" 2>/dev/null || st=$?
		# The engine exits 0 on SIGTERM; yarn start and setup (Yarn, Node
		# and their children) have no meaningful status once terminated:
		# stopping within the 30 s is what counts.
		case "${names[$i]}:$st" in
		engine:0 | backstage:* | "backstage setup":*) ;;
		*) clean=false ;;
		esac
		report+=("${names[$i]} exited $st")
	done
	wait 2>/dev/null || true
	if [ -n "$pg_dir" ]; then
		"${pg_as[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
		rm -rf "$pg_dir"
	fi
	local joined
	joined="$(printf '%s, ' "${report[@]}")"
	joined="${joined%, }"
	say "stopped (${joined:-nothing was running}); full logs: .data/logs/"
	if $interrupted && $clean; then
		exit 0
	fi
	[ "$status" -ne 0 ] || status=1
	exit "$status"
}
on_signal() {
	interrupted=true
	echo
	stop
}
trap stop EXIT
trap on_signal INT TERM

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
cat <<MSG
  try a change:  edit a file in .data/example-repo, git commit, and watch Sync status (syncs every 10 s)
  sync now:      the Sync now button, or
                 curl -X POST -H 'Authorization: Bearer $CENTRAL_CONFIG_TOKEN' $CENTRAL_CONFIG_URL/central-config/sync
  logs:          .data/logs/engine.log$($with_backstage && echo ", .data/logs/backstage.log")
  Ctrl-C stops everything.

MSG

setsid bin/central-config "${engine_configs[@]}" serve > >(trap "" INT; tee -a "$logs/engine.log" | engine_terminal) 2>&1 &
engine_pid=$!
pids+=("$engine_pid")
names+=(engine)
say "engine: started; its full log is .data/logs/engine.log"

# engine_alive: stops the script, with the end of the engine's log, when
# the engine has exited (while Backstage installs or starts, which takes
# minutes, rather than once Backstage is up).
engine_alive() {
	kill -0 "$engine_pid" 2>/dev/null && return
	local st=0
	wait "$engine_pid" 2>/dev/null || st=$?
	unset 'pids[0]' 'names[0]'
	sleep 0.2 # the last lines reach the log
	say "engine exited on its own (exit $st); the last lines of .data/logs/engine.log:"
	tail -n 20 "$logs/engine.log" >&2
	exit 1
}

# http_code URL: the HTTP status code at URL, 000 when nothing answers
# (without curl, a plain HTTP/1.0 request over bash's /dev/tcp).
http_code() {
	local code='' hostport path status
	if command -v curl >/dev/null; then
		code="$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$1" 2>/dev/null)" || true
		echo "${code:-000}"
		return
	fi
	hostport="${1#http://}"
	path="/${hostport#*/}"
	[ "$path" != "/$hostport" ] || path=/
	hostport="${hostport%%/*}"
	status="$(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || exit
		printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
		read -r -t 2 status <&3 && echo "$status"
	)" || true
	code="$(echo "$status" | awk '{ print $2 }')"
	echo "${code:-000}"
}

# answers URL: true once something serves HTTP there.
answers() { [ "$(http_code "$1")" != 000 ]; }

# ready URL: true once URL answers 200 (Backstage's readiness endpoint
# answers 503 while the backend starts its plugins).
ready() { [ "$(http_code "$1")" = 200 ]; }

if $with_backstage; then
	# Install Backstage's dependencies when needed (the first time: about 4
	# minutes in yarn install), showing progress: setup's own lines, and
	# every 30 s how long it has run and Yarn's current step.
	say "backstage: installing its dependencies when needed (the first run spends about 4 minutes in yarn install); the engine is already up"
	setsid bash backstage/scripts/setup.sh > >(trap "" INT; tee -a "$logs/backstage.log" | grep --line-buffered '^backstage setup:') 2>&1 &
	setup_pid=$!
	pids+=("$setup_pid")
	names+=("backstage setup")
	t0=$SECONDS
	next_beat=$((t0 + 30))
	while kill -0 "$setup_pid" 2>/dev/null; do
		engine_alive
		sleep 1
		if [ "$SECONDS" -ge "$next_beat" ] && kill -0 "$setup_pid" 2>/dev/null; then
			step="$(grep -o '┌ [A-Za-z -]* step' "$logs/backstage.log" | tail -n 1 | sed 's/^┌ //')" || true
			say "backstage: still installing, $((SECONDS - t0)) s${step:+ (yarn: $step)}"
			next_beat=$((next_beat + 30))
			[ "$next_beat" -gt "$SECONDS" ] || next_beat=$((SECONDS + 30))
		fi
	done
	engine_alive
	st=0
	wait "$setup_pid" || st=$?
	unset 'pids[-1]' 'names[-1]'
	if [ "$st" -ne 0 ]; then
		say "backstage: setup failed (exit $st); the last lines of .data/logs/backstage.log:"
		tail -n 30 "$logs/backstage.log" >&2
		exit 1
	fi

	(cd backstage && exec setsid scripts/yarn start "${backstage_configs[@]}") > >(trap "" INT; tee -a "$logs/backstage.log" | backstage_terminal) 2>&1 &
	pids+=($!)
	names+=(backstage)
	say "backstage: starting (yarn start: the backend on :7007, the frontend on :3000); its full log is .data/logs/backstage.log"
	t0=$SECONDS
	next_beat=$((t0 + 30))
	until ready http://localhost:7007/.backstage/health/v1/readiness && answers http://localhost:3000; do
		engine_alive
		if ! kill -0 "${pids[-1]}" 2>/dev/null; then
			say "backstage: yarn start exited; see .data/logs/backstage.log"
			exit 1
		fi
		sleep 1
		if [ "$SECONDS" -ge "$next_beat" ]; then
			say "backstage: still starting, $((SECONDS - t0)) s"
			next_beat=$((next_beat + 30))
			[ "$next_beat" -gt "$SECONDS" ] || next_beat=$((SECONDS + 30))
		fi
	done
	cat <<MSG

  Backstage:     http://localhost:3000 (sign in as guest: the catalog, Sync status, Kafka topology), up in $((SECONDS - t0)) s

MSG
fi

# Until Ctrl-C, or a child ends on its own (then stop the rest and fail).
st=0
ended=''
wait -n -p ended "${pids[@]}" || st=$?
for i in "${!pids[@]}"; do
	if [ "${pids[$i]}" = "$ended" ]; then
		say "${names[$i]} exited on its own (exit $st); see .data/logs/"
		unset "pids[$i]" "names[$i]"
	fi
done
exit 1
