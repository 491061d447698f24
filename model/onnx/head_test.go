package onnx_test

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/glimpse/glimpse/model"
	_ "github.com/glimpse/glimpse/model/importer" // model.Load reads ONNX
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// headBackbone is input x [1,3,8,8] → Conv 3×3 (4 channels) → Relu →
// GlobalAveragePool "feat" [1,4,1,1], then the head to replace: a 1×1 Conv
// to 64 classes, Reshape to [1,64] and Softmax "probs". It returns the
// model and the first Conv's weights and bias.
func headBackbone(opset, ir int64) (m onnxtest.Model, w, b []float32) {
	r := rand.New(rand.NewSource(1))
	w, b = randFloats(r, 4*3*3*3), randFloats(r, 4)
	m = onnxtest.Model{
		IRVersion: ir, Opset: opset,
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "probs", Dims: []any{1, 64}}},
		Nodes: []onnxtest.Node{
			{Op: "Conv", Name: "conv1", Inputs: []string{"x", "w1", "b1"}, Outputs: []string{"c1"},
				Attrs: []onnxtest.Attr{{Name: "pads", Ints: []int64{1, 1, 1, 1}}}},
			{Op: "Relu", Name: "relu1", Inputs: []string{"c1"}, Outputs: []string{"r1"}},
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"r1"}, Outputs: []string{"feat"}},
			{Op: "Conv", Name: "cls", Inputs: []string{"feat", "w2", "b2"}, Outputs: []string{"logits4"}},
			{Op: "Reshape", Name: "flat", Inputs: []string{"logits4", "shape"}, Outputs: []string{"logits"}},
			{Op: "Softmax", Name: "softmax", Inputs: []string{"logits"}, Outputs: []string{"probs"},
				Attrs: []onnxtest.Attr{{Name: "axis", Int: onnxtest.I64(1)}}},
		},
		Inits: []onnxtest.Init{
			{Name: "w1", Dims: []int64{4, 3, 3, 3}, Floats: w},
			{Name: "b1", Dims: []int64{4}, Floats: b},
			{Name: "w2", Dims: []int64{64, 4, 1, 1}, Floats: randFloats(r, 64*4)},
			{Name: "b2", Dims: []int64{64}, Floats: randFloats(r, 64)},
		},
		Initializers: []onnxtest.Tensor{{Name: "shape", Elem: onnxtest.Int64, Dims: []int64{2}, Ints: []int64{1, 64}}},
	}
	if ir > 0 && ir < 4 { // old IR versions list the initializers among the inputs
		for _, name := range []string{"w1", "b1", "w2", "b2", "shape"} {
			m.Inputs = append(m.Inputs, onnxtest.Value{Name: name, NoShape: true})
		}
	}
	return m, w, b
}

func randFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.Float64()*2 - 1)
	}
	return v
}

func randDense(r *rand.Rand, in, out int) onnx.Dense {
	return onnx.Dense{In: in, Out: out, W: randFloats(r, in*out), B: randFloats(r, out)}
}

// runModel loads an ONNX file with model.Load and runs it on input.
func runModel(t *testing.T, data []byte, input []float32) []float32 {
	t.Helper()
	cl, err := model.Load(model.Files{Name: "head", Model: data})
	if err != nil {
		t.Fatal(err)
	}
	out, err := cl.Program.Run(input)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), out...)
}

// headRef is the head computed in float64 on a feature vector.
func headRef(feat []float64, h onnx.Head) []float64 {
	x := feat
	for i, l := range h.Layers {
		y := make([]float64, l.Out)
		for o := range y {
			s := float64(l.B[o])
			for k := 0; k < l.In; k++ {
				s += float64(l.W[o*l.In+k]) * x[k]
			}
			if i < len(h.Layers)-1 {
				s = math.Max(s, 0)
			}
			y[o] = s
		}
		x = y
	}
	switch h.Activation {
	case "softmax":
		m, sum := math.Inf(-1), 0.0
		for _, v := range x {
			m = math.Max(m, v)
		}
		for i, v := range x {
			x[i] = math.Exp(v - m)
			sum += x[i]
		}
		for i := range x {
			x[i] /= sum
		}
	case "sigmoid":
		for i, v := range x {
			x[i] = 1 / (1 + math.Exp(-v))
		}
	}
	return x
}

