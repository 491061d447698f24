//go:build js && wasm

package kern_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/wasm/simd"
)

// BenchmarkAct times the activations on 4096 floats (ns/element):
// "math64" is the float64 math.Exp/Tanh/Erf loop the engine ran before,
// "poly" the scalar float32 polynomials, "simd" ops.wasm (needs the Node
// preload wasm/simd/testdata/node-mem.mjs; skipped without it).
func BenchmarkAct(b *testing.B) {
	simd.Init()
	va := kern.VecAct()
	sig := func(x float32) float32 {
		if x >= 0 {
			return float32(1 / (1 + math.Exp(-float64(x))))
		}
		e := math.Exp(float64(x))
		return float32(e / (1 + e))
	}
	acts := []struct {
		name string
		act  kern.Act
		m64  func(float32) float32
	}{
		{"silu", kern.Act{Kind: kern.ActSiLU}, func(x float32) float32 { return x * sig(x) }},
		{"sigmoid", kern.Act{Kind: kern.ActSigmoid}, sig},
		{"tanh", kern.Act{Kind: kern.ActTanh}, func(x float32) float32 { return float32(math.Tanh(float64(x))) }},
		{"exp", kern.Act{Kind: kern.ActExp}, func(x float32) float32 { return float32(math.Exp(float64(x))) }},
		{"erf", kern.Act{Kind: kern.ActErf}, func(x float32) float32 { return float32(math.Erf(float64(x))) }},
		{"gelu", kern.Act{Kind: kern.ActGelu}, func(x float32) float32 {
			v := float64(x)
			return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
		}},
		{"gelu_tanh", kern.Act{Kind: kern.ActGeluTanh}, func(x float32) float32 {
			v := float64(x)
			return float32(0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))))
		}},
		{"hardswish", kern.Act{Kind: kern.ActHardSwish}, nil},
	}
	r := rand.New(rand.NewSource(1))
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
	}
	y := make([]float32, len(x))
	per := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
	}
	for _, a := range acts {
		if a.m64 != nil {
			b.Run(a.name+"/math64", func(b *testing.B) {
				for range b.N {
					for i, v := range x {
						y[i] = a.m64(v)
					}
				}
				per(b)
			})
		}
		b.Run(a.name+"/poly", func(b *testing.B) {
			kern.SetVecAct(nil)
			defer kern.SetVecAct(va)
			for range b.N {
				kern.ActInto(a.act, y, x)
			}
			per(b)
		})
		b.Run(a.name+"/simd", func(b *testing.B) {
			if va == nil {
				b.Skip("no SIMD: " + simd.Reason())
			}
			for range b.N {
				kern.ActInto(a.act, y, x)
			}
			per(b)
		})
	}
}
