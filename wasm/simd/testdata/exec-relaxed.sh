#!/usr/bin/env bash
# go test -exec for the relaxed-SIMD run of package simd: Go's
# go_js_wasm_exec with Node's relaxed-SIMD flag, which Node 20 keeps behind
# a V8 flag and refuses in NODE_OPTIONS (Chromium has it on by default).
set -euo pipefail
exec node --experimental-wasm-relaxed-simd --stack-size=8192 "$(go env GOROOT)/lib/wasm/wasm_exec_node.js" "$@"
