package simd

import _ "embed"

// kernelsWasm is the SIMD kernels module (exports bind(p), peek(p), gemm(),
// dw3(), im2col()), as module.go assembles it natively.
//
//go:embed kernels.wasm
var kernelsWasm []byte

// kernelsRelaxedWasm is the same module with gemm's multiply-adds as
// relaxed SIMD's f32x4.relaxed_madd (RelaxedModule), used where the engine
// validates it.
//
//go:embed kernels_relaxed.wasm
var kernelsRelaxedWasm []byte

// opsWasm is the activations module (ops.go: exports bind(p), act()).
//
//go:embed ops.wasm
var opsWasm []byte

// ops2Wasm is the CNN ops module (ops2.go: exports bind(p), dw5(), pool(),
// gap(), chan()).
//
//go:embed ops2.wasm
var ops2Wasm []byte

// ops3Wasm is the channel-lane depthwise and 3×3/2 max pool module
// (ops3.go: exports bind(p), dwc(), max3s2()).
//
//go:embed ops3.wasm
var ops3Wasm []byte
