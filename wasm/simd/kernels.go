package simd

import _ "embed"

// kernelsWasm is the SIMD kernels module (exports bind(p), peek(p), gemm(),
// dw3(), im2col()), as module.go assembles it natively.
//
//go:embed kernels.wasm
var kernelsWasm []byte

// opsWasm is the activations module (ops.go: exports bind(p), act()).
//
//go:embed ops.wasm
var opsWasm []byte
