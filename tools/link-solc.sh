#!/usr/bin/env bash
# Make ape-solidity find kura's compiler without downloading one: link tools/solc (native solc's
# command line over the pinned solc-js) as solc-v<version> in py-solc-x's compiler folder
# ($SOLCX_BINARY_PATH, default ~/.solcx). Idempotent: a solc of that version that already answers
# there (this link, another kura checkout's, or a native solc) is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(node -p 'require("solc/package.json").version')
folder=${SOLCX_BINARY_PATH:-$HOME/.solcx}
link=$folder/solc-v$version
answers() { "$link" --version 2>/dev/null | grep -q "^Version: $version+commit"; }

if answers; then
  echo "solc $version for ape-solidity: $link (up to date)"
  exit 0
fi
mkdir -p "$folder"
ln -sfn "$PWD/tools/solc" "$link"
answers || { echo "$link does not answer --version with $version: is Node.js on PATH?" >&2; exit 1; }
echo "solc $version for ape-solidity: $link -> $PWD/tools/solc"
