package cpu

import (
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepGroupNorm, "GroupNormalization")
}

// prepGroupNorm implements GroupNormalization. The channels of each
// instance are split into num_groups equal groups; each group is
// normalised by its own mean and (biased) variance. The affine step
// differs between the versions, and each is done as its spec says:
//
//   - opset 18 (deprecated in 21 because it does not match PyTorch):
//     scale and bias have num_groups values, one per group;
//   - opset 21: scale and bias have C values, one per channel, and
//     stash_type names the precision of the normalisation (1, float32,
//     the default; the statistics are accumulated in float64 either way).
//
// The input is N×C×D1×…×Dn, n ≥ 0. Opsets before 18 have no such op;
// exporters write Reshape → InstanceNormalization → Reshape → Mul → Add,
// which runs as those ops.
func prepGroupNorm(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 3); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 || in[1].DType != graph.Float32 || in[2].DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs float tensors, got %v, %v and %v", n.Label(), x, in[1], in[2])
	}
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("%s: input %v needs a batch and a channel dimension", n.Label(), x.Shape)
	}
	if !n.Has("num_groups") {
		return nil, fmt.Errorf("%s: missing the num_groups attribute", n.Label())
	}
	G64 := n.Int("num_groups", 0)
	N, C := x.Shape[0], x.Shape[1]
	if G64 < 1 || G64 > int64(C) || int64(C)%G64 != 0 {
		return nil, fmt.Errorf("%s: num_groups %d does not divide the %d channels of %v", n.Label(), G64, C, x.Shape)
	}
	G := int(G64)
	perChannel := c.opset >= 21
	want, what := G, "num_groups"
	if perChannel {
		want, what = C, "channels"
		switch st := n.Int("stash_type", 1); st {
		case 1, 11: // float32, double: the statistics are float64 here
		default:
			return nil, fmt.Errorf("%s: stash_type %d is not supported (1, float32, or 11, double)", n.Label(), st)
		}
	}
	for i, name := range []string{"scale", "bias"} {
		if s := in[i+1].Shape; len(s) != 1 || s[0] != want {
			return nil, fmt.Errorf("%s: %s has shape %v; at opset %d it must be [%d], one value per %s",
				n.Label(), name, s, c.opset, want, what)
		}
	}
	eps := float64(n.Float("epsilon", 1e-5))
	cpg, size := C/G, graph.NumElems(x.Shape[2:])
	return one(graph.Float32, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		scale, bias := in[1].F, in[2].F
		for b := 0; b < N; b++ {
			for g := 0; g < G; g++ {
				off := (b*C + g*cpg) * size
				src := in[0].F[off : off+cpg*size]
				var mean, vr float64
				for _, v := range src {
					mean += float64(v)
				}
				mean /= float64(len(src))
				for _, v := range src {
					d := float64(v) - mean
					vr += d * d
				}
				vr /= float64(len(src))
				inv := 1 / math.Sqrt(vr+eps)
				for k := 0; k < cpg; k++ {
					p := g
					if perChannel {
						p = g*cpg + k
					}
					s := float64(scale[p]) * inv
					sh := float64(bias[p]) - mean*s
					at := off + k*size
					xs, ys := in[0].F[at:at+size], o[0].F[at:at+size]
					for i, v := range xs {
						ys[i] = float32(float64(v)*s + sh)
					}
				}
			}
		}
		return nil
	}), nil
}
