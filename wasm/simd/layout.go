package simd

// The kernels' argument blocks: words of 32 bits in Go memory whose address
// bind(p) stores once in the module's global 0, so each kernel call is a JS
// call with no arguments (nothing to box, nothing allocated). simd.go fills
// them; the assembler (module.go, native only) reads them.

// Argument block layout, in 32-bit words.
const (
	argAP   = iota // packed A: ceil(mb/4) strips of kb groups of 4 floats
	argBP          // packed B: ceil(nb/8) strips of kb groups of 8 floats
	argKB          // depth
	argMB          // rows of C
	argNB          // columns of C
	argC           // C, row i at c + i*ldc floats
	argLDC         // C's (and res's) row stride, in floats
	argBias        // mb floats, or 0 for none
	argRes         // residual with C's layout, or 0 for none
	argLo          // clamp bounds (float32 bits)
	argHi          //
	argTmp         // 32 floats of scratch for edge tiles
	argLDB         // 0: B packed as above; else B is plain row-major with this row stride (floats) and nb is a multiple of 8
	argWords
)

// argBlockWords is the argument block's size: the larger of the kernels'.
const argBlockWords = max(argWords, dwWords, icWords)

// gemmNR and gemmMR are the register tile: 4 rows of C by 8 columns (two
// f32x4 per row), 8 vector accumulators plus two B vectors and one
// broadcast A value: 11 of x64's 16 vector registers, so nothing spills.
const (
	gemmMR = 4
	gemmNR = 8
)

// Argument block layout of dw3(), in 32-bit words.
const (
	dwX    = iota // input planes [C][H][W]
	dwW           // weights [C][3][3]
	dwBias        // C floats, or 0
	dwRes         // residual [C][OH][OW], or 0
	dwY           // output [C][OH][OW]
	dwC
	dwH
	dwWidth
	dwOH
	dwOW
	dwS  // stride, 1 or 2
	dwPT // top and left padding
	dwPL
	dwOxLo // output columns whose window lies inside the row: [oxLo, oxHi)
	dwOxHi
	dwZero // W zeros, read in place of rows above or below the image
	dwLo   // clamp bounds (float32 bits)
	dwHi
	dwWords
)

// Argument block layout of im2col(), in 32-bit words.
const (
	icX   = iota // one group's input planes [C/G][H][W]
	icDst        // ceil(nb/8) strips of kg groups of 8 floats
	icH
	icW
	icKH
	icKW
	icSH
	icSW
	icPT
	icPL
	icDH
	icDW
	icOW
	icJ0 // first output pixel (column of the im2col matrix)
	icNB // output pixels
	icKG // rows: C/G*KH*KW
	icWords
)

// Argument block layout of ops.wasm's act(), in 32-bit words.
const (
	opsArgDst  = iota // n floats out (may be src)
	opsArgSrc         // n floats in
	opsArgN           // a multiple of 4
	opsArgKind        // kern.ActKind (opsKind*)
	opsArgA           // the activation's parameters (float32 bits)
	opsArgB
	opsWords
)

// The activations act() computes, numbered as kern.ActKind (simd_test
// checks the two agree).
const (
	opsKindHardSigmoid = 3
	opsKindHardSwish   = 4
	opsKindSigmoid     = 5
	opsKindSiLU        = 6
	opsKindTanh        = 8
	opsKindExp         = 9
	opsKindErf         = 10
	opsKindGelu        = 11
	opsKindGeluTanh    = 12
)
