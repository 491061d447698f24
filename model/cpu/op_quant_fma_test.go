package cpu

import (
	"math"
	"math/rand"
	"testing"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// kern.QLinearAddFMA (the CPU's FMA natively) against fma32's loop, bit
// for bit, near float32 ties and on saturating, NaN and infinite cases.
func TestQLinearAddFMAMatchesFma32(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	const n = 1000
	a, b, got := make([]int64, n), make([]int64, n), make([]int64, n)
	for trial := 0; trial < 40; trial++ {
		rA := float32(r.Intn(1<<24)) / (1 << 24)
		rB := float32(r.Intn(1<<24)) / (1 << 21)
		fixed := float32(r.Intn(1<<20)-1<<19) / 64
		switch trial {
		case 0:
			rA, rB, fixed = 0.5, 0.25, 0.5
		case 1:
			rA = float32(math.NaN())
		case 2:
			rA, rB = 3.4e38, 3.4e38
		case 3:
			fixed = float32(math.Inf(-1))
		}
		lo, hi := int64(-128), int64(127)
		if trial%2 == 1 {
			lo, hi = 0, 255
		}
		for i := range a {
			a[i], b[i] = int64(r.Intn(256)-128), int64(r.Intn(256)-128)
			if r.Intn(50) == 0 {
				a[i] = r.Int63() - r.Int63() // past int32: the Go loop's block
			}
		}
		if !kern.QLinearAddFMA(a, b, got, rA, rB, fixed, lo, hi, fma32) {
			t.Skip("no native FMA kernel")
		}
		for i := range got {
			want := requant(fma32(rA, float32(a[i]), fma32(rB, float32(b[i]), fixed)), 0, lo, hi)
			if got[i] != want {
				t.Fatalf("trial %d: y[%d] (a %d b %d) = %d, want %d", trial, i, a[i], b[i], got[i], want)
			}
		}
	}
}