// featureRef is conv1 (3×3, pads 1) → Relu → GlobalAveragePool in float64.
func featureRef(x, w, b []float32) []float64 {
	feat := make([]float64, 4)
	for c := range 4 {
		for i := range 8 {
			for j := range 8 {
				s := float64(b[c])
				for ci := range 3 {
					for di := -1; di <= 1; di++ {
						for dj := -1; dj <= 1; dj++ {
							if i+di < 0 || i+di >= 8 || j+dj < 0 || j+dj >= 8 {
								continue
							}
							s += float64(w[((c*3+ci)*3+di+1)*3+dj+1]) * float64(x[(ci*8+i+di)*8+j+dj])
						}
					}
				}
				feat[c] += math.Max(s, 0) / 64
			}
		}
	}
	return feat
}

// closeRel reports whether got is want within 1e-5 relative (of |want|,
// or of 1e-3 for smaller values).
func closeRel(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*math.Max(math.Abs(want), 1e-3)
}

func identity(n int) onnx.Dense {
	d := onnx.Dense{In: n, Out: n, W: make([]float32, n*n), B: make([]float32, n)}
	for i := range n {
		d.W[i*n+i] = 1
	}
	return d
}

// A new head on the tiny backbone computes the float64 reference on the
// backbone's feature, for 1 and 2 layers and each activation; the old
// head's initializers are gone, the file is smaller, and the model's other
// fields are kept.
func TestReplaceHead(t *testing.T) {
	for _, ir := range []int64{8, 3} {
		t.Run("ir"+strconv.FormatInt(ir, 10), func(t *testing.T) {
			m, w1, b1 := headBackbone(13, ir)
			orig := m.Bytes()
			x := randFloats(rand.New(rand.NewSource(2)), 3*8*8)

			// The feature, as Glimpse computes it: an identity head.
			idModel, err := onnx.ReplaceHead(orig, onnx.Head{Feature: "feat", Layers: []onnx.Dense{identity(4)}})
			if err != nil {
				t.Fatal(err)
			}
			feat32 := runModel(t, idModel, x)
			want := featureRef(x, w1, b1)
			feat := make([]float64, len(feat32))
			for i, v := range feat32 {
				feat[i] = float64(v)
				if !closeRel(v, want[i]) {
					t.Errorf("feature[%d] = %v, float64 reference %v", i, v, want[i])
				}
			}

			r := rand.New(rand.NewSource(3))
			one := []onnx.Dense{randDense(r, 4, 5)}
			two := []onnx.Dense{randDense(r, 4, 6), randDense(r, 6, 5)}
			for _, c := range []struct {
				name string
				h    onnx.Head
			}{
				{"1 layer softmax", onnx.Head{Feature: "feat", Layers: one, Activation: "softmax"}},
				{"1 layer sigmoid", onnx.Head{Feature: "feat", Layers: one, Activation: "sigmoid"}},
				{"1 layer logits", onnx.Head{Feature: "feat", Layers: one, Output: "logits"}},
				{"2 layers softmax", onnx.Head{Feature: "feat", Layers: two, Activation: "softmax", Output: "scores"}},
				{"2 layers sigmoid", onnx.Head{Feature: "feat", Layers: two, Activation: "sigmoid"}},
				{"2 layers logits", onnx.Head{Feature: "feat", Layers: two}},
			} {
				t.Run(c.name, func(t *testing.T) {
					out, err := onnx.ReplaceHead(orig, c.h)
					if err != nil {
						t.Fatal(err)
					}
					if len(out) >= len(orig) {
						t.Errorf("the new model is %d bytes, the original %d", len(out), len(orig))
					}
					got := runModel(t, out, x)
					ref := headRef(feat, c.h)
					if len(got) != len(ref) {
						t.Fatalf("%d outputs, want %d", len(got), len(ref))
					}
					for i := range ref {
						if !closeRel(got[i], ref[i]) {
							t.Errorf("output[%d] = %v, float64 reference %v", i, got[i], ref[i])
						}
					}

					g, err := onnx.Decode(out)
					if err != nil {
						t.Fatal(err)
					}
					name := c.h.Output
					if name == "" {
						name = "probs"
					}
					if len(g.Outputs) != 1 || g.Outputs[0].Name != name || len(g.Outputs[0].Dims) != 2 ||
						g.Outputs[0].Dims[0].Value != 1 || g.Outputs[0].Dims[1].Value != 5 {
						t.Errorf("outputs %+v, want one %q [1,5]", g.Outputs, name)
					}
					if g.Producer != "onnxtest" || g.IRVersion != ir || g.Opset != 13 || g.Name != "test" {
						t.Errorf("producer %q, IR %d, opset %d, graph %q: not kept", g.Producer, g.IRVersion, g.Opset, g.Name)
					}
					var inits []string
					for n := range g.Initializers {
						if !strings.HasPrefix(n, "glimpse_head/") {
							inits = append(inits, n)
						}
					}
					if len(inits) != 2 || g.Initializers["w1"] == nil || g.Initializers["b1"] == nil {
						t.Errorf("backbone initializers %v, want w1 and b1", inits)
					}
					if n := len(g.Initializers) - len(inits); n != 2*len(c.h.Layers) {
						t.Errorf("%d new initializers, want %d", n, 2*len(c.h.Layers))
					}
					if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" {
						t.Errorf("inputs %+v, want x", g.Inputs)
					}
					var ops []string
					for _, n := range g.Nodes {
						ops = append(ops, n.Op)
					}
					wantOps := "Conv Relu GlobalAveragePool Flatten Gemm"
					if len(c.h.Layers) == 2 {
						wantOps += " Relu Gemm"
					}
					switch c.h.Activation {
					case "softmax":
						wantOps += " Softmax"
					case "sigmoid":
						wantOps += " Sigmoid"
					}
					if got := strings.Join(ops, " "); got != wantOps {
						t.Errorf("ops %s, want %s", got, wantOps)
					}
					// IR 3 lists initializers among the inputs: the old head's
					// go, the new head's come.
					ins := graphInputNames(t, out)
					wantIns := 1
					if ir < 4 {
						wantIns = 3 + 2*len(c.h.Layers)
						if slicesContain(ins, "w2") || slicesContain(ins, "shape") || !slicesContain(ins, "w1") {
							t.Errorf("graph inputs %v", ins)
						}
					}
					if len(ins) != wantIns {
						t.Errorf("graph inputs %v, want %d", ins, wantIns)
					}
				})
			}
		})
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// graphInputNames reads the names of the main graph's inputs off the wire
// (Decode leaves out initializer-inputs).
func graphInputNames(t *testing.T, model []byte) []string { return graphValueNames(t, model, 11) }

// graphValueNames reads the names of the main graph's ValueInfoProto field
// num (11 inputs, 12 outputs, 13 value_info) off the wire.
func graphValueNames(t *testing.T, model []byte, field protowire.Number) []string {
	t.Helper()
	var names []string
	each := func(data []byte, fn func(num protowire.Number, b []byte)) {
		for len(data) > 0 {
			num, typ, n := protowire.ConsumeTag(data)
			if n < 0 {
				t.Fatal("corrupt protobuf")
			}
			data = data[n:]
			m := protowire.ConsumeFieldValue(num, typ, data)
			if m < 0 {
				t.Fatal("corrupt protobuf")
			}
			if typ == protowire.BytesType {
				b, _ := protowire.ConsumeBytes(data)
				fn(num, b)
			}
			data = data[m:]
		}
	}
	each(model, func(num protowire.Number, g []byte) {
		if num == 7 {
			each(g, func(num protowire.Number, in []byte) {
				if num == field {
					each(in, func(num protowire.Number, name []byte) {
						if num == 1 {
							names = append(names, string(name))
						}
					})
				}
			})
		}
	})
	return names
}

// Fields the decoder does not read are kept: the model's doc string and
// metadata, the graph's doc string, and the value infos of tensors the
// kept graph still makes or reads (only those).
func TestReplaceHeadKeepsFields(t *testing.T) {
	m, _, _ := headBackbone(13, 8)
	str := func(b []byte, num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
	}
	msg := func(b []byte, num protowire.Number, body []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), body)
	}
	g := m.Graph().Bytes()
	for _, name := range []string{"c1", "feat", "logits4", "probs"} {
		g = msg(g, 13, str(nil, 1, name)) // value_info
	}
	g = str(g, 10, "graph doc")
	var model []byte
	model = protowire.AppendVarint(protowire.AppendTag(model, 1, protowire.VarintType), 8)
	model = str(model, 6, "model doc")
	model = msg(model, 7, g)
	model = msg(model, 8, protowire.AppendVarint(protowire.AppendTag(str(nil, 1, ""), 2, protowire.VarintType), 13))
	model = msg(model, 14, str(str(nil, 1, "author"), 2, "test")) // metadata_props
	out, err := onnx.ReplaceHead(model, onnx.Head{Feature: "feat", Layers: []onnx.Dense{identity(4)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"model doc", "graph doc", "author"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("%q is gone", s)
		}
	}
	if got := strings.Join(graphValueNames(t, out, 13), " "); got != "c1 feat" {
		t.Errorf("value infos %s, want c1 feat", got)
	}
	if got := strings.Join(graphValueNames(t, out, 12), " "); got != "probs" {
		t.Errorf("outputs %s, want probs", got)
	}
	if _, err := onnx.Decode(out); err != nil {
		t.Fatal(err)
	}
}

