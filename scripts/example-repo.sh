#!/usr/bin/env bash
# Creates .data/example-repo, a git repository holding the example config
# repository, so `make run` can sync it like a real one and a user can
# commit to it and watch the engine pick the change up. Idempotent: an
# existing repository (with the user's commits) is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repo="$root/.data/example-repo"
if [ -d "$repo/.git" ]; then
	exit 0
fi
mkdir -p "$repo"
cp -R "$root/examples/central-config/." "$repo/"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name="central-config example" -c user.email="example@central-config.invalid" \
	commit -q -m "Example config repository"
echo "created $repo (a git repository: edit, commit, and watch the engine sync)"
