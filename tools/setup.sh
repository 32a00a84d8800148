#!/usr/bin/env bash
# One-time, idempotent set-up of everything kura needs, from the package registries only:
#   .venv/          Python 3.11 virtualenv with kura and its pinned dependencies
#   node_modules/   anvil, solc, OpenZeppelin, ganache, htmx (package-lock.json)
#   chromium        Debian's browser, for the dashboard's browser tests (apt-get, only when missing)
#   ~/.cache/kura/  the Kubo binary, built once from the Go module proxy
#   build/native/   the native Merkle kernel (offchain/native), built by cargo from crates.io
#   build/          compiled contract artifacts
#   ~/.solcx/       solc-v<version>, a link to tools/solc, where ape-solidity finds its compiler
# A second run only compares stamps and finishes in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[36m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }
stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

python=${KURA_PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))'; then
      python=$candidate; break
    fi
  done
fi
[ -n "$python" ] || die "Python 3.11 or 3.12 is required"
command -v node >/dev/null || die "Node.js 20 (with npm) is required"
command -v go >/dev/null || die "Go is required to build Kubo"
command -v cargo >/dev/null || die "Rust (cargo) is required to build the native Merkle kernel"

want=$(stamp_of pyproject.toml)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.kura-stamp 2>/dev/null)" != "$want" ]; then
  say "installing Python dependencies into .venv"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
  echo "$want" > .venv/.kura-stamp
else
  say "Python dependencies up to date"
fi

want=$(stamp_of package.json package-lock.json)
if [ ! -d node_modules ] || [ "$(cat node_modules/.kura-stamp 2>/dev/null)" != "$want" ]; then
  say "installing Node packages (anvil, solc, OpenZeppelin, ganache, htmx)"
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.kura-stamp
else
  say "Node packages up to date"
fi

if ! command -v chromium >/dev/null; then
  say "installing Debian's chromium (the dashboard's browser tests drive it headless through Playwright)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null; } \
    || die "could not install chromium: run 'apt-get install chromium' as root"
else
  say "chromium present: $(command -v chromium)"
fi

linked=$(bash tools/link-solc.sh) || die "could not link tools/solc for ape-solidity (see above)"
say "$linked"

.venv/bin/kura setup
