#!/usr/bin/env bash
# Renders SVG plots to PNG in headless Chromium (apt-get install chromium), the way a browser
# shows them, for checking by eye: each FILE.svg gives FILE.svg.png in OUT (default /tmp).
#   benchmarks/render-plots.sh [--out DIR] FILE.svg...
set -euo pipefail
out=/tmp
if [ "${1:-}" = "--out" ]; then out=$2; shift 2; fi
[ "$#" -ge 1 ] || { echo "usage: $0 [--out DIR] FILE.svg..." >&2; exit 1; }
for svg in "$@"; do
    size=$(sed -n 's/.*<svg [^>]*width="\([0-9]*\)" height="\([0-9]*\)".*/\1,\2/p' "$svg" | head -1)
    png="$out/$(basename "$svg").png"
    chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size="${size:-800,600}" \
        --screenshot="$png" "file://$(realpath "$svg")" > /dev/null 2>&1
    echo "$png"
done
