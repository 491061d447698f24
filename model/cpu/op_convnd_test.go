package cpu

import (
	"math/rand"
	"reflect"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// naiveConv is a textbook N-d convolution, coordinate by coordinate, to
// check the kernels against.
func naiveConv(x, w *graph.Tensor, bias []float32, group int, st, pb, dil, outSp []int) *graph.Tensor {
	N, C, M := x.Shape[0], x.Shape[1], w.Shape[0]
	Cg, Mg := C/group, M/group
	sp := len(outSp)
	y := graph.New(graph.Float32, append([]int{N, M}, outSp...))
	xst, wst, yst := strides(x.Shape), strides(w.Shape), strides(y.Shape)
	ksz := graph.NumElems(w.Shape[2:])
	osz := graph.NumElems(outSp)
	for b := 0; b < N; b++ {
		for m := 0; m < M; m++ {
			g := m / Mg
			for oi := 0; oi < osz; oi++ {
				acc := 0.0
				if bias != nil {
					acc = float64(bias[m])
				}
				for ci := 0; ci < Cg; ci++ {
					for ki := 0; ki < ksz; ki++ {
						xo, ok := (b*C+g*Cg+ci)*xst[1], true
						wo := m*wst[0] + ci*wst[1]
						for d := 0; d < sp; d++ {
							o := oi / yst[d+2] % outSp[d]
							k := ki / wst[d+2] % w.Shape[d+2]
							p := o*st[d] - pb[d] + k*dil[d]
							if p < 0 || p >= x.Shape[d+2] {
								ok = false
							}
							xo += p * xst[d+2]
							wo += k * wst[d+2]
						}
						if ok {
							acc += float64(x.F[xo]) * float64(w.F[wo])
						}
					}
				}
				y.F[(b*M+m)*osz+oi] = float32(acc)
			}
		}
	}
	return y
}

func ints(v []int) []int64 {
	out := make([]int64, len(v))
	for i := range v {
		out[i] = int64(v[i])
	}
	return out
}

func TestConvND(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	type cfg struct {
		x, w          []int
		group         int
		st, pads, dil []int
		bias          bool
	}
	cfgs := []cfg{
		{x: []int{1, 2, 4, 5, 3}, w: []int{3, 2, 2, 3, 1}, group: 1, st: []int{1, 1, 1}, pads: []int{0, 1, 0, 1, 1, 0}, dil: []int{1, 1, 1}, bias: true},
		{x: []int{2, 4, 5, 4, 6}, w: []int{6, 2, 3, 2, 3}, group: 2, st: []int{2, 1, 2}, pads: []int{1, 0, 1, 1, 1, 2}, dil: []int{1, 2, 1}},
		{x: []int{1, 3, 7, 6, 5}, w: []int{3, 1, 3, 3, 3}, group: 3, st: []int{1, 2, 1}, pads: []int{2, 2, 2, 2, 2, 2}, dil: []int{2, 1, 2}, bias: true},
		{x: []int{1, 1, 3, 2, 2, 3}, w: []int{2, 1, 2, 1, 2, 2}, group: 1, st: []int{1, 1, 1, 1}, pads: []int{0, 0, 1, 0, 1, 0, 0, 1}, dil: []int{1, 1, 1, 1}, bias: true},
		// 2-D and 1-D through the N-d kernel, checked like the rest.
		{x: []int{1, 4, 7, 6}, w: []int{4, 2, 3, 3}, group: 2, st: []int{2, 1}, pads: []int{1, 1, 0, 2}, dil: []int{1, 2}, bias: true},
		{x: []int{2, 3, 9}, w: []int{5, 3, 3}, group: 1, st: []int{2}, pads: []int{1, 2}, dil: []int{2}},
	}
	for i, cf := range cfgs {
		x, w := randTensor(r, cf.x...), randTensor(r, cf.w...)
		ins := []*graph.Tensor{x, w}
		var bias []float32
		if cf.bias {
			b := randTensor(r, cf.w[0])
			ins, bias = append(ins, b), b.F
		}
		n := node("Conv", len(ins), 1, "group", cf.group, "strides", cf.st, "pads", cf.pads, "dilations", cf.dil)
		sp := len(cf.x) - 2
		outSp := make([]int, sp)
		for d := 0; d < sp; d++ {
			ext := cf.dil[d]*(cf.w[d+2]-1) + 1
			outSp[d] = (cf.x[d+2]+cf.pads[d]+cf.pads[d+sp]-ext)/cf.st[d] + 1
		}
		want := naiveConv(x, w, bias, cf.group, cf.st, cf.pads[:sp], cf.dil, outSp)
		outs, err := runOp(t, 13, n, ins...)
		if err != nil {
			t.Fatalf("config %d: %v", i, err)
		}
		if !reflect.DeepEqual(outs[0].Shape, want.Shape) || !closeTo(outs[0].F, want.F, 1e-4) {
			t.Errorf("config %d (prepConv): shape %v, want %v; max diff %g", i, outs[0].Shape, want.Shape, graph.MaxAbsDiff(outs[0].F, want.F))
		}
		if sp <= 2 { // the same through the N-d kernel
			vals := make([]*Value, len(ins))
			for j, t := range ins {
				vals[j] = &Value{DType: t.DType, Shape: t.Shape, Const: t}
			}
			pr, err := prepConvN(&ctx{opset: 13}, n, vals)
			if err != nil {
				t.Fatal(err)
			}
			y := graph.New(graph.Float32, pr.outs[0].Shape)
			if err := pr.run(ins, []*graph.Tensor{y}, nil); err != nil {
				t.Fatal(err)
			}
			if !closeTo(y.F, want.F, 1e-4) {
				t.Errorf("config %d (prepConvN): max diff %g", i, graph.MaxAbsDiff(y.F, want.F))
			}
		}
	}

	// Hand-computed: a 2×2×2 box of ones over ones, padded by one at the front of D.
	ones := func(shape ...int) *graph.Tensor {
		t := graph.New(graph.Float32, shape)
		for i := range t.F {
			t.F[i] = 1
		}
		return t
	}
	outs, err := runOp(t, 13, node("Conv", 2, 1, "pads", []int{1, 0, 0, 0, 0, 0}), ones(1, 1, 2, 2, 2), ones(1, 1, 2, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{4, 8}; !reflect.DeepEqual(outs[0].Shape, []int{1, 1, 2, 1, 1}) || !closeTo(outs[0].F, want, 0) {
		t.Errorf("got %v %v, want [1 1 2 1 1] %v", outs[0].Shape, outs[0].F, want)
	}

	for _, c := range []struct {
		name string
		n    *graph.Node
		ins  []*graph.Tensor
		err  string
	}{
		{"group", node("Conv", 2, 1, "group", 2), []*graph.Tensor{ones(1, 3, 2, 2, 2), ones(2, 1, 1, 1, 1)}, "group 2 disagree"},
		{"kernel_shape", node("Conv", 2, 1, "kernel_shape", []int{2, 2, 2}), []*graph.Tensor{ones(1, 1, 2, 2, 2), ones(1, 1, 1, 1, 1)}, "kernel_shape [2 2 2] disagrees"},
		{"bias", node("Conv", 3, 1), []*graph.Tensor{ones(1, 1, 2, 2, 2), ones(2, 1, 1, 1, 1), ones(3)}, "bias [3] does not have 2 values"},
		{"rank", node("Conv", 2, 1), []*graph.Tensor{ones(1, 1, 2, 2, 2), ones(1, 1, 1, 1)}, "do not match input"},
	} {
		if _, err := runOp(t, 13, c.n, c.ins...); err == nil {
			t.Errorf("%s: no error", c.name)
		} else {
			wantErr(t, err, c.err)
		}
	}
}

// A 3-D Conv followed by a residual Add and Relu fuses into FusedConv, and
// the fused program computes what the unfused one does.
func TestConv3DFused(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	w := randTensor(r, 2, 2, 3, 3, 3)
	b := randTensor(r, 2)
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 2, 4, 5, 6}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 2, 4, 5, 6}}},
		Nodes: []onnxtest.Node{
			{Op: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}, Attrs: []onnxtest.Attr{{Name: "pads", Ints: []int64{1, 1, 1, 1, 1, 1}}}},
			{Op: "Add", Inputs: []string{"c", "x"}, Outputs: []string{"s"}},
			{Op: "Relu", Inputs: []string{"s"}, Outputs: []string{"y"}},
		},
		Inits: []onnxtest.Init{{Name: "w", Dims: ints(w.Shape), Floats: w.F}, {Name: "b", Dims: []int64{2}, Floats: b.F}},
	}
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	x := randTensor(r, 1, 2, 4, 5, 6)
	var res [2][]float32
	for i, opt := range []Options{{}, {NoFusion: true}} {
		p, err := Compile(g, opt)
		if err != nil {
			t.Fatal(err)
		}
		if h := p.Graph.OpHistogram(); i == 0 && (h["FusedConv"] != 1 || len(p.Graph.Nodes) != 1) {
			t.Errorf("fused graph runs %s", p.OpCounts())
		}
		y, err := p.Run(x.F)
		if err != nil {
			t.Fatal(err)
		}
		res[i] = append([]float32(nil), y...)
	}
	if !closeTo(res[0], res[1], 1e-5) {
		t.Errorf("fused and unfused differ by %g", graph.MaxAbsDiff(res[0], res[1]))
	}
}

