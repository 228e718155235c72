#!/usr/bin/env bash
# Vendors YASGUI (the SPARQL editor of the /query page) into the package, so that the
# page works offline and never loads code from elsewhere:
#   service/educluster/static/vendor/yasgui/{yasgui.min.js,yasgui.min.css,LICENSE,THIRD-PARTY-LICENSES,VERSION}
# The bundle comes from the npm package @zazuko/yasgui at a pinned version.  That
# package declares the MIT license but ships no license file, so LICENSE is the MIT text
# of the same project as shipped by its predecessor package @triply/yasgui, and
# THIRD-PARTY-LICENSES collects the license files of the packages the bundle is built
# from (its npm dependency tree).  Needs node and npm.  Usage: scripts/vendor-yasgui.sh
set -euo pipefail

VERSION="${YASGUI_VERSION:-4.6.2}"
LICENSE_FROM="@triply/yasgui@4.2.28"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/service/educluster/static/vendor/yasgui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --omit=dev --ignore-scripts "@zazuko/yasgui@$VERSION" >/dev/null
PKG="$WORK/node_modules/@zazuko/yasgui"
mkdir -p "$DEST"
# the source map comment would make browsers' developer tools ask for a file we do not ship
sed -e 's|//# sourceMappingURL=[^ ]*$||' "$PKG/build/yasgui.min.js" > "$DEST/yasgui.min.js"
sed -e 's|/\*# sourceMappingURL=[^ ]*\*/||' "$PKG/build/yasgui.min.css" > "$DEST/yasgui.min.css"

tarball="$(npm pack --silent "$LICENSE_FROM")"
tar -xzf "$tarball" package/LICENSE.txt
{
  echo "YASGUI (@zazuko/yasgui $VERSION), https://github.com/rdfjs/Yasgui"
  echo "Copyright (c) Triply B.V. and Zazuko GmbH, and the YASGUI contributors"
  echo
  cat package/LICENSE.txt
} > "$DEST/LICENSE"

{
  echo "Licenses of the packages bundled in yasgui.min.js (@zazuko/yasgui $VERSION)"
  echo "======================================================================"
  find node_modules -name package.json -not -path '*/node_modules/*/node_modules/*/node_modules/*' \
    -path '*node_modules/*/package.json' | sort | while read -r manifest; do
    dir="$(dirname "$manifest")"
    name="$(node -p "require('./$manifest').name || ''" 2>/dev/null || true)"
    version="$(node -p "require('./$manifest').version || ''" 2>/dev/null || true)"
    license="$(node -p "const l=require('./$manifest').license; typeof l==='object'?l.type:(l||'')" 2>/dev/null || true)"
    [ -n "$name" ] && [ -n "$version" ] || continue
    [ "$(basename "$(dirname "$dir")")" = "node_modules" ] || [ "$(basename "$(dirname "$(dirname "$dir")")")" = "node_modules" ] || continue
    echo
    echo "----------------------------------------------------------------------"
    echo "$name $version ($license)"
    echo "----------------------------------------------------------------------"
    file="$(find "$dir" -maxdepth 1 -iname 'licen[cs]e*' -o -maxdepth 1 -iname 'copying*' | head -1)"
    if [ -n "$file" ]; then cat "$file"; else echo "License: $license (no license file in the package)"; fi
  done
} > "$DEST/THIRD-PARTY-LICENSES"

echo "@zazuko/yasgui $VERSION" > "$DEST/VERSION"
echo "vendored @zazuko/yasgui $VERSION into $DEST"
ls -l "$DEST"
