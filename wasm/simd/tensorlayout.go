package simd

import _ "embed"

// Argument block of tensor.wasm's row kernels (tensor.go), in 32-bit
// words; tensorrun.go fills it.
const (
	tArgDst   = iota // rows rows of n floats out (may be src); rowsum: rows floats
	tArgSrc          // rows rows of n floats in
	tArgRows         // rows
	tArgN            // floats per row, >= 4
	tArgScale        // layernorm: n floats
	tArgBias         // layernorm: n floats, or 0 for none
	tArgMean         // layernorm: rows floats out, or 0
	tArgInv          // layernorm: rows floats out, or 0
	tArgEps          // layernorm: epsilon (float32 bits)
	tArgDiv          // rowsum: divisor (float32 bits)
	tArgLDB          // dots: B's row stride in floats (B's first row at tArgScale)
	tArgAdd          // dots: 1: dst[r] += dot; 0: dst[r] = dot
	tArgOp           // binary: 0 add, 1 sub, 2 mul, 3 div (x op y; x at tArgSrc, y at tArgScale)
	tArgXRep         // binary: 1: x is one row, repeated; 0: x advances a row per row
	tArgYRep         // binary: likewise y
	tWords
)

// tensorWasm is the row kernels module (tensor.go: exports bind(p),
// softmax(), layernorm(), rowsum(), dots(), binary()).
//
//go:embed tensor.wasm
var tensorWasm []byte
