package cpu

import (
	"fmt"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepCol2Im, "Col2Im")
}

// prepCol2Im implements Col2Im (opset 18), the inverse of im2col: the
// input is N × (C·∏block_shape) × L, one column per sliding block of the
// (padded) image, and every column entry is added into the image pixel it
// came from; N-d, with dilations, pads and strides. image_shape and
// block_shape must be known at compile time.
func prepCol2Im(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 3); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 || len(x.Shape) != 3 {
		return nil, fmt.Errorf("%s: input must be a 3-D float tensor (N, C·∏block_shape, L), got %v", n.Label(), x)
	}
	imgT, err := needConst(n, in, 1, "image_shape")
	if err != nil {
		return nil, err
	}
	blkT, err := needConst(n, in, 2, "block_shape")
	if err != nil {
		return nil, err
	}
	img, blk := imgT.AsInts(), blkT.AsInts()
	r := len(img)
	if r == 0 || len(blk) != r || r+2 > graph.MaxRank {
		return nil, fmt.Errorf("%s: image_shape %v and block_shape %v must have the same, non-zero length", n.Label(), img, blk)
	}
	for i := range img {
		if img[i] > graph.MaxElems || blk[i] > graph.MaxElems {
			return nil, fmt.Errorf("%s: image_shape %v or block_shape %v is out of range", n.Label(), img, blk)
		}
	}
	attr := func(name string, size int, def int64) ([]int, error) {
		v := n.Ints(name)
		out := make([]int, size)
		if v == nil {
			for i := range out {
				out[i] = int(def)
			}
			return out, nil
		}
		if len(v) != size {
			return nil, fmt.Errorf("%s: %s %v must have %d values", n.Label(), name, v, size)
		}
		for i, e := range v {
			if e > graph.MaxElems || e < -graph.MaxElems {
				return nil, fmt.Errorf("%s: %s %v: %d is out of range", n.Label(), name, v, e)
			}
			out[i] = int(e)
		}
		return out, nil
	}
	dil, err := attr("dilations", r, 1)
	if err != nil {
		return nil, err
	}
	st, err := attr("strides", r, 1)
	if err != nil {
		return nil, err
	}
	pads, err := attr("pads", 2*r, 0)
	if err != nil {
		return nil, err
	}
	kernel, blocks := 1, 1
	nb := make([]int, r) // sliding blocks per axis
	for i := 0; i < r; i++ {
		if img[i] < 1 || blk[i] < 1 || dil[i] < 1 || st[i] < 1 || pads[i] < 0 || pads[i+r] < 0 {
			return nil, fmt.Errorf("%s: image_shape %v, block_shape %v, dilations %v, strides %v and pads %v must be positive (pads non-negative)",
				n.Label(), img, blk, dil, st, pads)
		}
		span := dil[i]*(int(blk[i])-1) + 1
		nb[i] = (int(img[i])+pads[i]+pads[i+r]-span)/st[i] + 1
		if nb[i] < 1 {
			return nil, fmt.Errorf("%s: block %v (dilations %v) does not fit image %v padded by %v", n.Label(), blk, dil, img, pads)
		}
		// Both products stay under L and C·∏block_shape, input sizes, or fail.
		kernel *= int(blk[i])
		blocks *= nb[i]
		if kernel > graph.MaxElems || blocks > graph.MaxElems {
			return nil, fmt.Errorf("%s: image %v and block %v give more blocks or taps than the input %v holds", n.Label(), img, blk, x.Shape)
		}
	}
	N, CK, L := x.Shape[0], x.Shape[1], x.Shape[2]
	if CK%kernel != 0 {
		return nil, fmt.Errorf("%s: input dimension 1 (%d) is not a multiple of ∏block_shape = %d", n.Label(), CK, kernel)
	}
	if L != blocks {
		return nil, fmt.Errorf("%s: input dimension 2 is %d; image %v, block %v, dilations %v, pads %v and strides %v give %v = %d blocks",
			n.Label(), L, img, blk, dil, pads, st, nb, blocks)
	}
	C := CK / kernel
	out := []int{N, C}
	for _, v := range img {
		out = append(out, int(v))
	}
	if err := c.checkOut(n, 0, graph.Float32, out); err != nil {
		return nil, err
	}
	var tables int64
	for i := 0; i < r; i++ {
		tables += 8 * blk[i] * int64(nb[i]) // each factor at most 2³¹
	}
	if err := c.checkTables(n, tables); err != nil {
		return nil, err
	}
	// pos[i][k*nb[i]+j]: the image coordinate along axis i of kernel
	// offset k at block j, or -1 in the padding.
	pos := make([][]int, r)
	for i := 0; i < r; i++ {
		pos[i] = make([]int, int(blk[i])*nb[i])
		for k := 0; k < int(blk[i]); k++ {
			for j := 0; j < nb[i]; j++ {
				p := j*st[i] - pads[i] + k*dil[i]
				if p < 0 || p >= int(img[i]) {
					p = -1
				}
				pos[i][k*nb[i]+j] = p
			}
		}
	}
	ist := strides(out[2:])
	blkInts := make([]int, r)
	for i, v := range blk {
		blkInts[i] = int(v)
	}
	image := graph.NumElems(out[2:])
	return one(graph.Float32, out, func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, o[0].F
		for i := range dst {
			dst[i] = 0
		}
		for b := 0; b < N; b++ {
			for ch := 0; ch < C; ch++ {
				im := dst[(b*C+ch)*image : (b*C+ch+1)*image]
				for kk := 0; kk < kernel; kk++ {
					col := src[((b*C+ch)*kernel+kk)*L : ((b*C+ch)*kernel+kk+1)*L]
					for l := 0; l < L; l++ {
						off, inside := 0, true
						for i, rk, rl := r-1, kk, l; i >= 0; i-- {
							k, j := rk%blkInts[i], rl%nb[i]
							rk, rl = rk/blkInts[i], rl/nb[i]
							p := pos[i][k*nb[i]+j]
							if p < 0 {
								inside = false
								break
							}
							off += p * ist[i]
						}
						if inside {
							im[off] += col[l]
						}
					}
				}
			}
		}
		return nil
	}), nil
}
