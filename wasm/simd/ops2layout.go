package simd

// Argument block layouts of ops2.wasm (ops2.go), in 32-bit words. All its
// kernels share one block (ops2Args in ops2run.go, bound once).

// dw5(): the interior columns of one image's 5×5 depthwise conv.
const (
	d5X    = iota // input planes [C][H][W]
	d5W           // weights [C][5][5]
	d5Bias        // C floats, or 0
	d5Res         // residual [C][OH][OW], or 0
	d5Y           // output [C][OH][OW]
	d5C
	d5H
	d5Width
	d5OH
	d5OW
	d5S    // stride, 1 or 2
	d5PT   // top padding
	d5OxLo // first interior output column
	d5Cnt  // interior output columns (under 4: every column takes the scalar path)
	d5IXB  // byte offset in an input row of the interior's first tap
	d5Zero // W zeros, read in place of rows above or below the image
	d5Lo   // clamp bounds (float32 bits)
	d5Hi
	d5PL // left padding
	d5Words
)

// pool(): the interior of a 2-D max or average pool, stride 1 or 2.
const (
	plX      = iota // planes [P][H][W]
	plY             // planes [P][OH][OW]
	plPlanes        //
	plH
	plW
	plOH
	plOW
	plKH
	plKW
	plS    // stride, 1 or 2 (both axes)
	plPT   // top padding
	plOyLo // interior output rows [oyLo, oyHi)
	plOyHi
	plOxLo // first interior output column
	plCnt  // interior output columns, at least 4
	plIXB  // byte offset in an input row of the interior's first tap
	plMax  // 1: max, 0: average
	plDiv  // the average's divisor KH*KW (float32 bits)
	plWords
)

// gap(): global average pool, y[p] = Σ x[p][:size] / size.
const (
	gpX = iota
	gpY
	gpPlanes
	gpSize
	gpDiv // float32(size), bits
	gpWords
)

// chan(): dst[p][i] = x[p][i] op s[p] for i < inner (op: 0 add, 1 mul).
const (
	chDst = iota
	chX
	chS
	chPlanes
	chInner
	chOp
	chWords
)

const ops2Words = max(d5Words, plWords, gpWords, chWords, dcWords)

// dwc() (ops3.wasm): a k×k depthwise conv 4 channels at a time, one
// channel per lane, for planes too narrow for dw5's 4-column groups.
const (
	dcX    = iota // input planes [C4][H][W]
	dcW           // weights [C4][k][k]
	dcBias        // C4 floats, or 0
	dcRes         // residual [C4][OH][OW], or 0
	dcY           // output [C4][OH][OW]
	dcC4          // channels, a multiple of 4
	dcH
	dcWidth
	dcOH
	dcOW
	dcS // stride
	dcPT
	dcPL
	dcK
	dcOxLo // interior output columns [oxLo, oxHi), summed as kern's dw5
	dcOxHi
	dcT  // scratch: H*W*4 floats (the 4 planes interleaved), k*k*4 (the weights), then k*4 zeros
	dcLo // clamp bounds (float32 bits)
	dcHi
	dcWords
)
