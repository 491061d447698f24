package bundle

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

// scaledValues is float32(k)·s for each k.
func scaledValues(s float32, ks []int) []float32 {
	f := make([]float32, len(ks))
	for i, k := range ks {
		f[i] = float32(float32(k) * s)
	}
	return f
}

// randomScale is a float32 of a random magnitude, 2^-100 to 2^100 (normal
// values: a scaled value's float32 is then within 2^-24 of k·s).
func randomScale(r *rand.Rand) float32 {
	return float32(math.Ldexp(1+r.Float64(), r.IntN(200)-100))
}

// Values that are float32(k)·s for one s and |k| ≤ 32767 are found scaled
// (whatever s and the k's, and whichever k is the least), and what
// scaleOf returns gives them back bit for bit; -0, NaN, ±Inf and values
// no one scale fits are refused.
func TestScaleOf(t *testing.T) {
	check := func(name string, vals []float32, want bool) {
		t.Helper()
		s, ks, ok := scaleOf(vals)
		if ok != want {
			t.Errorf("%s: scaled %v, want %v (s %g)", name, ok, want, s)
			return
		}
		if !ok {
			return
		}
		if !(s > 0 && s <= math.MaxFloat32) || len(ks) != len(vals) || !scaledBy(vals, ks, s) {
			t.Errorf("%s: s %g does not give the values back", name, s)
		}
		for _, k := range ks {
			if k < -maxScaledK {
				t.Errorf("%s: k %d", name, k)
			}
		}
		if s2, ks2, _ := scaleOf(vals); s2 != s || !slices.Equal(ks, ks2) {
			t.Errorf("%s: two searches differ", name)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 1000 {
		s := randomScale(r)
		var ks []int
		switch i % 5 {
		case 0: // a quantized weight's palette: (q - zero point) for q of 0..255
			zp := r.IntN(256)
			for q := range 256 {
				if r.IntN(8) != 0 {
					ks = append(ks, q-zp)
				}
			}
		case 1: // a quantized bias: int32s within ±32767
			for range 1 + r.IntN(500) {
				ks = append(ks, r.IntN(2*maxScaledK+1)-maxScaledK)
			}
		case 2: // the extremes
			ks = []int{maxScaledK, -maxScaledK, 1, 0}[:1+r.IntN(4)]
		case 3: // all far from zero: the least is a large multiple
			base := 1 + r.IntN(maxScaledK-300)
			for range 2 + r.IntN(50) {
				ks = append(ks, base+r.IntN(300))
			}
		case 4: // a common factor: a larger scale fits too
			f := 1 + r.IntN(100)
			for range 1 + r.IntN(50) {
				ks = append(ks, f*(r.IntN(2*maxScaledK/f+1)-maxScaledK/f))
			}
		}
		check("random", scaledValues(s, ks), true)
	}
	check("none", nil, true)
	check("+0", []float32{0, 0}, true)
	check("a denormal", []float32{math.Float32frombits(1), math.Float32frombits(6)}, true)
	check("the largest float32s", []float32{math.MaxFloat32, -math.MaxFloat32 / 2}, true)
	check("tenths", []float32{0.1, 0.2, 0.3, -0.7}, true)
	check("-0", []float32{1, 2, float32(math.Copysign(0, -1))}, false)
	check("NaN", []float32{1, 2, float32(math.NaN())}, false)
	check("+Inf", []float32{1, float32(math.Inf(1))}, false)
	check("-Inf", []float32{1, float32(math.Inf(-1))}, false)
	check("π", []float32{-0.25, 2, math.Pi}, false)
	check("k past 32767", scaledValues(0.5, []int{1, 32768}), false)
	check("k past -32767", scaledValues(0.5, []int{1, -32768}), false)
	check("a ratio of 2^20", []float32{1, 1 << 20}, false)
	dense := make([]float32, 10_000)
	for i := range dense {
		dense[i] = r.Float32() - 0.5
	}
	check("random floats", dense, false)
	for i := range dense {
		dense[i] = 0.5 + r.Float32()/2 // lo/hi near 1: every m is a candidate
	}
	check("random floats in [0.5, 1)", dense, false)
	// Every candidate fits all but the last value: it is tried first from
	// the second on (else this would take 256 passes).
	ks := make([]int, 300_000)
	for i := range ks {
		ks[i] = i%257 - 128
	}
	almost := scaledValues(0.375, ks)
	check("scaled", almost, true)
	almost[len(almost)-1] = math.Nextafter32(almost[len(almost)-1], 0)
	check("scaled but for its last value", almost, false)
}

// A scaled palette decodes to its values, sorted by k, and perm says where
// each went; its gaps take 1 byte up to 128, 3 bytes at most.
func TestScaledPalette(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, ks := range [][]int{
		{0},
		{-1, 8, 2},
		{maxScaledK, -maxScaledK},
		{5, 6, 7, 8, 9, 10, 4, 3},
		{-300, 300, 0, 1000, -32000},
	} {
		s := randomScale(r)
		vals := scaledValues(s, ks)
		k16 := make([]int16, len(ks))
		for i, k := range ks {
			k16[i] = int16(k)
		}
		p, perm := scaledPalette(s, k16)
		pal := make([]float32, len(ks))
		rest, err := decodeScaledPalette("pal8s", pal, append(p, 42))
		if err != nil || !bytes.Equal(rest, []byte{42}) {
			t.Fatalf("%v: %v, %d bytes left", ks, err, len(rest))
		}
		for i, v := range vals {
			if math.Float32bits(pal[perm[i]]) != math.Float32bits(v) {
				t.Errorf("%v: value %d is %g at %d, want %g", ks, i, pal[perm[i]], perm[i], v)
			}
		}
		if !slices.IsSortedFunc(pal, func(a, b float32) int { return int(math.Copysign(1, float64(a-b))) }) {
			t.Errorf("%v: palette %v not sorted", ks, pal)
		}
		if len(p) > 6+3*(len(ks)-1) {
			t.Errorf("%v: %d bytes", ks, len(p))
		}
	}
	// The gaps of a contiguous range are zero bytes.
	p, _ := scaledPalette(0.5, []int16{-2, -1, 0, 1, 2})
	if !bytes.Equal(p[4:], []byte{0xfe, 0xff, 0, 0, 0, 0}) {
		t.Errorf("-2..2: % x", p)
	}
}

// Encode writes each float weight in its smallest exact encoding: f32,
// i16s, pal8(r) or, where the palette is scaled, pal8(r)s; in every
// Weights mode, deterministically; and Decode gives back every value, the
// sign of zero included.
func TestEncodeScaled(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	s := float32(0.0123)
	ks := func(n int, draw func() int) []int {
		k := make([]int, n)
		for i := range k {
			k[i] = draw()
		}
		return k
	}
	bell := func() int { return max(-128, min(127, int(math.Round(r.NormFloat64()*20)))) }
	uniform := func() int { return r.IntN(256) - 128 }
	wide := func() int { return r.IntN(2*maxScaledK+1) - maxScaledK }
	negZero := float32(math.Copysign(0, -1))
	inits := map[string][]float32{
		// A quantized weight: a scaled palette, rANS-coded indices.
		"weights": scaledValues(s, ks(20_000, bell)),
		// A scaled palette whose indices rANS cannot shrink.
		"uniform": scaledValues(s, ks(4096, uniform)),
		// Quantized biases: too many values for a palette; and a few, each
		// its own (a palette would be larger than the int16s).
		"bias":       scaledValues(s, ks(1000, wide)),
		"small bias": scaledValues(s, ks(64, wide)),
		// k = 0 is +0: scaled; a -0 leaves the palette's float32s.
		"zeros":    scaledValues(s, append(ks(5000, bell), 0)),
		"negative": append(scaledValues(s, ks(5000, bell)), negZero),
		// Each value its own, not scaled: a palette would be larger than f32.
		"distinct": {1, -2.5, math.Pi, 1e-9, 7, float32(math.NaN()), negZero, 3e30},
		// One value, too many elements for rANS: pal8 (4 bytes of palette
		// are fewer than a scaled palette's 6).
		"constant": slices.Repeat([]float32{0.5}, 1<<16),
		// Tiny: f32 is smallest.
		"scalar": {0.5},
	}
	// Neither palettable nor scaled: the Weights option decides.
	inits["dense"] = make([]float32, 1000)
	for i := range inits["dense"] {
		inits["dense"][i] = r.Float32() - 0.5
	}
	g := &graph.Graph{Opset: 13, Initializers: map[string]*graph.Tensor{}}
	for name, f := range inits {
		g.Initializers[name] = &graph.Tensor{DType: graph.Float32, Shape: []int{len(f)}, F: f}
	}
	g.Initializers["dense"].Shape = []int{10, 100}
	g.Initializers["bias"].Shape = []int{10, 100} // i16s in every mode, int8's too
	wantEnc := map[string]string{"weights": "pal8rs", "uniform": "pal8s", "bias": "i16s", "small bias": "i16s", "zeros": "pal8rs",
		"negative": "pal8r", "distinct": "f32", "constant": "pal8", "scalar": "f32"}
	for _, w := range []Weights{Auto, FP32, FP16, Int8} {
		b, err := Encode(g, Meta{Name: "m"}, w)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := Encode(g, Meta{Name: "m"}, w); !bytes.Equal(again, b) {
			t.Errorf("%s: two encodings differ", w)
		}
		encs := dir(t, b)
		wantEnc["dense"] = map[Weights]string{Auto: "f32", FP32: "f32", FP16: "f16", Int8: "q8"}[w]
		for name, want := range wantEnc {
			if encs[name].Enc != want {
				t.Errorf("%s: %q is %s, want %s", w, name, encs[name].Enc, want)
			}
		}
		if e := encs["weights"]; e.Len > 20_000*66/80 { // 6.4 bits of entropy

			t.Errorf("%s: a bell of 20 000 weights takes %d bytes", w, e.Len)
		}
		if e := encs["uniform"]; e.Len > 4096+6+int64(e.N) {
			t.Errorf("%s: the uniform palette takes %d bytes", w, e.Len-4096)
		}
		decodesTo(t, w, b, inits)
	}
}

// Encode's choice is the smallest, whatever the order of a palette's
// values, and the scaled forms' payloads are as the package comment says.
func TestScaledLayout(t *testing.T) {
	// 0.25·{-1, 2, 8}, indices in the order of first appearance: 8, -1, 2.
	f := make([]float32, 600)
	for i := range f {
		f[i] = []float32{2, -0.25, 0.5}[i%3]
	}
	var e encoder
	e.version = 2
	jt := jsonTensor{}
	p := e.floats(f, []int{600}, true, &jt)
	want := binary.LittleEndian.AppendUint32(nil, math.Float32bits(0.25))
	want = append(want, 0xff, 0xff, 2, 5) // -1, then gaps 2 and 5
	if jt.Enc != "pal8rs" || jt.N != 3 || !bytes.Equal(p[:8], want) {
		t.Fatalf("%s of %d values, % x", jt.Enc, jt.N, p[:min(len(p), 8)])
	}
	// Element 0 is 2, sorted to index 2: its rANS state decodes to it.
	out := make([]float32, 600)
	pal := []float32{-0.25, 0.5, 2}
	if err := ransDecode(out, pal, p[8:], new(ransTable)); err != nil || !sameBits(out, f) {
		t.Fatalf("indices: %v", err)
	}
	// An i16s payload is the scale, then an int16 an element.
	bias := scaledValues(0.5, []int{-3, 300, -32767, 0, 5, 6, 7, 8})
	p = e.floats(bias, []int{8}, true, &jt)
	want = binary.LittleEndian.AppendUint32(nil, math.Float32bits(0.5))
	for _, k := range []int16{-3, 300, -32767, 0, 5, 6, 7, 8} {
		want = binary.LittleEndian.AppendUint16(want, uint16(k))
	}
	if jt.Enc != "i16s" || !bytes.Equal(p, want) {
		t.Fatalf("%s: % x", jt.Enc, p)
	}
}
