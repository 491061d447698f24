package bundle

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

// defaultBundle is the default model's bundle, as `make models` builds it.
const defaultBundle = "../../web/models/mobilenet_v2_1.0_224/model.glimpse"

// dist draws a palette index below n.
type dist struct {
	name string
	n    int
	draw func(r *rand.Rand) int
}

func dists() []dist {
	return []dist{
		{"uniform over 256", 256, func(r *rand.Rand) int { return r.IntN(256) }},
		{"uniform over 7", 7, func(r *rand.Rand) int { return r.IntN(7) }},
		// Quantized weights: a bell around the zero point.
		{"bell over 200", 200, func(r *rand.Rand) int { return max(0, min(199, int(math.Round(r.NormFloat64()*12))+100)) }},
		{"geometric", 20, func(r *rand.Rand) int { return min(19, int(r.ExpFloat64()*1.5)) }},
		{"one symbol", 1, func(*rand.Rand) int { return 0 }},
		{"two, one rare", 2, func(r *rand.Rand) int { return b2i(r.IntN(10000) == 0) }},
		// 99% one value: the other 255 need frequency 1 where their share
		// rounds to 0, taken from the big one.
		{"256, one dominant", 256, func(r *rand.Rand) int {
			if r.IntN(100) != 0 {
				return 0
			}
			return 1 + r.IntN(255)
		}},
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// specialPalette is n float32s, distinct by their bits, with NaNs (and
// their payloads), signed zeros, infinities and denormals among them.
func specialPalette(n int, r *rand.Rand) []float32 {
	bits := []uint32{0x7fc00001, 0x80000000, 0x7f800000, 0xff800000, 1, 0xffc00000, 0, 0x7f7fffff}
	seen := map[uint32]bool{}
	var pal []float32
	for i := 0; len(pal) < n; i++ {
		b := r.Uint32()
		if i < len(bits) {
			b = bits[i]
		}
		if !seen[b] {
			seen[b] = true
			pal = append(pal, math.Float32frombits(b))
		}
	}
	return pal
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// entropy is idx's order-0 entropy in bytes.
func entropy(idx []byte) float64 {
	var c [256]int
	for _, k := range idx {
		c[k]++
	}
	h := 0.0
	for _, v := range c {
		if v > 0 {
			h -= float64(v) * math.Log2(float64(v)/float64(len(idx)))
		}
	}
	return h / 8
}

// The coder gives back every element, bit for bit, for every distribution
// and length (odd, even, none, one); its output depends on its input only;
// long inputs cost within 0.5% of their entropy.
func TestRANSRoundTrip(t *testing.T) {
	tab := new(ransTable)
	for _, d := range dists() {
		for _, n := range []int{0, 1, 2, 3, 63, 64, 1001, 1<<17 + 3} {
			r := rand.New(rand.NewPCG(uint64(n), uint64(d.n)))
			idx := make([]byte, n)
			for i := range idx {
				idx[i] = byte(d.draw(r))
			}
			counts := make([]int, d.n)
			for _, k := range idx {
				counts[k]++
			}
			freq := ransFreqs(counts)
			var payload []byte
			for _, f := range freq {
				payload = binary.LittleEndian.AppendUint16(payload, f)
			}
			payload = ransEncode(payload, idx, freq)
			if again := ransEncode(nil, idx, freq); !bytes.Equal(again, payload[2*d.n:]) {
				t.Errorf("%s, %d: two encodings differ", d.name, n)
			}
			pal := specialPalette(d.n, r)
			want := make([]float32, n)
			for i, k := range idx {
				want[i] = pal[k]
			}
			got := make([]float32, n)
			if err := ransDecode(got, pal, payload, tab); err != nil {
				t.Fatalf("%s, %d elements: %v", d.name, n, err)
			}
			if !sameBits(got, want) {
				t.Fatalf("%s, %d elements: decoded values differ", d.name, n)
			}
			stream := len(payload) - 2*d.n - 8
			if h := entropy(idx); n > 1<<16 && float64(stream) > h*1.005+64 {
				t.Errorf("%s, %d elements: %d bytes coded, entropy %.0f", d.name, n, stream, h)
			}
			// pal8r, as Encode calls it, gives the same bytes or declines
			// exactly when the decoder would refuse them.
			p, ok := pal8r(idx, d.n, 4*d.n)
			over := n > ransMaxElemsPerByte*(4*d.n+len(payload))
			if ok == over || (ok && !bytes.Equal(p, payload)) {
				t.Errorf("%s, %d elements: pal8r ok %v, %d bytes; over the bound %v", d.name, n, ok, len(p), over)
			}
		}
	}
}

// Frequencies sum to the scale, each at least 1, near proportional.
func TestRANSFreqs(t *testing.T) {
	for _, c := range []struct {
		name   string
		counts []int
	}{
		{"one", []int{5}},
		{"none", []int{0, 0, 0}},
		{"equal thirds", []int{1, 1, 1}},
		{"256 of 1", slices.Repeat([]int{1}, 256)},
		{"255 rare, one common", append([]int{1 << 30}, slices.Repeat([]int{1}, 255)...)},
		{"powers", []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768}},
		{"max elements", []int{graph.MaxElems - 1, 1}},
	} {
		f := ransFreqs(c.counts)
		sum, total := 0, 0
		for s, v := range f {
			sum += int(v)
			total += c.counts[s]
			if v == 0 {
				t.Errorf("%s: symbol %d has frequency 0", c.name, s)
			}
		}
		if sum != ransScale {
			t.Errorf("%s: frequencies sum to %d", c.name, sum)
		}
		for s, v := range f {
			if total > 0 && c.counts[s] > total/64 {
				// Off by 1% at most, or by what the others' minimum of 1 took.
				if exact := float64(c.counts[s]) * ransScale / float64(total); math.Abs(float64(v)-exact) > exact/100+float64(len(f)) {
					t.Errorf("%s: symbol %d has frequency %d, its share is %.1f", c.name, s, v, exact)
				}
			}
		}
		if !slices.Equal(f, ransFreqs(c.counts)) {
			t.Errorf("%s: two normalisations differ", c.name)
		}
	}
}

// dir is a bundle's tensor directory, by initializer.
func dir(t *testing.T, b []byte) map[string]jsonTensor {
	t.Helper()
	hlen := binary.LittleEndian.Uint32(b[12:])
	var h header
	if err := json.Unmarshal(b[16:16+hlen], &h); err != nil {
		t.Fatal(err)
	}
	return h.Graph.Inits
}

// Encode writes pal8r where it is smaller than pal8, in every Weights mode
// (palettes are exact in all of them), pal8 for small, flat and constant
// tensors, and nothing else changes; Decode gives back every value.
func TestEncodePal8r(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := func(n, distinct int, draw func() int) []float32 {
		pal := specialPalette(distinct, r)
		f := make([]float32, n)
		for i := range f {
			f[i] = pal[draw()]
		}
		return f
	}
	bell := func() int { return max(0, min(149, int(math.Round(r.NormFloat64()*10))+75)) }
	inits := map[string][]float32{
		"bell":     values(40_000, 150, bell),
		"odd bell": values(40_001, 150, bell),
		"flat":     values(40_000, 256, func() int { return r.IntN(256) }),
		"small":    values(64, 60, func() int { return r.IntN(60) }),
		"constant": values(1<<16, 1, func() int { return 0 }),
	}
	// Not palettable; finite (fp16 would note a NaN's error as NaN).
	inits["dense"] = make([]float32, 1000)
	for i := range inits["dense"] {
		inits["dense"][i] = r.Float32() - 0.5
	}
	g := &graph.Graph{Opset: 13, Initializers: map[string]*graph.Tensor{}}
	for name, f := range inits {
		g.Initializers[name] = &graph.Tensor{DType: graph.Float32, Shape: []int{len(f)}, F: f}
	}
	g.Initializers["dense"].Shape = []int{10, 100} // for int8
	wantEnc := map[string]string{"bell": "pal8r", "odd bell": "pal8r", "flat": "pal8", "small": "pal8", "constant": "pal8"}
	for _, w := range []Weights{Auto, FP32, FP16, Int8} {
		b, err := Encode(g, Meta{Name: "m"}, w)
		if err != nil {
			t.Fatal(err)
		}
		if v := binary.LittleEndian.Uint32(b[8:]); v != Version {
			t.Errorf("%s: version %d", w, v)
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
		if e := encs["bell"]; e.Len >= 4*int64(e.N)+40_000*7/8 {
			t.Errorf("%s: a bell of 150 values takes %d bytes", w, e.Len)
		}
		decodesTo(t, w, b, inits)
	}
}

// A version 1 bundle (pal8, no pal8r) still loads: one written by encode's
// version 1 path, and one built by hand. A version 1 bundle with pal8r, or
// a version 0 or 3 bundle, is refused.
func TestVersion1(t *testing.T) {
	f := make([]float32, 40_000)
	for i := range f {
		f[i] = float32(i%7*i%11) / 4
	}
	g := &graph.Graph{Opset: 13, Initializers: map[string]*graph.Tensor{"w": {DType: graph.Float32, Shape: []int{200, 200}, F: f}}}
	v1, err := encode(g, Meta{Name: "m"}, Auto, 1)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := Encode(g, Meta{Name: "m"}, Auto) // k/4 for k in 0..10: a scaled palette
	if v := binary.LittleEndian.Uint32(v1[8:]); v != 1 || dir(t, v1)["w"].Enc != "pal8" || dir(t, v2)["w"].Enc != "pal8rs" {
		t.Fatalf("version %d, %s; version 2 writes %s", v, dir(t, v1)["w"].Enc, dir(t, v2)["w"].Enc)
	}
	for name, b := range map[string][]byte{"v1": v1, "v2": v2} {
		dg, meta, err := Decode(b)
		if err != nil || meta.Name != "m" || !sameBits(dg.Initializers["w"].F, f) {
			t.Errorf("%s: %v, meta %+v", name, err, meta)
		}
	}

	forge := func(version uint32, hdr string, data []byte) []byte {
		b := binary.LittleEndian.AppendUint32([]byte(magic), version)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
		b = append(append(b, hdr...), data...)
		return binary.LittleEndian.AppendUint32(b, Checksum(b))
	}
	tensor := func(enc string, n int, data []byte) string {
		return `{"meta":{"name":"m"},"graph":{"opset":13,"inits":{"w":{"dtype":1,"shape":[5],"enc":"` + enc +
			`","off":0,"len":` + strconv.Itoa(len(data)) + `,"n":` + strconv.Itoa(n) + `}}},"data":` + strconv.Itoa(len(data)) + `}`
	}
	pal := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, math.Float32bits(-1.5)), math.Float32bits(0.25))
	byHand := append(slices.Clone(pal), 1, 0, 0, 1, 1)
	dg, _, err := Decode(forge(1, tensor("pal8", 2, byHand), byHand))
	if err != nil || !sameBits(dg.Initializers["w"].F, []float32{0.25, -1.5, -1.5, 0.25, 0.25}) {
		t.Errorf("a version 1 bundle built by hand: %v", err)
	}
	// The same five values as pal8r: frequencies 2/5 and 3/5 of 1<<14.
	r, _ := pal8r([]byte{1, 0, 0, 1, 1}, 2, 8)
	r = append(slices.Clone(pal), r...)
	for _, c := range []struct {
		version    uint32
		kind, want string
	}{{1, "corrupt", "pal8r payload in a version 1 bundle"}, {0, "version", "format version 0; this build reads versions 1 to 3"},
		{4, "version", "format version 4"}, {2, "", ""}, {3, "", ""}} {
		dg, _, err := Decode(forge(c.version, tensor("pal8r", 2, r), r))
		var be *Error
		switch {
		case c.kind == "" && (err != nil || !sameBits(dg.Initializers["w"].F, []float32{0.25, -1.5, -1.5, 0.25, 0.25})):
			t.Errorf("version %d: %v", c.version, err)
		case c.kind != "" && (!errors.As(err, &be) || be.Kind != c.kind || !strings.Contains(err.Error(), c.want)):
			t.Errorf("version %d: %v, want a %s error mentioning %q", c.version, err, c.kind, c.want)
		}
	}
}

func gzipped(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

// The default model, decoded and encoded again, decodes to the same
// initializers, bit for bit, in fewer bytes; and when the file is a
// version 1 bundle, encode's version 1 path writes it again byte for byte
// (the old writer is unchanged).
func TestDefaultModel(t *testing.T) {
	data, err := os.ReadFile(defaultBundle)
	if err != nil {
		t.Skipf("not built (make models): %v", err)
	}
	g, meta, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(g, meta, Auto)
	if err != nil {
		t.Fatal(err)
	}
	g2, meta2, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if meta2.Name != meta.Name || meta2.SourceSHA256 != meta.SourceSHA256 || meta2.Labels != meta.Labels || len(g2.Nodes) != len(g.Nodes) {
		t.Errorf("meta or graph changed: %+v", meta2)
	}
	if len(g2.Initializers) != len(g.Initializers) {
		t.Fatalf("%d initializers, want %d", len(g2.Initializers), len(g.Initializers))
	}
	for name, want := range g.Initializers {
		got := g2.Initializers[name]
		if got == nil || got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !sameBits(got.F, want.F) ||
			!slices.Equal(got.I, want.I) || !slices.Equal(got.B, want.B) {
			t.Errorf("initializer %q differs", name)
		}
	}
	encs := map[string]int{}
	for _, jt := range dir(t, b) {
		encs[jt.Enc]++
	}
	// Smaller than version 1 writes it, and than the file, unless the file
	// is what this build writes (then the same bytes).
	v1, err := encode(g, meta, Auto, 1)
	if err != nil || len(b) >= len(v1) || len(b) > len(data) || encs["pal8rs"] == 0 || encs["i16s"] == 0 {
		t.Errorf("%v; %d bytes, %d in version 1, the file has %d (%v)", encs, len(b), len(v1), len(data), err)
	}
	if binary.LittleEndian.Uint32(data[8:]) == 1 && !bytes.Equal(v1, data) {
		t.Errorf("version 1 again: %d bytes, the file has %d", len(v1), len(data))
	}
	t.Logf("%v; the file %d bytes (gzip -9 %d), encoded again %d (gzip -9 %d), version 1 %d (gzip -9 %d)",
		encs, len(data), gzipped(data), len(b), gzipped(b), len(v1), gzipped(v1))
}

// Decoding the default model's bundle: as version 1 writes it (pal8), as
// the file is, and as this build writes it.
func BenchmarkDecodeDefault(b *testing.B) {
	data, err := os.ReadFile(defaultBundle)
	if err != nil {
		b.Skipf("not built (make models): %v", err)
	}
	g, meta, err := Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	v1, _ := encode(g, meta, Auto, 1)
	v2, _ := encode(g, meta, Auto, 2)
	for _, c := range []struct {
		name string
		data []byte
	}{{"v1", v1}, {"file", data}, {"v2", v2}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportMetric(float64(len(c.data)), "bytes")
			for b.Loop() {
				if _, _, err := Decode(c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// decodesTo decodes a bundle written with weights w and checks that every
// tensor in inits comes back bit for bit ("dense" only where w is exact).
func decodesTo(t *testing.T, w Weights, b []byte, inits map[string][]float32) {
	t.Helper()
	dg, _, err := Decode(b)
	if err != nil {
		t.Fatalf("%s: %v", w, err)
	}
	for name, f := range inits {
		if name == "dense" && w != Auto && w != FP32 {
			continue // lossy
		}
		if !sameBits(dg.Initializers[name].F, f) {
			t.Errorf("%s: %q differs", w, name)
		}
	}
}

// Integer tensors take the smallest width that holds every value (i8, i32,
// else i64) from version 3 on, and read back exactly; a version 2 bundle
// writes i64, and an i8 payload in a version 2 bundle is refused.
func TestIntegerWidths(t *testing.T) {
	w8 := make([]int64, 3*3*16)
	for i := range w8 {
		w8[i] = int64(i%256 - 128)
	}
	g := &graph.Graph{Opset: 13, Initializers: map[string]*graph.Tensor{
		"w8":  {DType: graph.Int64, Shape: []int{16, 3, 3}, I: w8},
		"b32": {DType: graph.Int64, Shape: []int{3}, I: []int64{-70000, 129, math.MaxInt32}},
		"big": {DType: graph.Int64, Shape: []int{2}, I: []int64{math.MaxInt32 + 1, -1}},
	}, ElemTypes: map[string]int64{"w8": 3, "b32": 6}}
	v3, err := Encode(g, Meta{Name: "m"}, Auto)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := encode(g, Meta{Name: "m"}, Auto, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"w8": "i8", "b32": "i32", "big": "i64"}
	for name, enc := range want {
		if got := dir(t, v3)[name].Enc; got != enc {
			t.Errorf("%s: %s, want %s", name, got, enc)
		}
		if got := dir(t, v2)[name].Enc; got != "i64" {
			t.Errorf("version 2, %s: %s, want i64", name, got)
		}
	}
	if len(v3) >= len(v2)-7*len(w8) {
		t.Errorf("version 3 is %d bytes, version 2 %d", len(v3), len(v2))
	}
	for label, b := range map[string][]byte{"v2": v2, "v3": v3} {
		dg, _, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		for name, t0 := range g.Initializers {
			if !slices.Equal(dg.Initializers[name].I, t0.I) {
				t.Errorf("%s: %s reads back as %v", label, name, dg.Initializers[name].I[:min(5, len(t0.I))])
			}
		}
		if dg.ElemTypes["w8"] != 3 || dg.ElemTypes["b32"] != 6 {
			t.Errorf("%s: element types %v", label, dg.ElemTypes)
		}
	}
	hdr := `{"meta":{"name":"m"},"graph":{"opset":13,"inits":{"w":{"dtype":2,"shape":[2],"enc":"i8","off":0,"len":2}}},"data":2}`
	b := binary.LittleEndian.AppendUint32([]byte(magic), 2)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(append(b, hdr...), 1, 0xff)
	b = binary.LittleEndian.AppendUint32(b, Checksum(b))
	if _, _, err := Decode(b); err == nil || !strings.Contains(err.Error(), "i8 payload in a version 2 bundle") {
		t.Errorf("i8 in a version 2 bundle: %v", err)
	}
}
