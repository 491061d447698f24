//go:build js && wasm

package webgpu

import (
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "golang.org/x/image/bmp"

	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
	"github.com/glimpse/glimpse/model/vision"
)

// The quantized ops against the CPU backend, on both QConv variants: the
// packed one (dot4U8Packed, where the adapter's WGSL has
// packed_4x8_integer_dot_product) and the plain-integer one (forced by
// clearing Device.dp4).
//
// QConv's input is on the quantization grid (the input DQ's output), so
// x/x_scale lies within rounding of an integer, far from a tie, and the
// GPU's division (2.5 ulp in WGSL) quantizes it exactly: QConv must equal
// the CPU bit for bit. The model inputs here are drawn off the ties, (k +
// u)·x_scale with |u| ≤ 0.4, so the leading QuantizeDequantize is exact
// too. TestQuantDequant also feeds arbitrary values; an input within a few
// ulp of a tie may then land one quantum off (the division is not correctly
// rounded on every GPU), allowed on at most 1 in 1000 elements.

const (
	elemU8  = 2
	elemI8  = 3
	elemI32 = 6
)

// forcedI32 is set while withVariants runs the plain-integer variant on a
// device that has the packed one.
var forcedI32 bool

// withVariants runs f once per QConv variant the device has.
func withVariants(t *testing.T, f func(t *testing.T)) {
	d := needDevice(t)
	saved := d.dp4
	defer func() { d.dp4, forcedI32 = saved, false }()
	for _, packed := range []bool{true, false} {
		name := "i32"
		if packed {
			name = "dp4"
			if !saved {
				t.Logf("no packed_4x8_integer_dot_product here: only the plain-integer variant runs")
				continue
			}
		}
		d.dp4, forcedI32 = packed, saved && !packed
		t.Run(name, f)
		if _, ok := d.shaders["qconv_"+name]; !ok && !t.Failed() {
			t.Errorf("no qconv_%s shader module was created", name)
		}
	}
}

type qconvCase struct {
	name     string
	x, w     []int // [N, C, H, W], [M, C/G, KH, KW]
	attrs    []onnxtest.Attr
	xElem    int64 // 2 uint8, 3 int8
	xz       int64
	wElem    int64
	wz       []int64 // nil: 0 per channel; one: per tensor (scale too); M: per channel
	act      string  // "", Relu, Clip
	ys       float32 // output scale (0: 0.05); small ones saturate
	yz       int64
	yElem    int64 // 0: as xElem
	noBias   bool
	bigBias  bool
	xSpread  int // input quanta drawn beyond the type's range on each side
	wExtreme bool
}

func qRangeOf(elem int64) (int64, int64) {
	if elem == elemI8 {
		return -128, 127
	}
	return 0, 255
}

