#!/usr/bin/env bash
# backstage/scripts/setup.sh: installs the Backstage app's dependencies with
# the vendored Yarn (yarn install --immutable: the lockfile is the truth),
# only when node_modules is missing or older than the lockfile, a
# package.json or .yarnrc.yml. Prints what it did and how long it took.
# Needs only the npm registry (Node 22 comes from ../scripts/node-env.sh).
set -euo pipefail
app="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$app"

t0=$SECONDS
# shellcheck source=../../scripts/node-env.sh
source ../scripts/node-env.sh
echo "backstage setup: Node $(node --version) ($((SECONDS - t0))s)"

stamp=node_modules/.central-config-installed
reason=''
if [ ! -f "$stamp" ]; then
	reason='node_modules is missing or incomplete'
else
	for f in yarn.lock .yarnrc.yml package.json packages/*/package.json plugins/*/package.json; do
		if [ "$f" -nt "$stamp" ]; then
			reason="$f is newer than node_modules"
			break
		fi
	done
fi

if [ -z "$reason" ]; then
	echo "backstage setup: dependencies up to date (node_modules newer than yarn.lock)"
else
	echo "backstage setup: yarn install --immutable ($reason)"
	t1=$SECONDS
	rm -f "$stamp"
	scripts/yarn install --immutable
	touch "$stamp"
	echo "backstage setup: yarn install took $((SECONDS - t1))s"
fi

# npm packages may ship Go files (flatted does); a go.mod makes node_modules
# a module of its own, so the engine's `go test ./...`, `go vet ./...` and
# golangci-lint never walk into it.
if [ ! -f node_modules/go.mod ]; then
	printf '// Keeps npm packages out of the central-config Go module.\nmodule ignore/backstage/node_modules\n' >node_modules/go.mod
fi
echo "backstage setup: done in $((SECONDS - t0))s"