// The batch dimension is copied from the first input, symbolic or not.
func TestReplaceHeadBatchDim(t *testing.T) {
	m, _, _ := headBackbone(13, 8)
	m.Inputs[0].Dims[0] = "N"
	out, err := onnx.ReplaceHead(m.Bytes(), onnx.Head{Feature: "feat", Layers: []onnx.Dense{identity(4)}, Activation: "sigmoid"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := onnx.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := g.Outputs[0].Dims; len(d) != 2 || d[0].Param != "N" || d[1].Value != 4 {
		t.Errorf("output dims %+v, want [N,4]", d)
	}
}

// An If node whose branch reads an outer-scope initializer keeps it; an
// initializer nothing kept reads goes.
func TestReplaceHeadSubgraph(t *testing.T) {
	branch := func(name, op string) onnxtest.Graph {
		return onnxtest.Graph{Name: name,
			Nodes:   []onnxtest.Node{{Op: op, Inputs: []string{"g", "s"}, Outputs: []string{name + "_y"}}},
			Outputs: []onnxtest.Value{{Name: name + "_y", NoType: true}}}
	}
	then, els := branch("then", "Mul"), branch("else", "Add")
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 4, 4}}},
		Outputs: []onnxtest.Value{{Name: "out", Dims: []any{1, 3}}},
		Nodes: []onnxtest.Node{
			{Op: "GlobalAveragePool", Inputs: []string{"x"}, Outputs: []string{"g"}},
			{Op: "If", Name: "branch", Inputs: []string{"c"}, Outputs: []string{"y"},
				Attrs: []onnxtest.Attr{{Name: "then_branch", Graph: &then}, {Name: "else_branch", Graph: &els}}},
			{Op: "Mul", Inputs: []string{"y", "unused"}, Outputs: []string{"z"}},
			{Op: "Flatten", Inputs: []string{"z"}, Outputs: []string{"out"}},
		},
		Inits:        []onnxtest.Init{{Name: "s", Dims: []int64{1}, Floats: []float32{3}}, {Name: "unused", Dims: []int64{1}, Floats: []float32{7}}},
		Initializers: []onnxtest.Tensor{{Name: "c", Elem: onnxtest.Bool, Ints: []int64{1}}},
	}
	out, err := onnx.ReplaceHead(m.Bytes(), onnx.Head{Feature: "y", Layers: []onnx.Dense{identity(3)}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := onnx.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if g.Initializers["s"] == nil || g.Initializers["c"] == nil || g.Initializers["unused"] != nil {
		t.Errorf("initializers %v: want s and c kept, unused gone", keys(g.Initializers))
	}
	x := randFloats(rand.New(rand.NewSource(4)), 3*4*4)
	got := runModel(t, out, x)
	for c := range 3 {
		mean := 0.0
		for _, v := range x[c*16 : (c+1)*16] {
			mean += float64(v) / 16
		}
		if !closeRel(got[c], 3*mean) {
			t.Errorf("output[%d] = %v, want %v", c, got[c], 3*mean)
		}
	}
	// Output may not name a kept tensor, even one inside a kept branch.
	if _, err := onnx.ReplaceHead(m.Bytes(), onnx.Head{Feature: "y", Layers: []onnx.Dense{identity(3)}, Output: "then_y"}); err == nil {
		t.Error(`Output "then_y" (inside the kept If) was accepted`)
	}
}

func keys[V any](m map[string]V) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	return s
}