// qconvModel is x → Q → DQ → Conv(DQ(w), DQ(b)) [→ Relu | Clip] → Q → DQ,
// which the CPU compiles into QuantizeDequantize and QConv; and an input on
// the grid's off-tie points.
func qconvModel(r *rand.Rand, c qconvCase) (onnxtest.Model, []float32) {
	M, Cg, KH, KW := c.w[0], c.w[1], c.w[2], c.w[3]
	const xs = float32(0.04)
	ys := c.ys
	if ys == 0 {
		ys = 0.05
	}
	yElem := c.yElem
	if yElem == 0 {
		yElem = c.xElem
	}
	wlo, whi := qRangeOf(c.wElem)
	nw := M * Cg * KH * KW
	w := make([]int64, nw)
	for i := range w {
		w[i] = wlo + r.Int63n(whi-wlo+1)
		if c.wExtreme && i%5 == 0 {
			w[i] = wlo
			if i%10 == 0 {
				w[i] = whi
			}
		}
	}
	wsc := make([]float32, M)
	for i := range wsc {
		wsc[i] = 0.002 + 0.01*r.Float32()
	}
	b := make([]int64, M)
	bs := make([]float32, M)
	for i := range b {
		b[i] = r.Int63n(2001) - 1000
		if c.bigBias {
			b[i] *= 100000
		}
		bs[i] = xs * wsc[i]
	}
	sc := func(name string, v float32) onnxtest.Tensor { return onnxtest.Tensor{Name: name, Floats: []float32{v}} }
	zp := func(name string, elem, v int64) onnxtest.Tensor {
		return onnxtest.Tensor{Name: name, Elem: elem, Ints: []int64{v}}
	}
	inits := []onnxtest.Tensor{
		sc("xs", xs), zp("xz", c.xElem, c.xz), sc("ys", ys), zp("yz", yElem, c.yz),
		{Name: "w", Elem: c.wElem, Dims: init64(c.w), Ints: w}, {Name: "wsc", Dims: []int64{int64(M)}, Floats: wsc},
		{Name: "b", Elem: elemI32, Dims: []int64{int64(M)}, Ints: b}, {Name: "bs", Dims: []int64{int64(M)}, Floats: bs},
		sc("lo", 0.1), sc("hi", 2.5),
	}
	// The CPU's QConv wants the weights' zero point present (see the
	// report): nil means 0 per channel.
	win := []string{"w", "wsc", "wz"}
	switch len(c.wz) {
	case 1: // per tensor, scale and zero point
		for i := range bs {
			wsc[i], bs[i] = wsc[0], bs[0]
		}
		inits[5] = sc("wsc", wsc[0])
		inits = append(inits, zp("wz", c.wElem, c.wz[0]))
	default:
		wz := c.wz
		if wz == nil {
			wz = make([]int64, M)
		}
		inits = append(inits, onnxtest.Tensor{Name: "wz", Elem: c.wElem, Dims: []int64{int64(M)}, Ints: wz})
	}
	axis0 := onnxtest.Attr{Name: "axis", Int: new(int64)}
	cin := []string{"xd", "wd", "bd"}
	if c.noBias {
		cin = cin[:2]
	}
	nodes := []onnxtest.Node{
		node("QuantizeLinear", []string{"x", "xs", "xz"}, []string{"xq"}),
		node("DequantizeLinear", []string{"xq", "xs", "xz"}, []string{"xd"}),
		node("DequantizeLinear", win, []string{"wd"}, axis0),
		node("DequantizeLinear", []string{"b", "bs"}, []string{"bd"}, axis0),
		node("Conv", cin, []string{"c"}, c.attrs...),
	}
	cur := "c"
	switch c.act {
	case "Relu":
		nodes = append(nodes, n1("Relu", []string{cur}, "a"))
		cur = "a"
	case "Clip":
		nodes = append(nodes, n1("Clip", []string{cur, "lo", "hi"}, "a"))
		cur = "a"
	}
	nodes = append(nodes, n1("QuantizeLinear", []string{cur, "ys", "yz"}, "yq"), n1("DequantizeLinear", []string{"yq", "ys", "yz"}, "y"))
	m := onnxtest.Model{Opset: 13, Inputs: []onnxtest.Value{{Name: "x", Dims: dimsAny(c.x)}},
		Outputs: []onnxtest.Value{{Name: "y"}}, Initializers: inits, Nodes: nodes}
	xlo, xhi := qRangeOf(c.xElem)
	lo, hi := xlo-c.xz-int64(c.xSpread), xhi-c.xz+int64(c.xSpread)
	in := make([]float32, graph4(c.x))
	for i := range in {
		k := lo + r.Int63n(hi-lo+1)
		in[i] = (float32(k) + 0.8*(r.Float32()-0.5)) * xs
	}
	return m, in
}

