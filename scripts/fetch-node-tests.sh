#!/usr/bin/env bash
# Fetches Node 20.19.2's own test suite (test/parallel, test/common, test/fixtures) from the
# orig tarball of Debian trixie's `nodejs` source package, and unpacks it into a cache outside
# the repo: $NODE_TEST_DIR, default ~/.cache/agentos-sidecar/node-v20.19.2. The conformance
# runner (scripts/node-conformance.mjs) reads it from there.
#
# apt-get runs with private state, cache and source list under the cache directory, so the
# system's apt configuration is neither read nor changed. `apt-get source` exits non-zero
# because trixie's .dsc and .debian.tar.xz are missing from the mirror (404), but the orig
# tarball downloads first, and it is all we need: the exit status is ignored and the tarball
# checked instead. Idempotent: a cache that is already complete returns at once.
set -euo pipefail

VERSION=20.19.2
DIR="${NODE_TEST_DIR:-$HOME/.cache/agentos-sidecar/node-v$VERSION}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MARK="$DIR/.complete"

if [[ -f "$MARK" && -d "$DIR/test/parallel" && -d "$DIR/test/common" && -d "$DIR/test/fixtures" ]]; then
  echo "node tests: cached in $DIR"
  exit 0
fi
command -v apt-get >/dev/null || { echo "node tests: apt-get is needed to fetch Debian's nodejs source" >&2; exit 1; }
[[ -f "$KEYRING" ]] || { echo "node tests: $KEYRING is missing (install debian-archive-keyring)" >&2; exit 1; }

WORK="$DIR.fetch"
mkdir -p "$WORK/state/lists/partial" "$WORK/cache/archives/partial" "$WORK/src"
echo "deb-src [signed-by=$KEYRING] $MIRROR trixie main" >"$WORK/sources.list"
APT=(apt-get -q
  -o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$WORK/state/lists" -o "Dir::Cache=$WORK/cache"
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root)

TARBALL="$WORK/src/nodejs_$VERSION+dfsg.orig.tar.xz"
if [[ ! -f "$TARBALL" ]]; then
  "${APT[@]}" update >&2
  # Exits non-zero on the missing .dsc (see above); the tarball is checked just below.
  (cd "$WORK/src" && "${APT[@]}" source --download-only nodejs >&2) || true
fi
[[ -f "$TARBALL" ]] || { echo "node tests: apt-get did not download $(basename "$TARBALL") (trixie's nodejs is no longer $VERSION?)" >&2; exit 1; }

mkdir -p "$DIR"
tar -xJf "$TARBALL" -C "$DIR" --strip-components=1 \
  "node-v$VERSION/test/parallel" "node-v$VERSION/test/common" "node-v$VERSION/test/fixtures"
touch "$MARK"
rm -rf "$WORK"
echo "node tests: $(ls "$DIR/test/parallel" | grep -cE '^test-.*\.m?js$') files in $DIR/test/parallel"