// Each bad model or head is refused with a one-line error that says why.
func TestReplaceHeadErrors(t *testing.T) {
	m, _, _ := headBackbone(13, 8)
	good := m.Bytes()
	m6, _, _ := headBackbone(6, 3)
	ok := []onnx.Dense{identity(4)}
	r := rand.New(rand.NewSource(5))
	nan, inf := identity(4), identity(4)
	nan.W[5] = float32(math.NaN())
	inf.B[2] = float32(math.Inf(1))
	noGraph := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 8)
	for _, c := range []struct {
		name  string
		model []byte
		h     onnx.Head
		want  string
	}{
		{"malformed", good[:len(good)/2], onnx.Head{Feature: "feat", Layers: ok}, "not a valid ONNX file"},
		{"garbage", []byte{0x0a, 0xff, 0x01}, onnx.Head{Feature: "feat", Layers: ok}, "not a valid ONNX file"},
		{"nested too deep", onnxtest.Nested(100000), onnx.Head{Feature: "y", Layers: ok}, "node 0: graph attributes nest deeper than 32 levels"},
		{"no graph", noGraph, onnx.Head{Feature: "feat", Layers: ok}, "holds no graph"},
		{"unknown feature", good, onnx.Head{Feature: "nope", Layers: ok}, `feature "nope" is not produced by any node`},
		{"no layers", good, onnx.Head{Feature: "feat"}, "no layers"},
		{"W size", good, onnx.Head{Feature: "feat", Layers: []onnx.Dense{{In: 4, Out: 2, W: make([]float32, 7), B: make([]float32, 2)}}}, "W has 7 values"},
		{"B size", good, onnx.Head{Feature: "feat", Layers: []onnx.Dense{{In: 4, Out: 2, W: make([]float32, 8), B: make([]float32, 3)}}}, "B has 3 values"},
		{"chain", good, onnx.Head{Feature: "feat", Layers: []onnx.Dense{randDense(r, 4, 6), randDense(r, 5, 2)}}, "layer 1: In is 5 but layer 0's Out is 6"},
		{"zero size", good, onnx.Head{Feature: "feat", Layers: []onnx.Dense{{}}}, "must be positive"},
		{"activation", good, onnx.Head{Feature: "feat", Layers: ok, Activation: "relu"}, `activation "relu" is not`},
		{"opset 6", m6.Bytes(), onnx.Head{Feature: "feat", Layers: ok}, "opset is 6"},
		{"NaN weight", good, onnx.Head{Feature: "feat", Layers: []onnx.Dense{nan}}, "W[5] is NaN"},
		{"Inf bias", good, onnx.Head{Feature: "feat", Layers: []onnx.Dense{inf}}, "B[2] is +Inf"},
		{"output is kept", good, onnx.Head{Feature: "feat", Layers: ok, Output: "r1"}, `output "r1" already names`},
		{"output is the input", good, onnx.Head{Feature: "feat", Layers: ok, Output: "x"}, `output "x" already names`},
		{"output is the feature", good, onnx.Head{Feature: "feat", Layers: ok, Output: "feat"}, `output "feat" already names`},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := onnx.ReplaceHead(c.model, c.h)
			if err == nil {
				t.Fatalf("no error (%d bytes)", len(out))
			}
			if msg := err.Error(); !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "replace head: ") {
				t.Errorf("error %q, want one line with %q", msg, c.want)
			}
		})
	}
}

