package cpu

import (
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/graph/graphtest"
)

// node builds a node for op tests: attrs alternate name, value.
func node(op string, nin, nout int, attrs ...any) *graph.Node {
	n := &graph.Node{Name: strings.ToLower(op), Op: op, Attrs: map[string]any{}}
	for i := 0; i < nin; i++ {
		n.Inputs = append(n.Inputs, string(rune('a'+i)))
	}
	for i := 0; i < nout; i++ {
		n.Outputs = append(n.Outputs, string(rune('y'-i)))
	}
	n.Attrs = graphtest.Attrs(attrs...)
	return n
}

func fl(shape []int, v ...float32) *graph.Tensor { return graph.Floats(shape, v) }
func in64(shape []int, v ...int64) *graph.Tensor { return graph.Ints(shape, v) }

// runOp prepares n for the given inputs (all known, as constants are; a nil
// input is absent) and runs its kernel once on fresh outputs. It checks
// that a second run allocates nothing.
func runOp(t *testing.T, opset int64, n *graph.Node, ins ...*graph.Tensor) ([]*graph.Tensor, error) {
	t.Helper()
	vals := make([]*Value, len(ins))
	for i, x := range ins {
		if x != nil {
			vals[i] = &Value{DType: x.DType, Shape: x.Shape, Const: x}
		}
	}
	fn, ok := registry[n.Op]
	if !ok {
		t.Fatalf("op %s is not registered", n.Op)
	}
	pr, err := fn(&ctx{opset: opset}, n, vals)
	if err != nil {
		return nil, err
	}
	outs := make([]*graph.Tensor, len(pr.outs))
	for i, o := range pr.outs {
		if o.Const != nil {
			outs[i] = o.Const
			continue
		}
		if o.DType != graph.Undefined {
			outs[i] = graph.New(o.DType, o.Shape)
			// Garbage in the outputs: a kernel must write every element.
			for j := range outs[i].F {
				outs[i].F[j] = float32(math.NaN())
			}
			for j := range outs[i].I {
				outs[i].I[j] = -999
			}
		}
	}
	if pr.run == nil {
		return outs, nil
	}
	scratch := make([]float32, pr.scratch)
	if err := pr.run(ins, outs, scratch); err != nil {
		return nil, err
	}
	if allocs := testing.AllocsPerRun(2, func() { _ = pr.run(ins, outs, scratch) }); allocs != 0 {
		t.Errorf("%s: the kernel allocates %v times per run", n.Op, allocs)
	}
	return outs, nil
}

// closeTo reports whether got matches want within tol (absolute+relative).
func closeTo(got, want []float32, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > tol*(1+math.Abs(w)) {
			return false
		}
	}
	return true
}

func randTensor(r *rand.Rand, shape ...int) *graph.Tensor {
	t := graph.New(graph.Float32, shape)
	for i := range t.F {
		t.F[i] = float32(r.NormFloat64())
	}
	return t
}

func wantErr(t *testing.T, err error, sub string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("want an error containing %q, got %v", sub, err)
	}
}

// expectOp checks one op case: the error contains errSub when it is set;
// otherwise the first output has the shape and the values (float32 within
// tol, or int64 exactly).
func expectOp(t *testing.T, outs []*graph.Tensor, err error, errSub string, shape []int, want any, tol float64) {
	t.Helper()
	if errSub != "" {
		wantErr(t, err, errSub)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	y := outs[0]
	if !reflect.DeepEqual(y.Shape, shape) {
		t.Fatalf("shape %v, want %v", y.Shape, shape)
	}
	switch w := want.(type) {
	case []float32:
		if w != nil && !closeTo(y.F, w, tol) {
			t.Errorf("got %v, want %v", y.F, w)
		}
	case []int64:
		if w != nil && !reflect.DeepEqual(y.I, w) {
			t.Errorf("got %v, want %v", y.I, w)
		}
	}
}
