//go:build amd64 && !purego

package kern

// actAVX2 is an ActKernel on AVX2 (only valid where hasAVX2FMA): the
// polynomial activations of act_poly.go 8 lanes at a time, the same
// operations in the same order without fusing (act_amd64.s), so each
// element is bitwise the scalar polynomial's. It takes any length: the
// last n%8 go through the kernel from a padded copy.
func actAVX2(act Act, dst, src []float32) {
	n := len(src)
	if n == 0 {
		return
	}
	dst = dst[:n]
	m := n &^ 7
	if m > 0 {
		actAVX2Rows(act, &dst[0], &src[0], m)
	}
	if m < n {
		var buf [8]float32
		copy(buf[:], src[m:])
		actAVX2Rows(act, &buf[0], &buf[0], 8)
		copy(dst[m:], buf[:n-m])
	}
}

// actAVX2Rows runs act's kernel on n floats, n a multiple of 8.
func actAVX2Rows(act Act, dst, src *float32, n int) {
	switch act.Kind {
	case ActSigmoid:
		sigmoidAVX2(dst, src, n)
	case ActSiLU:
		siluAVX2(dst, src, n)
	case ActTanh:
		tanhAVX2(dst, src, n)
	case ActExp:
		expAVX2(dst, src, n)
	case ActErf:
		erfAVX2(dst, src, n)
	case ActGelu:
		geluAVX2(dst, src, n)
	case ActGeluTanh:
		geluTanhAVX2(dst, src, n)
	case ActHardSigmoid:
		hardSigmoidAVX2(dst, src, n, act.A, act.B)
	case ActHardSwish:
		hardSwishAVX2(dst, src, n)
	default:
		panic("kern: actAVX2: unsupported activation kind")
	}
}

//go:noescape
func sigmoidAVX2(dst, src *float32, n int)

//go:noescape
func siluAVX2(dst, src *float32, n int)

//go:noescape
func tanhAVX2(dst, src *float32, n int)

//go:noescape
func expAVX2(dst, src *float32, n int)

//go:noescape
func erfAVX2(dst, src *float32, n int)

//go:noescape
func geluAVX2(dst, src *float32, n int)

//go:noescape
func geluTanhAVX2(dst, src *float32, n int)

//go:noescape
func hardSigmoidAVX2(dst, src *float32, n int, a, b float32)

//go:noescape
func hardSwishAVX2(dst, src *float32, n int)
