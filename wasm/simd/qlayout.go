package simd

// Argument blocks of qkernels.wasm (qgemm.go): the quantized conv's SIMD
// kernels, a module of its own like ops.wasm. Words of 32 bits.

// Argument block layout of qpack(), in 32-bit words.
const (
	qpX     = iota // K float planes, plane p at x + p*ld floats
	qpLD           // plane stride, in floats
	qpK            // planes (even)
	qpS            // full strips of 8 columns to pack
	qpDst          // strips of K/2 groups of 16 int16
	qpScale        // x_scale (float32 bits)
	qpLo           // lo−zp, hi−zp (float32 bits)
	qpHi           //
	qpSS           // bytes from one strip of 8 columns to the next (32 in planes)
	qpWords
)

// Argument block layout of qgemm(), in 32-bit words.
const (
	qgA    = iota // ceil(mb/4) strips of kb/2 groups of 4 int16 pairs
	qgB           // ceil(nb/8) strips of kb/2 groups of 16 int16
	qgKB          // depth (even)
	qgMB          // rows
	qgNB          // columns
	qgY           // output, row i at y + i*ldy floats
	qgLDY         // in floats
	qgBias        // ceil(mb/4)*4 int32
	qgMult        // ceil(mb/4)*4 float32
	qgLo          // requantization clamp, less the zero point (float32 bits)
	qgHi          //
	qgYS          // y_scale (float32 bits)
	qgTmp         // 8 floats of scratch for the last, partial column strip
	qgOut8        // 1: write quantized bytes (y and ldy in bytes) instead of floats
	qgZP          // the output's zero point (bytes)
	qgWords
)

// Argument block layout of qpack8() (q8.go), in 32-bit words.
const (
	q8X      = iota // K planes of quantized bytes, plane p at x + p*ld
	q8LD            // plane stride, in bytes
	q8K             // planes (even)
	q8S             // full strips of 8 columns to pack
	q8Dst           // as qpack's
	q8ZP            // the input's zero point
	q8Signed        // 1: int8, 0: uint8
	q8Words
)

// Argument block layout of qquant(), in 32-bit words.
const (
	qqX     = iota // n floats in
	qqDst          // n floats out (may be x)
	qqN            // a multiple of 4
	qqScale        // x_scale (float32 bits)
	qqLo           // lo−zp, hi−zp (float32 bits)
	qqHi           //
	qqOut          // output multiplier (float32 bits): 1, or the scale for Q→DQ
	qqWords
)

// Argument block layout of qrequant(), in 32-bit words.
const (
	qrY    = iota // m rows of integer-valued floats, row i at y + i*ldy floats
	qrN           // elements per row to do (a multiple of 4)
	qrLDY         // in floats
	qrM           // rows
	qrBias        // m int32
	qrMult        // m float32
	qrLo          // requantization clamp, less the zero point (float32 bits)
	qrHi          //
	qrYS          // y_scale (float32 bits)
	qrY8          // with qrOut8: where the bytes go, row i at y8 + i*ldy
	qrOut8        // 1: write quantized bytes instead of floats in place
	qrZP          // the output's zero point (bytes)
	qrWords
)

// Argument block layout of qdw() (qdw.go), in 32-bit words.
const (
	qdX       = iota // C input planes of H*W floats
	qdY              // C output planes of OH*OW floats
	qdWts            // C*9 int32 weights less their zero point
	qdBias           // C int32
	qdMult           // C float32
	qdPad            // the zeroed int16 padded plane (rows of qdWR values, 32 spare)
	qdTmp            // 8 floats of scratch (OW < 8)
	qdC              //
	qdH              //
	qdW              // at least 4
	qdOH             //
	qdOW             //
	qdS              // stride: 1 or 2
	qdPT             //
	qdPL             //
	qdWR             // padded row, in int16
	qdXScale         // x_scale (float32 bits)
	qdXLo            // input range less its zero point (float32 bits)
	qdXHi            //
	qdLo             // requantization clamp, less the zero point (float32 bits)
	qdHi             //
	qdYS             // y_scale (float32 bits)
	qdIn8            // 1: the input is quantized bytes (planes of H*W)
	qdXSigned        // 1: int8, 0: uint8
	qdXZP            // the input's zero point (bytes)
	qdOut8           // 1: write quantized bytes (planes of OH*OW)
	qdYZP            // the output's zero point (bytes)
	qdWords
)

// qArgWords is the argument block's size: the largest of the kernels'.
const qArgWords = max(qpWords, qgWords, qqWords, qrWords, qdWords, q8Words)
