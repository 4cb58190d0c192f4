#!/usr/bin/env bash
# The coverage gate (npm run coverage:check) in a throwaway copy of the tree, so that it can run beside
# `npm test`: its instrumented build, typings and coverage files never meet the test run's. The copy holds the
# files git knows (tracked, or new and not ignored) and links the installed node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
trap 'exit 143' TERM
git ls-files --cached --others --exclude-standard -z | xargs -0 cp --parents -t "$copy"
ln -s "$PWD/node_modules" "$copy/node_modules"
cd "$copy"
npm run coverage:check
