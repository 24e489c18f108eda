#!/usr/bin/env bash
# Regenerates Sources/VerdictONNX/Generated/onnx.pb.swift from the official onnx.proto.
# Needs: protoc (Debian's protobuf-compiler), the onnx Python package (for its onnx.proto),
# and a checkout of swift-protobuf to build protoc-gen-swift (about a minute in release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
proto=$(python3 -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))')
git clone -q "${SWIFT_PROTOBUF_GIT:-https://github.com/apple/swift-protobuf.git}" "$work/swift-protobuf"
git -C "$work/swift-protobuf" checkout -q "${SWIFT_PROTOBUF_VERSION:-1.39.0}"
swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift
cp "$proto" "$work/onnx.proto"
protoc --plugin=protoc-gen-swift="$work/swift-protobuf/.build/release/protoc-gen-swift" \
    --swift_opt=Visibility=Public --proto_path="$work" \
    --swift_out="$root/Sources/VerdictONNX/Generated" "$work/onnx.proto"
echo "regenerated $root/Sources/VerdictONNX/Generated/onnx.pb.swift"