func TestConvTranspose(t *testing.T) {
	seq := func(shape ...int) *graph.Tensor {
		x := graph.New(graph.Float32, shape)
		for i := range x.F {
			x.F[i] = float32(i)
		}
		return x
	}
	ones := func(shape ...int) *graph.Tensor {
		t := graph.New(graph.Float32, shape)
		for i := range t.F {
			t.F[i] = 1
		}
		return t
	}
	twice := func(v ...float32) []float32 { return append(append([]float32{}, v...), v...) }
	cases := []struct {
		name  string
		n     *graph.Node
		ins   []*graph.Tensor
		shape []int
		want  []float32 // nil: check the shape only
	}{
		// The spec's examples.
		{"2-D", node("ConvTranspose", 2, 1), []*graph.Tensor{seq(1, 1, 3, 3), ones(1, 2, 3, 3)}, []int{1, 2, 5, 5},
			twice(0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8)},
		{"1-D", node("ConvTranspose", 2, 1), []*graph.Tensor{seq(1, 1, 3), ones(1, 2, 3)}, []int{1, 2, 5}, twice(0, 1, 3, 3, 2)},
		{"pads strides", node("ConvTranspose", 2, 1, "strides", []int{3, 2}, "pads", []int{1, 2, 1, 2}), []*graph.Tensor{seq(1, 1, 3, 3), ones(1, 2, 3, 3)},
			[]int{1, 2, 7, 3}, twice(1, 1, 3, 1, 1, 3, 7, 4, 9, 7, 4, 9, 7, 4, 9, 13, 7, 15, 13, 7, 15)},
		{"output_padding", node("ConvTranspose", 2, 1, "strides", []int{3, 2}, "output_padding", []int{1, 1}), []*graph.Tensor{seq(1, 1, 3, 3), ones(1, 2, 3, 3)},
			[]int{1, 2, 10, 8}, nil},
		{"output_shape", node("ConvTranspose", 2, 1, "strides", []int{3, 2}, "output_shape", []int{10, 8}), []*graph.Tensor{seq(1, 1, 3, 3), ones(1, 2, 3, 3)},
			[]int{1, 2, 10, 8}, nil},
		{"auto_pad SAME_UPPER", node("ConvTranspose", 2, 1, "strides", []int{2, 2}, "auto_pad", "SAME_UPPER"), []*graph.Tensor{seq(1, 1, 3, 3), ones(1, 2, 3, 3)},
			[]int{1, 2, 6, 6}, twice(0, 0, 1, 1, 3, 2, 0, 0, 1, 1, 3, 2, 3, 3, 8, 5, 12, 7, 3, 3, 7, 4, 9, 5, 9, 9, 20, 11, 24, 13, 6, 6, 13, 7, 15, 8)},
		{"auto_pad SAME_LOWER", node("ConvTranspose", 2, 1, "strides", []int{2}, "auto_pad", "SAME_LOWER"), []*graph.Tensor{seq(1, 1, 3), ones(1, 1, 3)},
			[]int{1, 1, 6}, []float32{0, 1, 1, 3, 2, 2}},
		{"dilations", node("ConvTranspose", 2, 1, "dilations", []int{2, 2}),
			[]*graph.Tensor{fl([]int{1, 1, 3, 3}, 3, 8, 1, 9, 5, 7, 3, 2, 6), fl([]int{1, 1, 2, 2}, 7, 2, 1, 9)}, []int{1, 1, 5, 5},
			[]float32{21, 56, 13, 16, 2, 63, 35, 67, 10, 14, 24, 22, 76, 76, 21, 9, 5, 88, 45, 63, 3, 2, 33, 18, 54}},
		{"3-D bias", node("ConvTranspose", 3, 1), []*graph.Tensor{ones(1, 1, 2, 1, 1), ones(1, 1, 2, 1, 1), fl([]int{1}, 0.5)},
			[]int{1, 1, 3, 1, 1}, []float32{1.5, 2.5, 1.5}},
		{"groups", node("ConvTranspose", 2, 1, "group", 2), []*graph.Tensor{fl([]int{1, 2, 2}, 1, 2, 3, 4), fl([]int{2, 1, 2}, 1, 10, 100, 1000)},
			[]int{1, 2, 3}, []float32{1, 12, 20, 300, 3400, 4000}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, err := runOp(t, 11, c.n, c.ins...)
			if err != nil {
				t.Fatal(err)
			}
			y := outs[0]
			if !reflect.DeepEqual(y.Shape, c.shape) {
				t.Fatalf("shape %v, want %v", y.Shape, c.shape)
			}
			if c.want != nil && !closeTo(y.F, c.want, 1e-6) {
				t.Errorf("got %v, want %v", y.F, c.want)
			}
		})
	}
	// output_shape larger than the natural size adds zeros at the end.
	outs, err := runOp(t, 11, node("ConvTranspose", 2, 1, "strides", []int{3, 2}, "output_shape", []int{10, 8}), seq(1, 1, 3, 3), ones(1, 2, 3, 3))
	if err != nil {
		t.Fatal(err)
	}
	if row0 := outs[0].F[:8]; !closeTo(row0, []float32{0, 0, 1, 1, 3, 2, 2, 0}, 0) {
		t.Errorf("first row %v", row0)
	}
	if last := outs[0].F[72:80]; !closeTo(last, make([]float32, 8), 0) {
		t.Errorf("last row %v, want zeros", last)
	}

	// ConvTranspose is the adjoint of Conv with the same weights and
	// geometry: <convT(x), z> = <x, conv(z)> for any x and z.
	r := rand.New(rand.NewSource(4))
	for i, cf := range []struct {
		x, w                 []int
		group                int
		st, pads, dil, opads []int
	}{
		{[]int{2, 4, 3, 4, 2}, []int{4, 3, 2, 3, 2}, 2, []int{2, 1, 2}, []int{1, 0, 1, 0, 1, 1}, []int{1, 2, 1}, []int{1, 0, 0}},
		{[]int{1, 3, 5, 4}, []int{3, 2, 3, 3}, 1, []int{2, 3}, []int{1, 2, 0, 1}, []int{2, 1}, []int{1, 2}},
		{[]int{1, 2, 6}, []int{2, 3, 4}, 2, []int{3}, []int{2, 1}, []int{1}, []int{2}},
	} {
		x, w := randTensor(r, cf.x...), randTensor(r, cf.w...)
		ct := node("ConvTranspose", 2, 1, "group", cf.group, "strides", cf.st, "pads", cf.pads, "dilations", cf.dil, "output_padding", cf.opads)
		outs, err := runOp(t, 11, ct, x, w)
		if err != nil {
			t.Fatal(err)
		}
		y := outs[0]
		z := randTensor(r, y.Shape...)
		cv := node("Conv", 2, 1, "group", cf.group, "strides", cf.st, "pads", cf.pads, "dilations", cf.dil)
		outs, err = runOp(t, 11, cv, z, w)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(outs[0].Shape, x.Shape) {
			t.Fatalf("adjoint %d: conv of %v gives %v, not %v", i, y.Shape, outs[0].Shape, x.Shape)
		}
		var lhs, rhs float64
		for j := range y.F {
			lhs += float64(y.F[j]) * float64(z.F[j])
		}
		for j := range x.F {
			rhs += float64(x.F[j]) * float64(outs[0].F[j])
		}
		if d := lhs - rhs; d > 1e-3*(1+abs(lhs)) || -d > 1e-3*(1+abs(lhs)) {
			t.Errorf("adjoint %d: <convT(x), z> = %g, <x, conv(z)> = %g", i, lhs, rhs)
		}
	}

	for _, c := range []struct {
		name string
		n    *graph.Node
		ins  []*graph.Tensor
		err  string
	}{
		{"channels", node("ConvTranspose", 2, 1), []*graph.Tensor{ones(1, 2, 3), ones(3, 1, 2)}, "disagree"},
		{"strides", node("ConvTranspose", 2, 1, "strides", []int{1, 1}), []*graph.Tensor{ones(1, 1, 3), ones(1, 1, 2)}, "strides has 2 values for 1 spatial dims"},
		{"auto_pad", node("ConvTranspose", 2, 1, "auto_pad", "SAME"), []*graph.Tensor{ones(1, 1, 3), ones(1, 1, 2)}, `unknown auto_pad "SAME"`},
		{"empty", node("ConvTranspose", 2, 1, "pads", []int{3, 3}), []*graph.Tensor{ones(1, 1, 3), ones(1, 1, 2)}, "output size -2"},
	} {
		_, err := runOp(t, 11, c.n, c.ins...)
		wantErr(t, err, c.err)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
