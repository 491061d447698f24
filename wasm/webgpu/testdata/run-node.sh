#!/bin/sh
# Runs `go test` of wasm/webgpu compiled to wasm under Node, with WebGPU from
# Dawn (npm webgpu@0.6.2) on SwiftShader's Vulkan, the copy Chromium ships.
# Extra arguments go to go test (e.g. -run Zoo -v).
#   wasm/webgpu/testdata/run-node.sh [go test flags]
set -e
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/node_modules/webgpu" ] || (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"
cd "$here/../../.."
# libvulkan.so.1 and the SwiftShader ICD both come with Debian's Chromium.
NODE_OPTIONS="--import=$here/node-gpu.mjs" \
LD_LIBRARY_PATH="/usr/lib/chromium${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
XDG_RUNTIME_DIR="$tmp" GLIMPSE_WEBGPU=${GLIMPSE_WEBGPU:-1} \
GOOS=js GOARCH=wasm exec go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" "$@" ./wasm/webgpu/
