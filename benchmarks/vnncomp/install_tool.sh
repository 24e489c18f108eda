#!/usr/bin/env bash
# VNN-COMP tool interface: install Verdict (system packages, then a release build).
#   install_tool.sh v1
set -euo pipefail
[ "${1:-}" = "v1" ] || { echo "usage: $0 v1" >&2; exit 1; }
cd "$(dirname "$0")/../.."
scripts/setup.sh
swift build -c release
