package bundle_test

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

const shared = "../../../shared"

// models: the default model, the small MobileNet, the zoo (If-free), and
// corpus models with control flow and every fusion kind, when present.
func models(t *testing.T) map[string]string {
	m := map[string]string{
		"mobilenet_v2": filepath.Join(shared, "models/mobilenet_v2_1.0_224/model.onnx"),
		"mobilenet_v1": filepath.Join(shared, "models/mobilenet_v1_0.25_128/model.onnx"),
	}
	for _, z := range []string{"squeezenet1_1", "shufflenet_v2_x0_5", "shufflenet_v2_x0_5_bn", "mobilenet_v3_small",
		"mnasnet0_5", "efficientnet_b0", "regnet_x_400mf", "vit_tiny_p16_opset13", "vit_tiny_p16_opset17"} {
		m[z] = filepath.Join(shared, "zoo", z, "model.onnx")
	}
	for _, c := range []string{"lrn_cnn_s_op11_fixed", "swin_s_op17_dyn", "densenet_s_op13_dyn", "inception_v3_s_op13_fixed", "maxvit_s_op17_dyn"} {
		p := filepath.Join("../../.cache/corpus/small", c, "model.onnx")
		if _, err := os.Stat(p); err == nil {
			m[c] = p
		}
	}
	return m
}

func compile(t *testing.T, g *graph.Graph) *cpu.Program {
	t.Helper()
	shapes := map[string][]int{}
	for _, in := range g.Inputs {
		var s []int
		for _, d := range in.Dims {
			v := int(d.Value)
			if v <= 0 {
				v = 1
			}
			s = append(s, v)
		}
		shapes[in.Name] = s
	}
	p, err := cpu.Compile(g, cpu.Options{InputShapes: shapes})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fill(p *cpu.Program) {
	for k, in := range p.Inputs {
		for i := range in.F {
			in.F[i] = float32(math.Sin(float64(i)*0.37 + float64(k)))
		}
	}
}

// A program compiled from a bundle gives the same outputs, bit for bit, as
// the program the bundle was made from; with fp16 or int8 weights it
// stays close, and the bundle says how far its weights moved.
func TestRoundTrip(t *testing.T) {
	for name, path := range models(t) {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("not available: %v", err)
			}
			g, err := onnx.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			ref := compile(t, g)
			fill(ref)
			if err := ref.Execute(); err != nil {
				t.Fatal(err)
			}
			for _, w := range []bundle.Weights{bundle.Auto, bundle.FP32, bundle.FP16, bundle.Int8} {
				b, err := bundle.Encode(ref.Export(), bundle.Meta{Name: name, Labels: "a\nb\n"}, w)
				if err != nil {
					t.Fatalf("%s: %v", w, err)
				}
				bg, meta, err := bundle.Decode(b)
				if err != nil {
					t.Fatalf("%s: %v", w, err)
				}
				if meta.Name != name || meta.Labels != "a\nb\n" || meta.Weights != string(w) {
					t.Errorf("%s: meta %+v", w, meta)
				}
				p := compile(t, bg)
				if len(p.Graph.Nodes) != len(ref.Graph.Nodes) {
					t.Errorf("%s: %d nodes run, the original program runs %d", w, len(p.Graph.Nodes), len(ref.Graph.Nodes))
				}
				fill(p)
				if err := p.Execute(); err != nil {
					t.Fatalf("%s: %v", w, err)
				}
				for k, o := range p.Outputs {
					want := ref.Outputs[k]
					var worst float64
					for i := range o.F {
						worst = max(worst, math.Abs(float64(o.F[i])-float64(want.F[i])))
					}
					exact := w == bundle.Auto || w == bundle.FP32 || meta.MaxWeightError == 0
					if exact && worst != 0 {
						t.Errorf("%s: output %d differs by %g from the original program", w, k, worst)
					}
					if !exact {
						t.Logf("%s: output %d max |diff| %.3g (weights moved by up to %.3g)", w, k, worst, meta.MaxWeightError)
					}
					if len(o.I) > 0 && !slices.Equal(o.I, want.I) {
						t.Errorf("%s: int output %d differs", w, k)
					}
				}
				if w == bundle.Auto {
					t.Logf("%d bytes of ONNX, %d of bundle", len(data), len(b))
				}
			}
		})
	}
}