func graph4(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// exact compares bit for bit (−0 equals 0) and reports the differences.
func exact(t testing.TB, got, want []float32) {
	t.Helper()
	bad := 0
	for i := range want {
		if got[i] != want[i] && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
			if bad < 5 {
				t.Errorf("[%d]: got %g, want %g", i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, len(want))
	}
}

func TestQConv(t *testing.T) {
	pads := func(v ...int64) onnxtest.Attr { return ints("pads", v...) }
	strides := func(v ...int64) onnxtest.Attr { return ints("strides", v...) }
	group := func(g int64) onnxtest.Attr { return i64("group", g) }
	perCh := func(m int, base, spread int64) []int64 {
		v := make([]int64, m)
		for i := range v {
			v[i] = base + int64(i*7)%(2*spread+1) - spread
		}
		return v
	}
	cases := []qconvCase{
		{name: "1x1 u8", x: []int{1, 24, 7, 6}, w: []int{20, 24, 1, 1}, xElem: elemU8, xz: 120, wElem: elemI8, wz: []int64{0}},
		{name: "1x1 i8 per-channel wz", x: []int{1, 16, 5, 5}, w: []int{12, 16, 1, 1}, xElem: elemI8, xz: -5, wElem: elemI8, wz: perCh(12, 0, 9)},
		{name: "3x3 pads u8", x: []int{1, 5, 9, 8}, w: []int{7, 5, 3, 3}, attrs: []onnxtest.Attr{pads(1, 1, 1, 1)}, xElem: elemU8, xz: 128, wElem: elemI8, wz: []int64{0}},
		{name: "3x3 stride 2 asymmetric pads i8", x: []int{1, 6, 11, 10}, w: []int{9, 6, 3, 3}, attrs: []onnxtest.Attr{strides(2, 2), pads(0, 1, 2, 1)}, xElem: elemI8, xz: 3, wElem: elemI8},
		{name: "depthwise s1 u8", x: []int{1, 16, 10, 9}, w: []int{16, 1, 3, 3}, attrs: []onnxtest.Attr{group(16), pads(1, 1, 1, 1)}, xElem: elemU8, xz: 0, wElem: elemI8, wz: perCh(16, 0, 0), act: "Relu"},
		{name: "depthwise s2 u8 Clip", x: []int{1, 12, 11, 12}, w: []int{12, 1, 3, 3}, attrs: []onnxtest.Attr{group(12), strides(2, 2), pads(1, 1, 1, 1)}, xElem: elemU8, xz: 10, wElem: elemI8, wz: []int64{0}, act: "Clip"},
		{name: "depthwise 5x5 dilation 2 i8", x: []int{1, 6, 13, 12}, w: []int{6, 1, 5, 5}, attrs: []onnxtest.Attr{group(6), ints("dilations", 2, 2), pads(4, 3, 2, 4)}, xElem: elemI8, xz: -20, wElem: elemI8},
		{name: "grouped 3x3", x: []int{1, 8, 9, 9}, w: []int{12, 2, 3, 3}, attrs: []onnxtest.Attr{group(4), pads(1, 1, 1, 1)}, xElem: elemU8, xz: 100, wElem: elemI8, wz: perCh(12, 1, 3)},
		{name: "uint8 weights per-channel zero points", x: []int{1, 10, 6, 7}, w: []int{8, 10, 3, 3}, attrs: []onnxtest.Attr{pads(1, 1, 1, 1)}, xElem: elemU8, xz: 77, wElem: elemU8, wz: perCh(8, 128, 30)},
		{name: "uint8 weights, int8 input", x: []int{1, 7, 6, 6}, w: []int{5, 7, 1, 1}, xElem: elemI8, xz: 0, wElem: elemU8, wz: []int64{131}},
		{name: "int8 output from uint8 input", x: []int{1, 8, 6, 6}, w: []int{6, 8, 3, 3}, xElem: elemU8, xz: 128, wElem: elemI8, yElem: elemI8, yz: -3},
		{name: "saturation", x: []int{1, 32, 6, 6}, w: []int{16, 32, 3, 3}, attrs: []onnxtest.Attr{pads(1, 1, 1, 1)}, xElem: elemU8, xz: 0, wElem: elemI8, ys: 0.002, yz: 128, xSpread: 40, wExtreme: true},
		{name: "big bias, past 2^24", x: []int{1, 8, 5, 5}, w: []int{8, 8, 3, 3}, xElem: elemU8, xz: 5, wElem: elemI8, bigBias: true, ys: 40, yz: 128},
		{name: "Relu range i8 output", x: []int{1, 8, 6, 6}, w: []int{8, 8, 1, 1}, xElem: elemI8, xz: 0, wElem: elemI8, act: "Relu", yz: -128},
		{name: "no bias, K not a multiple of 4", x: []int{1, 3, 8, 8}, w: []int{4, 3, 3, 3}, xElem: elemU8, xz: 128, wElem: elemI8, noBias: true},
		{name: "N=2 1-wide", x: []int{2, 4, 7, 1}, w: []int{4, 4, 3, 1}, attrs: []onnxtest.Attr{pads(1, 0, 1, 0)}, xElem: elemU8, xz: 128, wElem: elemI8},
	}
	withVariants(t, func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				mb, in := qconvModel(rand.New(rand.NewSource(int64(40+i))), c)
				p, m := compileBoth(t, mb, cpu.Options{})
				if h := p.Graph.OpHistogram(); h["QConv"] != 1 || h["QuantizeDequantize"] != 1 {
					t.Fatalf("compiled graph %s, want one QConv and one QuantizeDequantize", p.OpCounts())
				}
				if len(m.CPUOps()) != 0 {
					t.Errorf("CPU ops %q", m.CPUOps())
				}
				want, err := p.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				want = append([]float32(nil), want...)
				got, err := m.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				exact(t, got, want)
				sat := 0
				for _, v := range want {
					if v == want[0] {
						sat++
					}
				}
				t.Logf("%d outputs exact (%d equal to the first)", len(want), sat)
			})
		}
	})
}

