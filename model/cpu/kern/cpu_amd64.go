//go:build amd64 && !purego

package kern

import "os"

func cpuid(eax, ecx uint32) (a, b, c, d uint32)
func xgetbv0() uint32

// hasAVX2FMA reports whether this CPU and OS run the AVX2+FMA kernels of
// the *_amd64.s files: CPUID says AVX, FMA, OSXSAVE and AVX2, and the OS
// saves the YMM state (XCR0 bits 1 and 2). GLIMPSE_NOSIMD=1 turns them off,
// to compare against or rule out the assembly.
var hasAVX2FMA = detectAVX2FMA()

func detectAVX2FMA() bool {
	if os.Getenv("GLIMPSE_NOSIMD") == "1" {
		return false
	}
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xgetbv0()&6 != 6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0 // AVX2
}