func tiny(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(shared, "models/mobilenet_v1_0.25_128/model.onnx"))
	if err != nil {
		t.Skip(err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Encode(compile(t, g).Export(), bundle.Meta{Name: "m"}, bundle.Auto)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every damaged bundle is refused with its kind of error, never a panic.
func TestDamaged(t *testing.T) {
	good := tiny(t)
	flip := func(i int) []byte {
		b := append([]byte{}, good...)
		b[i] ^= 0x40
		return b
	}
	version := func(v uint32) []byte {
		b := append([]byte{}, good...)
		binary.LittleEndian.PutUint32(b[8:], v)
		return b
	}
	for _, c := range []struct {
		name, kind, msg string
		data            []byte
	}{
		{"empty", "corrupt", "does not start with", nil},
		{"onnx", "corrupt", "does not start with", []byte("\x08\x07\x12\x07pytorch")},
		{"magic only", "corrupt", "truncated", []byte("GLIMPSEB")},
		{"truncated", "hash", "checksum", good[:len(good)/2]},
		{"one byte short", "hash", "checksum", good[:len(good)-1]},
		{"bit flip in the data", "hash", "checksum", flip(len(good) - 100)},
		{"bit flip in the header", "hash", "checksum", flip(40)},
		{"version", "version", "format version 99", version(99)},
		{"version 0", "version", "format version 0; this build reads versions 1 to 3", version(0)},
		{"version 4", "version", "format version 4", version(4)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := bundle.Decode(c.data)
			var be *bundle.Error
			if !errors.As(err, &be) || be.Kind != c.kind || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Decode: %v, want a %s error mentioning %q", err, c.kind, c.msg)
			}
		})
	}
}

// forge wraps a header and a data section as a bundle with a valid
// checksum, as someone crafting a hostile file would.
func forge(hdr, data []byte) []byte {
	b := []byte("GLIMPSEB")
	b = binary.LittleEndian.AppendUint32(b, bundle.Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(append(b, hdr...), data...)
	return binary.LittleEndian.AppendUint32(b, bundle.Checksum(b))
}

// A forged bundle (any header and data, with a valid checksum) is refused
// with an error or loads; it never panics, and what loads compiles or is
// refused cleanly.
func FuzzDecode(f *testing.F) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 4, 4}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 2}}},
		Inits:   []onnxtest.Init{{Name: "w", Dims: []int64{2, 3, 1, 1}, Floats: []float32{1, 2, 3, 4, 5, 6}}},
		Nodes: []onnxtest.Node{
			{Op: "Conv", Name: "c", Inputs: []string{"x", "w"}, Outputs: []string{"c"}},
			{Op: "Relu", Name: "r", Inputs: []string{"c"}, Outputs: []string{"r"}},
			{Op: "GlobalAveragePool", Name: "p", Inputs: []string{"r"}, Outputs: []string{"p"}},
			{Op: "Flatten", Name: "f", Inputs: []string{"p"}, Outputs: []string{"y"}},
		},
	}.Bytes()
	g, err := onnx.Decode(m)
	if err != nil {
		f.Fatal(err)
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		f.Fatal(err)
	}
	good, err := bundle.Encode(p.Export(), bundle.Meta{Name: "m", Labels: "a\nb\n"}, bundle.Auto)
	if err != nil {
		f.Fatal(err)
	}
	hlen := binary.LittleEndian.Uint32(good[12:])
	f.Add(good[16:16+hlen], good[16+hlen:len(good)-4])
	// A tensor of each compact encoding: pal8r, pal8rs, pal8s, i16s.
	r, n := pal8rTensor()
	rs, rsn := pal8rsTensor()
	ps, psn := pal8sTensor()
	for _, b := range [][]byte{pal8rGraph("[3000]", r, n), encGraph("pal8rs", "[3000]", rs, rsn), encGraph("pal8s", "[1024]", ps, psn),
		encGraph("i16s", "[300]", i16sTensor(), 0), pal8sGood()} {
		hlen := binary.LittleEndian.Uint32(b[12:])
		f.Add(b[16:16+hlen], b[16+hlen:len(b)-4])
	}
	// Hostile directories, nesting and counts (hostile_test.go), the small ones.
	for _, c := range hostileBundles() {
		b := c.data()
		hlen := int(binary.LittleEndian.Uint32(b[12:]))
		if len(b) <= 16<<10 && 16+hlen+4 <= len(b) {
			f.Add(b[16:16+hlen], b[16+hlen:len(b)-4])
		}
	}
	f.Fuzz(func(t *testing.T, hdr, data []byte) {
		g, _, err := bundle.Decode(forge(hdr, data))
		if err == nil {
			cpu.Compile(g, cpu.Options{})
			return
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "internal error") {
			t.Fatalf("error %q", msg)
		}
	})
}