// sharedDir is $SHARED, else the checkout's sibling shared/, else /work/shared.
func sharedDir() string {
	for _, d := range []string{os.Getenv("SHARED"), "../../../shared", "/work/shared"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	return ""
}

// ortTolerance is the most a Glimpse output may differ from ONNX
// Runtime's (absolute).
const ortTolerance = 1e-4

// A new head on MobileNet v1 0.25 runs in Glimpse as in ONNX Runtime
// (onnxruntime-node, testdata/ort_run.mjs), and the file loses the
// 1000-class classifier's weights.
func TestReplaceHeadMobileNetVsORT(t *testing.T) {
	dir := sharedDir()
	orig, err := os.ReadFile(filepath.Join(dir, "models/mobilenet_v1_0.25_128/model.onnx"))
	if dir == "" || err != nil {
		t.Skipf("shared model not available: %v", err)
	}
	r := rand.New(rand.NewSource(6))
	layers := []onnx.Dense{randDense(r, 256, 32), randDense(r, 32, 5)}
	for _, l := range layers { // weights of a trained head's scale: outputs not saturated
		for i := range l.W {
			l.W[i] /= float32(math.Sqrt(float64(l.In)))
		}
	}
	x := randFloats(r, 3*128*128)
	tmp := t.TempDir()
	in := filepath.Join(tmp, "input.bin")
	if err := os.WriteFile(in, floatBytes(x), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, act := range []string{"softmax", "sigmoid"} {
		t.Run(act, func(t *testing.T) {
			out, err := onnx.ReplaceHead(orig, onnx.Head{Feature: "MobilenetV1/Logits/AvgPool_1a/AvgPool", Layers: layers, Activation: act})
			if err != nil {
				t.Fatal(err)
			}
			if len(out) >= len(orig) {
				t.Errorf("the new model is %d bytes, the original %d", len(out), len(orig))
			}
			t.Logf("%d bytes, from %d", len(out), len(orig))
			got := runModel(t, out, x)
			if len(got) != 5 {
				t.Fatalf("%d outputs, want 5", len(got))
			}
			path := filepath.Join(tmp, act+".onnx")
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			want := runORT(t, path, in, "1,3,128,128")
			if len(want) != len(got) {
				t.Fatalf("ORT gives %d outputs, Glimpse %d", len(want), len(got))
			}
			maxDiff := 0.0
			for i := range got {
				maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-float64(want[i])))
			}
			t.Logf("%s: max |Glimpse − ORT| = %.3g (tolerance %g); Glimpse %v, ORT %v", act, maxDiff, ortTolerance, got, want)
			if !(maxDiff <= ortTolerance) {
				t.Errorf("max |Glimpse − ORT| = %g, over %g", maxDiff, ortTolerance)
			}
		})
	}
}

func floatBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// runORT runs testdata/ort_run.mjs on a model; it skips when node or
// onnxruntime-node is missing, unless GLIMPSE_CORPUS_REQUIRED=1.
func runORT(t *testing.T, modelPath, inputPath, shape string) []float32 {
	t.Helper()
	missing := func(err error) {
		if os.Getenv("GLIMPSE_CORPUS_REQUIRED") == "1" {
			t.Fatalf("ONNX Runtime is required (GLIMPSE_CORPUS_REQUIRED=1): %v", err)
		}
		t.Skipf("ONNX Runtime not available: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing(err)
	}
	if _, err := os.Stat("../../testdata/corpus/node_modules/onnxruntime-node/package.json"); err != nil {
		missing(errors.New("onnxruntime-node is not installed in testdata/corpus (npm ci --ignore-scripts there)"))
	}
	outPath := filepath.Join(filepath.Dir(modelPath), filepath.Base(modelPath)+".out.bin")
	cmd := exec.Command(node, "testdata/ort_run.mjs", modelPath, inputPath, shape, outPath)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ort_run.mjs: %v: %s", err, msg)
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
