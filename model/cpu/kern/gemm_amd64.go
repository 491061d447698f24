//go:build amd64 && !purego

package kern

import (
	"math"
	"unsafe"
)

// gemmTiles is the AVX2+FMA micro-kernel (gemm_amd64.s): one packed 4-row
// A strip times ntiles 8-column B tiles, with bias, residual and clamp.
//
//go:noescape
func gemmTiles(kb int, a, b *float32, tileStep, rowStep uintptr, c *float32, ldc uintptr, bias *[4]float32, res *float32, lo, hi float32, ntiles int)

// gemmAVX2 is the GemmKernel (vec.go) on AVX2+FMA: whole 4-row strips and
// whole 8-column tiles go straight to gemmTiles; an M edge (mb not a
// multiple of 4) or a packed last strip narrower than 8 is computed into a
// small tile and its valid part written out in Go. Products are fused
// multiply-adds, so results differ from the scalar kernel's in the last
// bits (each FMA rounds once instead of twice).
func gemmAVX2(ap, bp []float32, ldb, kb, mb, nb int, c []float32, ldc int, bias, res []float32, lo, hi float32) {
	const f = 4                                                // bytes per float32
	tileStep, rowStep := uintptr(kb*VecNR*f), uintptr(VecNR*f) // packed strips
	if ldb != 0 {
		tileStep, rowStep = VecNR*f, uintptr(ldb*f) // plain B
	}
	full := nb / VecNR
	for i := 0; i < mb; i += mr {
		rows := min(mr, mb-i)
		a := &ap[(i/mr)*kb*mr]
		var bv [mr]float32
		if bias != nil {
			copy(bv[:rows], bias[i:i+rows])
		}
		if rows == mr && full > 0 {
			var rp *float32
			if res != nil {
				rp = &res[i*ldc]
			}
			gemmTiles(kb, a, &bp[0], tileStep, rowStep, &c[i*ldc], uintptr(ldc*f), &bv, rp, lo, hi, full)
		}
		t0 := full
		if rows < mr {
			t0 = 0
		}
		for t := t0; t*VecNR < nb; t++ {
			edgeTileAVX2(kb, a, unsafe.Add(unsafe.Pointer(&bp[0]), uintptr(t)*tileStep), rowStep, &bv,
				c[i*ldc+t*VecNR:], ldc, res, i*ldc+t*VecNR, rows, min(VecNR, nb-t*VecNR), lo, hi)
		}
	}
}

// edgeTileAVX2 computes one 4×8 tile into a temporary and writes its
// rows×w valid part: c[r*ldc+q] = clamp(t + res[off+r*ldc+q], lo, hi).
func edgeTileAVX2(kb int, a *float32, b unsafe.Pointer, rowStep uintptr, bv *[mr]float32, c []float32, ldc int, res []float32, off, rows, w int, lo, hi float32) {
	var t [mr * VecNR]float32
	inf := float32(math.Inf(1))
	gemmTiles(kb, a, (*float32)(b), 0, rowStep, &t[0], VecNR*4, bv, nil, -inf, inf, 1)
	for r := 0; r < rows; r++ {
		row := c[r*ldc : r*ldc+w]
		for q := range row {
			v := t[r*VecNR+q]
			if res != nil {
				v += res[off+r*ldc+q]
			}
			row[q] = min(max(v, lo), hi)
		}
	}
}
