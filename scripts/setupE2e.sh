#!/usr/bin/env bash
# Installs what the end-to-end suite (test/e2e) needs: Debian's Chromium and a code-server build
# (a real VS Code workbench that runs on the machine's Node 20).
#
# code-server's own postinstall refuses to run as root and downloads ripgrep from GitHub, so the
# package is installed without scripts and its native modules are compiled here against the local
# Node headers. Only the npm registry and Debian's apt are contacted.
#
# The build is cached outside the clone and keyed by version; a finished build carries a marker
# file, and a second run with the marker present only checks the apt packages. The build happens
# in a scratch folder that is renamed into place at the end, so an interrupted run never leaves a
# half-built cache that looks complete.
#
# Usage: bash scripts/setupE2e.sh        (cache: ${RESNET_STUDIO_E2E_CACHE:-$HOME/.cache/resnet-studio-e2e})
set -euo pipefail

VERSION=4.100.3
CACHE_ROOT="${RESNET_STUDIO_E2E_CACHE:-$HOME/.cache/resnet-studio-e2e}"
DIR="$CACHE_ROOT/code-server-$VERSION"
MARKER="$DIR/.complete"
APT_PACKAGES=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium g++ make python3)

log() { printf '[setupE2e] %s\n' "$*" >&2; }

install_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing apt packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "not root and no sudo: install ${missing[*]} yourself"; exit 1; }
    sudo=(sudo)
  fi
  # Another apt may be running; wait for its lock instead of failing.
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q "${missing[@]}"
}

build_code_server() {
  local work="$DIR.partial"
  local started=$SECONDS
  rm -rf "$work"
  mkdir -p "$work"
  cd "$work"

  # Compile against the headers that ship with this Node rather than letting node-gyp download them.
  local node_prefix
  node_prefix="$(dirname "$(dirname "$(command -v node)")")"
  if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
  local gyp
  gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  local node_gyp=(node "$gyp")
  [ -f "$gyp" ] || node_gyp=(npx --yes node-gyp)
  local npm_quiet=(--no-audit --no-fund --loglevel=error)

  log "npm install code-server@$VERSION (no scripts)"
  npm init -y >/dev/null
  npm install "${npm_quiet[@]}" --ignore-scripts "code-server@$VERSION"

  log "building argon2"
  (cd node_modules/argon2 &&
    "${node_gyp[@]}" rebuild -j max --loglevel=error --module_name=argon2 --module_path=lib/binding/napi-v3 --napi_build_version=3 >/dev/null &&
    mkdir -p lib/binding/napi-v3 && cp build/Release/argon2.node lib/binding/napi-v3/)

  cd node_modules/code-server/lib/vscode
  log "npm install VS Code's runtime modules (no scripts)"
  npm install "${npm_quiet[@]}" --omit=dev --ignore-scripts
  local d
  while IFS= read -r d; do
    log "building $d"
    (cd "$d" && "${node_gyp[@]}" rebuild -j max --loglevel=error >/dev/null)
  done < <(find node_modules -name binding.gyp -not -path '*/node_modules/*/node_modules/*' -printf '%h\n' | sort)
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  ln -sfn node_modules node_modules.asar
  log "npm install built-in extensions' modules (no scripts)"
  (cd extensions && npm install "${npm_quiet[@]}" --omit=dev --ignore-scripts)

  cd "$work"
  node node_modules/code-server/out/node/entry.js --version >/dev/null
  printf 'code-server %s built in %ss on %s\n' "$VERSION" "$((SECONDS - started))" "$(date -u +%FT%TZ)" >"$work/.complete"
  rm -rf "$DIR"
  mv "$work" "$DIR"
  log "built in $((SECONDS - started))s: $DIR"
}

install_apt_packages
# Two runs on one machine share the cache: the second waits, then finds the marker.
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
flock -w 1800 9 || { log "timed out waiting for another setupE2e run"; exit 1; }
if [ -f "$MARKER" ]; then
  log "code-server $VERSION already built: $DIR"
else
  build_code_server
fi
echo "$DIR/node_modules/code-server/out/node/entry.js"
