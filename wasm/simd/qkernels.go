package simd

import _ "embed"

// qkernelsWasm is the quantized conv's kernels module (qgemm.go: exports
// bind(p), qpack(), qgemm()).
//
//go:embed qkernels.wasm
var qkernelsWasm []byte
