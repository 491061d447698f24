package simd

import _ "embed"

// qkernelsWasm is the quantized conv's kernels module (qgemm.go: exports
// bind(p), qpack(), qgemm()).
//
//go:embed qkernels.wasm
var qkernelsWasm []byte

// qdwWasm is the quantized 3×3 depthwise conv's module (qdw.go: exports
// bind(p), qdw()).
//
//go:embed qdw.wasm
var qdwWasm []byte
