#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, runs on Node 20) from npm into a cache folder,
# offline-safe: nothing but the npm registry is reached. See ../../shared/TOOLCHAIN.md ("VS Code
# in a real host, offline") for why each step is there:
#   - @vscode/ripgrep's postinstall downloads rg: install with --ignore-scripts and link Debian's;
#   - kerberos needs libkrb5-dev; node-pty's postinstall calls npx (npm_config_yes=true);
#   - as root, postinstalls need --unsafe-perm.
# Usage: install-code-server.sh [DIR]   (default: $MANTRA_CODE_SERVER_DIR, else
#        ${XDG_CACHE_HOME:-~/.cache}/mantra/code-server-4.100.3). Prints DIR/node_modules/.bin/code-server.
# Does nothing when DIR already holds a finished install (DIR/.complete).
set -euo pipefail

version=4.100.3
dir="${1:-${MANTRA_CODE_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mantra/code-server-$version}}"
bin="$dir/node_modules/.bin/code-server"

if [ -f "$dir/.complete" ] && [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

for tool in rg make python3 g++; do
  command -v "$tool" >/dev/null || { echo "install-code-server: '$tool' is missing (apt-get install ripgrep make python3 g++ libkrb5-dev)" >&2; exit 1; }
done
[ -e /usr/include/krb5.h ] || [ -e /usr/include/krb5/krb5.h ] ||
  { echo "install-code-server: libkrb5-dev is missing (apt-get install libkrb5-dev)" >&2; exit 1; }

export npm_config_yes=true npm_config_unsafe_perm=true npm_config_fund=false npm_config_audit=false
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
step() { # step DESCRIPTION COMMAND...: runs quietly, shows the log when it fails
  echo "install-code-server: $1" >&2
  shift
  if ! "$@" >>"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "install-code-server: failed: $*" >&2
    exit 1
  fi
}

rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
echo '{"name":"code-server-install","private":true}' >package.json
step "npm install code-server@$version (no scripts)" \
  npm install --no-save --ignore-scripts --unsafe-perm "code-server@$version"
step "rebuild argon2" npm rebuild argon2 --unsafe-perm

cd node_modules/code-server/lib/vscode
step "install VS Code's own dependencies (no scripts)" \
  npm install --omit=dev --ignore-scripts --unsafe-perm
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
step "build native modules (node-pty, kerberos, …)" npm rebuild --unsafe-perm
ln -sfn node_modules node_modules.asar
ln -sf code-linux.sh bin/remote-cli/code-server
ln -sf browser-linux.sh bin/helpers/browser.sh
(cd extensions && step "install the built-in extensions' dependencies" npm install --omit=dev --unsafe-perm)

touch "$dir/.complete"
echo "$bin"