func TestQuantDequant(t *testing.T) {
	cases := []struct {
		elem int64
		zp   int64
		s    float32
	}{{elemU8, 0, 0.5}, {elemU8, 131, 0.037}, {elemI8, 0, 0.25}, {elemI8, -7, 0.0123}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("elem %d zp %d scale %g", c.elem, c.zp, c.s), func(t *testing.T) {
			const n = 4099
			mb := onnxtest.Model{Opset: 13, Inputs: []onnxtest.Value{{Name: "x", Dims: []any{1, n}}},
				Outputs:      []onnxtest.Value{{Name: "y"}},
				Initializers: []onnxtest.Tensor{{Name: "s", Floats: []float32{c.s}}, {Name: "z", Elem: c.elem, Ints: []int64{c.zp}}},
				Nodes:        []onnxtest.Node{n1("QuantizeLinear", []string{"x", "s", "z"}, "q"), n1("DequantizeLinear", []string{"q", "s", "z"}, "y")}}
			p, m := compileBoth(t, mb, cpu.Options{})
			if h := p.Graph.OpHistogram(); h["QuantizeDequantize"] != 1 {
				t.Fatalf("compiled graph %s", p.OpCounts())
			}
			if len(m.CPUOps()) != 0 {
				t.Errorf("CPU ops %q", m.CPUOps())
			}
			r := rand.New(rand.NewSource(int64(c.zp) + 99))
			in := make([]float32, n)
			for i := range in {
				switch {
				case i < 600: // exact ties k + 0.5 (power-of-two scales divide exactly)
					in[i] = (float32(i-300) + 0.5) * c.s
				default:
					in[i] = (r.Float32()*400 - 200) * c.s
				}
			}
			in[600], in[601], in[602] = float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())
			want, err := p.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			want = append([]float32(nil), want...)
			got, err := m.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			off := 0
			for i := range want {
				if got[i] == want[i] {
					continue
				}
				if math.Abs(float64(got[i])-float64(want[i])) <= float64(c.s)*1.0001 && (i < 600 || i > 602) {
					off++
					continue
				}
				t.Errorf("[%d] %g: got %g, want %g", i, in[i], got[i], want[i])
			}
			pow2 := c.s == 0.5 || c.s == 0.25 // x/s is exact: no slack
			if off > n/1000 || (pow2 && off > 0) {
				t.Errorf("%d of %d values one quantum off", off, n)
			}
			t.Logf("%d of %d values one quantum off (allowed %d)", off, n, n/1000)
		})
	}
}

// The int8 MobileNetV2 (QDQ, from tflite2onnx: 53 QConv, 12
// QuantizeDequantize) runs wholly on the GPU, every QConv placed there,
// and classifies the shared photos as the CPU does: the same top-1 on every
// photo (all 14 on the device's own variant, 3 on the forced plain-integer
// one), and probabilities within 1e-3 (SwiftShader: 3.5e-6; the QConvs are
// exact, Softmax and GlobalAveragePool are not bit-exact; the
// QuantizeDequantize after GlobalAveragePool sees a sum taken in another
// order, so a pooled value near a rounding tie can move one quantum, which
// moves the logits by a step).
func TestQDQMobileNetV2(t *testing.T) {
	const path = "../../.cache/int8/model.onnx" // make models writes it (glimpse quantize, QDQ)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no int8 MobileNetV2 here: %v", err)
	}
	withVariants(t, func(t *testing.T) {
		p, m := compileFile(t, path)
		if n := p.QuantizedLinks(); n != 0 {
			// steps falling back to the CPU would read bytes as floats
			t.Fatalf("%d QConv pairs still pass quantized bytes after Compile", n)
		}
		places, err := Place(p)
		if err != nil {
			t.Fatal(err)
		}
		nq := 0
		for _, pl := range places {
			if pl.Node.Op == "QConv" || pl.Node.Op == "QuantizeDequantize" {
				nq++
				if pl.Where != "gpu" {
					t.Errorf("%s: %s %s", pl.Node.Label(), pl.Where, pl.Why)
				}
			}
		}
		if h := p.Graph.OpHistogram(); h["QConv"] != 53 || nq != 65 {
			t.Errorf("compiled %s: %d quantized ops placed", p.OpCounts(), nq)
		}
		dir := filepath.Join(shared, "photos")
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Skipf("no photos: %v", err)
		}
		spec := card.Default().Spec()
		worst, n := 0.0, 0
		for _, e := range ents {
			if forcedI32 && n == 3 { // the device's own variant takes every photo
				break
			}
			ext := filepath.Ext(e.Name())
			if ext != ".jpg" && ext != ".png" && ext != ".bmp" {
				continue
			}
			f, err := os.Open(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := image.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			in := make([]float32, p.Inputs[0].Len())
			if err := vision.Preprocess(img, spec, in); err != nil {
				t.Fatal(err)
			}
			want, err := p.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			want = append([]float32(nil), want...)
			t0 := time.Now()
			got, err := m.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			dt := time.Since(t0)
			d := compare(t, e.Name(), got, want, 1e-3, 0)
			worst = max(worst, d)
			if a, b := argmax(got), argmax(want); a != b {
				t.Errorf("%s: top class %d on the GPU, %d on the CPU", e.Name(), a, b)
			}
			t.Logf("%-28s top1 %4d p %.4f, max |gpu−cpu| %.3g, GPU run %v", e.Name(), argmax(want), want[argmax(want)], d, dt.Round(time.Millisecond))
			n++
		}
		if n == 0 {
			t.Skip("no photos")
		}
		t.Logf("%d photos: same top-1 on all; worst |gpu−cpu| %.3g", n, worst)
	})
}
