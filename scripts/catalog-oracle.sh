#!/usr/bin/env bash
# scripts/catalog-oracle.sh — validate rendered Backstage entities with the real
# @backstage/catalog-model code (see test/catalog-oracle/check.mjs).
#
#   render ... | bash scripts/catalog-oracle.sh [--require-location] [--allow-empty]
#   bash scripts/catalog-oracle.sh --self-test     # node:test suite of the oracle
#
# stdin: {"entities":[...]} or a JSON array. stdout: "REJECT kind:ns/name: reason"
# lines and "checked N entities, M rejected". Exit 0 when all are accepted, 1 when
# any is rejected or the input is empty/unparseable. Installs Node 22 (via
# node-env.sh) and the oracle's locked dependencies on first use; install
# output goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "$here")
oracle="$root/test/catalog-oracle"

# shellcheck source=scripts/node-env.sh
source "$here/node-env.sh"

# npm ci when node_modules is missing or older than package-lock.json
# (npm writes node_modules/.package-lock.json at the end of every install).
needs_ci() {
	[ ! -f "$oracle/node_modules/.package-lock.json" ] ||
		[ "$oracle/package-lock.json" -nt "$oracle/node_modules/.package-lock.json" ]
}
if needs_ci; then
	mkdir -p "$root/.tools"
	(
		# One install at a time (parallel make targets).
		if command -v flock >/dev/null 2>&1; then
			exec 9>"$root/.tools/catalog-oracle.lock"
			flock 9
		fi
		if needs_ci; then
			echo "catalog-oracle: npm ci in test/catalog-oracle..." >&2
			npm ci --prefix "$oracle" --no-audit --no-fund --loglevel=error >&2
		fi
	)
fi

if [ "${1:-}" = "--self-test" ]; then
	shift
	exec node --test "$@" "$oracle/check.test.mjs"
fi
exec node "$oracle/check.mjs" "$@"
