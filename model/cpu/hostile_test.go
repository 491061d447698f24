package cpu_test

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// Hostile models: graphs of a few hundred bytes that ask for tensors of
// any size, products that wrap around 64 bits, negative sizes, subgraphs
// nested a hundred thousand deep or compile-time work of hours. Each must
// fail (or compile) quickly, with a one-line error naming where, without
// a panic and without allocating what it asks for.

// hnode builds a node; attrs alternate name and value.
func hnode(name, op string, in, out []string, attrs ...any) *graph.Node {
	n := &graph.Node{Name: name, Op: op, Inputs: in, Outputs: out, Attrs: map[string]any{}}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.Attrs[attrs[i].(string)] = attrs[i+1]
	}
	return n
}

// hgraph is a graph of the given nodes whose output is the last node's
// first output.
func hgraph(opset int64, inputs []graph.ValueInfo, inits map[string]*graph.Tensor, nodes ...*graph.Node) *graph.Graph {
	last := nodes[len(nodes)-1]
	return &graph.Graph{Opset: opset, Inputs: inputs, Initializers: inits, Nodes: nodes,
		Outputs: []graph.ValueInfo{{Name: last.Outputs[0]}}}
}

func finput(name string, dims ...int64) graph.ValueInfo {
	d := make([]graph.Dim, len(dims))
	for i, v := range dims {
		d[i] = graph.Dim{Value: v}
	}
	return graph.ValueInfo{Name: name, DType: graph.Float32, Dims: d}
}

func ints(v ...int64) *graph.Tensor     { return graph.Ints([]int{len(v)}, v) }
func floats(v ...float32) *graph.Tensor { return graph.Floats([]int{len(v)}, v) }
func scalarI(v int64) *graph.Tensor     { return graph.Ints([]int{}, []int64{v}) }
func scalarF(v float32) *graph.Tensor   { return graph.Floats([]int{}, []float32{v}) }

// allocated is how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

type hostileCase struct {
	name  string
	g     *graph.Graph
	opt   cpu.Options
	where string // what the error must name (a node, an input, an initializer)
	want  string // a substring of the error
	// budget: the error is a *cpu.BudgetError
	budget bool
}

func hostileCases() []hostileCase {
	const big = 1 << 32
	x4 := []graph.ValueInfo{finput("x", 1, 1, 4, 4)}
	w1 := map[string]*graph.Tensor{"w": graph.Floats([]int{1, 1, 1, 1}, []float32{1})}
	// A chain of Ifs 100 000 deep, built in a few milliseconds.
	deep := &graph.Graph{Name: "leaf", Outputs: []graph.ValueInfo{{Name: "y"}},
		Nodes: []*graph.Node{hnode("leaf", "Identity", []string{"x"}, []string{"y"})}}
	for i := 0; i < 100000; i++ {
		deep = &graph.Graph{Name: "level", Outputs: []graph.ValueInfo{{Name: "y"}},
			Nodes: []*graph.Node{hnode("if", "If", []string{"c"}, []string{"y"}, "then_branch", deep, "else_branch", deep)}}
	}
	deepTop := deep.Nodes[0]
	deepTop.Name = "if_top"
	condIn := graph.ValueInfo{Name: "c", DType: graph.Bool, Dims: []graph.Dim{}}

	return []hostileCase{
		// ConstantOfShape
		{name: "ConstantOfShape/beyond the element limit", where: `"cos"`, want: "more than 2147483648 elements",
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": ints(100000, 100000)}, hnode("cos", "ConstantOfShape", []string{"s"}, []string{"y"}))},
		{name: "ConstantOfShape/over the budget", where: `"cos"`, budget: true, want: `output "y" would need 4.0 GiB (float32[16384 16384 4])`,
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": ints(1<<14, 1<<14, 4)}, hnode("cos", "ConstantOfShape", []string{"s"}, []string{"y"}))},
		{name: "ConstantOfShape/2^32 x 2^32 x 3", where: `"cos"`, want: "more than 2147483648 elements",
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": ints(big, big, 3)}, hnode("cos", "ConstantOfShape", []string{"s"}, []string{"y"}))},
		{name: "ConstantOfShape/negative", where: `"cos"`, want: "negative dimension",
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": ints(-1, 4)}, hnode("cos", "ConstantOfShape", []string{"s"}, []string{"y"}))},
		// Expand
		{name: "Expand/2^32 x 2^32 x 3", where: `"Expand_3"`, want: "more than 2147483648 elements",
			g: hgraph(17, nil, map[string]*graph.Tensor{"x": floats(1), "s": ints(big, big, 3)},
				hnode("Expand_3", "Expand", []string{"x", "s"}, []string{"y"}))},
		{name: "Expand/run-time input 2^32 x 2^32 x 3", where: `"e"`, want: "more than 2147483648 elements",
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 1)}, map[string]*graph.Tensor{"s": ints(big, big, 3)},
				hnode("e", "Expand", []string{"x", "s"}, []string{"y"}))},
		{name: "Expand/3 GiB", where: `"Expand_3"`, budget: true,
			want: `node "Expand_3" (Expand): output "y" would need 3.1 GiB (float32[4096 4096 50]); the memory budget is 1.0 GiB`,
			g: hgraph(17, nil, map[string]*graph.Tensor{"x": floats(1), "s": ints(4096, 4096, 50)},
				hnode("Expand_3", "Expand", []string{"x", "s"}, []string{"y"}))},
		{name: "Expand/negative", where: `"e"`, want: "negative dimension",
			g: hgraph(17, nil, map[string]*graph.Tensor{"x": floats(1), "s": ints(-3)}, hnode("e", "Expand", []string{"x", "s"}, []string{"y"}))},
		// Tile
		{name: "Tile/2^32 x 2^32 x 3", where: `"t"`, want: "out of range",
			g: hgraph(17, nil, map[string]*graph.Tensor{"x": graph.Floats([]int{1, 1, 1}, []float32{1}), "r": ints(big, big, 3)},
				hnode("t", "Tile", []string{"x", "r"}, []string{"y"}))},
		{name: "Tile/over the budget", where: `"t"`, budget: true, want: "4.0 GiB",
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 1)}, map[string]*graph.Tensor{"r": ints(1<<15, 1<<15)},
				hnode("t", "Tile", []string{"x", "r"}, []string{"y"}))},
		{name: "Tile/negative", where: `"t"`, want: "below 0",
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 1)}, map[string]*graph.Tensor{"r": ints(-2, 1)},
				hnode("t", "Tile", []string{"x", "r"}, []string{"y"}))},
		// Pad
		{name: "Pad/2^40", where: `"p"`, want: "out of range",
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 4)}, map[string]*graph.Tensor{"pads": ints(0, 0, 0, 1<<40)},
				hnode("p", "Pad", []string{"x", "pads"}, []string{"y"}))},
		{name: "Pad/over the budget", where: `"p"`, budget: true, want: `output "y" would need 2.0 GiB`,
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 4)}, map[string]*graph.Tensor{"pads": ints(0, 0, 0, 1<<29)},
				hnode("p", "Pad", []string{"x", "pads"}, []string{"y"}))},
		{name: "Pad/reflect tables over the budget", where: `"p"`, budget: true, want: "index tables",
			opt: cpu.Options{MaxMemory: 64 << 20},
			g: hgraph(17, []graph.ValueInfo{finput("x", 4)}, map[string]*graph.Tensor{"pads": ints(0, 12<<20)},
				hnode("p", "Pad", []string{"x", "pads"}, []string{"y"}, "mode", "reflect"))},
		// Resize and Upsample
		{name: "Resize/scales 1e6", where: `"r"`, want: "more than 2147483648 elements",
			g: hgraph(13, x4, map[string]*graph.Tensor{"sc": floats(1, 1, 1e6, 1e6)},
				hnode("r", "Resize", []string{"x", "", "sc"}, []string{"y"}))},
		{name: "Resize/scales 1e30", where: `"r"`, want: "out of range",
			g: hgraph(13, x4, map[string]*graph.Tensor{"sc": floats(1, 1, 1e30, 1)},
				hnode("r", "Resize", []string{"x", "", "sc"}, []string{"y"}))},
		{name: "Resize/sizes 2^40", where: `"r"`, want: "out of range",
			g: hgraph(13, x4, map[string]*graph.Tensor{"sz": ints(1, 1, 1<<40, 4)},
				hnode("r", "Resize", []string{"x", "", "", "sz"}, []string{"y"}, "mode", "linear"))},
		{name: "Resize/over the budget", where: `"r"`, budget: true, want: "would need",
			g: hgraph(13, x4, map[string]*graph.Tensor{"sz": ints(1, 1, 40000, 40000)},
				hnode("r", "Resize", []string{"x", "", "", "sz"}, []string{"y"}, "mode", "cubic"))},
		{name: "Upsample/scales 1e5", where: `"u"`, want: "more than 2147483648 elements",
			g: hgraph(9, x4, map[string]*graph.Tensor{"sc": floats(1, 1, 1e5, 1e5)},
				hnode("u", "Upsample", []string{"x", "sc"}, []string{"y"}))},
		// OneHot
		{name: "OneHot/depth 1e12", where: `"oh"`, want: "out of range",
			g: hgraph(11, nil, map[string]*graph.Tensor{"i": ints(0, 1), "d": floats(1e12), "v": floats(0, 1)},
				hnode("oh", "OneHot", []string{"i", "d", "v"}, []string{"y"}))},
		{name: "OneHot/over the budget", where: `"oh"`, budget: true, want: "8.0 GiB",
			g: hgraph(11, nil, map[string]*graph.Tensor{"i": ints(0, 1, 2, 3, 4, 5, 6, 7), "d": floats(1 << 28), "v": floats(0, 1)},
				hnode("oh", "OneHot", []string{"i", "d", "v"}, []string{"y"}))},
		// Range
		{name: "Range/2^40", where: `"rg"`, want: "more than the engine's limit",
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": scalarI(0), "l": scalarI(1 << 40), "d": scalarI(1)},
				hnode("rg", "Range", []string{"s", "l", "d"}, []string{"y"}))},
		{name: "Range/int64 overflow", where: `"rg"`, want: "more than the engine's limit",
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": scalarI(math.MinInt64), "l": scalarI(math.MaxInt64), "d": scalarI(1)},
				hnode("rg", "Range", []string{"s", "l", "d"}, []string{"y"}))},
		{name: "Range/float 1e12", where: `"rg"`, want: "out of range",
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": scalarF(0), "l": scalarF(1e12), "d": scalarF(1)},
				hnode("rg", "Range", []string{"s", "l", "d"}, []string{"y"}))},
		{name: "Range/over the budget", where: `"rg"`, budget: true, want: "2.0 GiB",
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": scalarI(0), "l": scalarI(1 << 28), "d": scalarI(1)},
				hnode("rg", "Range", []string{"s", "l", "d"}, []string{"y"}))},
		// Split
		{name: "Split/2^40 outputs", where: `"sp"`, want: "num_outputs",
			g: hgraph(18, []graph.ValueInfo{finput("x", 4)}, nil,
				hnode("sp", "Split", []string{"x"}, []string{"y", "z"}, "num_outputs", int64(1)<<40))},
		{name: "Split/negative size", where: `"sp"`, want: "split size",
			g: hgraph(18, []graph.ValueInfo{finput("x", 4)}, map[string]*graph.Tensor{"s": ints(-4, 8)},
				hnode("sp", "Split", []string{"x", "s"}, []string{"y", "z"}))},
		// Conv, ConvTranspose and pooling windows
		{name: "Conv/pads 2^40", where: `"conv"`, want: "out of range",
			g: hgraph(17, x4, w1, hnode("conv", "Conv", []string{"x", "w"}, []string{"y"}, "pads", []int64{1 << 40, 0, 1 << 40, 0}))},
		{name: "Conv/pads 2^16", where: `"conv"`, want: "more than 2147483648 elements",
			g: hgraph(17, x4, w1, hnode("conv", "Conv", []string{"x", "w"}, []string{"y"}, "pads", []int64{1 << 16, 1 << 16, 1 << 16, 1 << 16}))},
		{name: "Conv/pads over the budget", where: `"conv"`, budget: true, want: "6.0 GiB",
			g: hgraph(17, x4, w1, hnode("conv", "Conv", []string{"x", "w"}, []string{"y"}, "pads", []int64{20000, 20000, 20000, 20000}))},
		{name: "Conv/3-D pads", where: `"conv"`, want: "more than 2147483648 elements",
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 1, 2, 2, 2)}, map[string]*graph.Tensor{"w": graph.Floats([]int{1, 1, 1, 1, 1}, []float32{1})},
				hnode("conv", "Conv", []string{"x", "w"}, []string{"y"}, "pads", []int64{1 << 12, 1 << 12, 1 << 12, 1 << 12, 1 << 12, 1 << 12}))},
		{name: "ConvTranspose/output_shape", where: `"ct"`, want: "more than 2147483648 elements",
			g: hgraph(17, x4, w1, hnode("ct", "ConvTranspose", []string{"x", "w"}, []string{"y"}, "output_shape", []int64{1 << 20, 1 << 20}))},
		{name: "ConvTranspose/strides 2^31", where: `"ct"`, want: "out of range",
			g: hgraph(17, x4, w1, hnode("ct", "ConvTranspose", []string{"x", "w"}, []string{"y"}, "strides", []int64{1 << 31, 1 << 31}))},
		{name: "MaxPool/pads 2^40", where: `"mp"`, want: "out of range",
			g: hgraph(17, x4, nil, hnode("mp", "MaxPool", []string{"x"}, []string{"y"}, "kernel_shape", []int64{1, 1}, "pads", []int64{1 << 40, 0, 0, 0}))},
		{name: "AveragePool/3-D pads over the budget", where: `"ap"`, budget: true, want: "would need",
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 1, 2, 2, 2)}, nil,
				hnode("ap", "AveragePool", []string{"x"}, []string{"y"}, "kernel_shape", []int64{1, 1, 1}, "pads", []int64{600, 600, 600, 600, 600, 600}))},
		// Graph inputs
		{name: "Input/1x3x50000x50000", where: `"x"`, want: "more than 2147483648 elements",
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 3, 50000, 50000)}, nil, hnode("r", "Relu", []string{"x"}, []string{"y"}))},
		{name: "Input/1x3x20000x20000", where: `"x"`, budget: true, want: `input "x" would need 4.5 GiB (float32[1 3 20000 20000])`,
			g: hgraph(17, []graph.ValueInfo{finput("x", 1, 3, 20000, 20000)}, nil, hnode("r", "Relu", []string{"x"}, []string{"y"}))},
		{name: "Input/negative given shape", where: `"x"`, want: "negative dimension",
			opt: cpu.Options{InputShapes: map[string][]int{"x": {-1, 3}}},
			g:   hgraph(17, []graph.ValueInfo{finput("x", 0, 0)}, nil, hnode("r", "Relu", []string{"x"}, []string{"y"}))},
		// Products that wrap around 64 bits
		{name: "Reshape/product wraps to the count", where: `"rs"`, want: "bad shape",
			g: hgraph(17, nil, map[string]*graph.Tensor{"x": floats(1, 2, 3, 4, 5, 6), "s": ints(9, 6148914691236517206)},
				hnode("rs", "Reshape", []string{"x", "s"}, []string{"y"}))},
		{name: "Reshape/product wraps to 0", where: `"rs"`, want: "more than 2147483648 elements",
			g: hgraph(17, nil, map[string]*graph.Tensor{"x": graph.Floats([]int{0}, nil), "s": ints(1<<16, 1<<16, 1<<16, 1<<16, 0)},
				hnode("rs", "Reshape", []string{"x", "s"}, []string{"y"}, "allowzero", int64(1)))},
		{name: "Initializer/shape wraps to 0", where: `"w"`, want: "more than 2147483648 elements",
			g: hgraph(17, []graph.ValueInfo{finput("x", 1)}, map[string]*graph.Tensor{"w": graph.Floats([]int{big, big}, nil)},
				hnode("a", "Add", []string{"x", "w"}, []string{"y"}))},
		{name: "MatMul/broadcast batch 2^32", where: `"mm"`, want: "more than 2147483648 elements",
			g: hgraph(17, []graph.ValueInfo{finput("a", 65536, 1, 1, 1), finput("b", 1, 65536, 1, 1)}, nil,
				hnode("mm", "MatMul", []string{"a", "b"}, []string{"y"}))},
		{name: "Add/broadcast over the budget", where: `"add"`, budget: true, want: "4.0 GiB",
			g: hgraph(17, []graph.ValueInfo{finput("a", 32768, 1), finput("b", 1, 32768)}, nil,
				hnode("add", "Add", []string{"a", "b"}, []string{"y"}))},
		{name: "EyeLike/over the budget", where: `"eye"`, budget: true, want: "would need",
			g: hgraph(17, []graph.ValueInfo{{Name: "x", DType: graph.Bool, Dims: []graph.Dim{{Value: 30000}, {Value: 30000}}}}, nil,
				hnode("eye", "EyeLike", []string{"x"}, []string{"y"}, "dtype", int64(1)))},
		{name: "CenterCropPad/2^40", where: `"ccp"`, want: "out of range",
			g: hgraph(18, []graph.ValueInfo{finput("x", 4)}, map[string]*graph.Tensor{"s": ints(1 << 40)},
				hnode("ccp", "CenterCropPad", []string{"x", "s"}, []string{"y"}))},
		{name: "Col2Im/image 2^40", where: `"c2i"`, want: "out of range",
			g: hgraph(18, []graph.ValueInfo{finput("x", 1, 1, 1)}, map[string]*graph.Tensor{"img": ints(1<<40, 1), "blk": ints(1, 1)},
				hnode("c2i", "Col2Im", []string{"x", "img", "blk"}, []string{"y"}))},
		{name: "Unsqueeze/rank 40", where: `"u"`, want: "dimensions",
			g: hgraph(13, []graph.ValueInfo{finput("x", 1)}, map[string]*graph.Tensor{"a": ints(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39)},
				hnode("u", "Unsqueeze", []string{"x", "a"}, []string{"y"}))},
		// Folded constants add up.
		{name: "Program/constants add up", where: `"big2"`, budget: true, want: "on top of the 12.0 MiB already held",
			opt: cpu.Options{MaxMemory: 20 << 20},
			g: hgraph(17, nil, map[string]*graph.Tensor{"s": ints(3 << 20)},
				hnode("big1", "ConstantOfShape", []string{"s"}, []string{"a"}),
				hnode("big2", "ConstantOfShape", []string{"s"}, []string{"b"}),
				hnode("sum", "Add", []string{"a", "b"}, []string{"y"}))},
		// Run-time tensors add up.
		{name: "Program/run-time tensors add up", where: `input "x"`, budget: true, want: "the program would need 1.1 MiB",
			opt: cpu.Options{MaxMemory: 1 << 20},
			g: hgraph(17, []graph.ValueInfo{finput("x", 100000)}, nil,
				hnode("n1", "Neg", []string{"x"}, []string{"a"}),
				hnode("n2", "Neg", []string{"a"}, []string{"y"}))},
		// Nesting
		{name: "If/100000 deep", where: `"if"`, want: "nested more than 32 deep",
			g: &graph.Graph{Opset: 17, Inputs: []graph.ValueInfo{condIn, finput("x", 1)}, Nodes: []*graph.Node{deepTop},
				Outputs: []graph.ValueInfo{{Name: "y"}}}},
	}
}

func TestHostileModels(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			var p *cpu.Program
			var err error
			start := time.Now()
			n := allocated(func() { p, err = cpu.Compile(c.g, c.opt) })
			took := time.Since(start)
			if err == nil {
				t.Fatalf("compiled (%d bytes of memory); want an error containing %q", p.MemoryBytes, c.want)
			}
			msg := err.Error()
			t.Logf("%s (%v, %d KiB allocated)", msg, took.Round(time.Millisecond), n>>10)
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not contain %q", msg, c.want)
			}
			if !strings.Contains(msg, c.where) {
				t.Errorf("error %q does not name %s", msg, c.where)
			}
			if strings.ContainsAny(msg, "\n{}") || strings.Contains(msg, "0x") || strings.Contains(msg, "internal error") {
				t.Errorf("error %q is not one plain line", msg)
			}
			var be *cpu.BudgetError
			if errors.As(err, &be) != c.budget {
				t.Errorf("error %q: BudgetError %v, want %v", msg, !c.budget, c.budget)
			}
			if be != nil && (be.Bytes+be.Used <= be.Budget || be.Budget <= 0) {
				t.Errorf("BudgetError %+v: bytes not over the budget", *be)
			}
			if n > 16<<20 {
				t.Errorf("compiling allocated %d MiB", n>>20)
			}
			if took > 5*time.Second {
				t.Errorf("compiling took %v", took)
			}
		})
	}
}

// A BudgetError carries the node, the tensor and the sizes, for errors.As.
func TestBudgetErrorFields(t *testing.T) {
	g := hgraph(17, nil, map[string]*graph.Tensor{"x": floats(1), "s": ints(4096, 4096, 50)},
		hnode("Expand_3", "Expand", []string{"x", "s"}, []string{"y"}))
	_, err := cpu.Compile(g, cpu.Options{})
	var be *cpu.BudgetError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want a BudgetError", err)
	}
	if be.Node != "Expand_3" || be.Op != "Expand" || be.Tensor != "y" || be.Bytes != 4*4096*4096*50 || be.Budget != cpu.DefaultMaxMemory {
		t.Errorf("BudgetError %+v", *be)
	}
	// A larger budget lets it through; the program holds what it said.
	p, err := cpu.Compile(hgraph(17, nil, map[string]*graph.Tensor{"x": floats(1), "s": ints(64, 64, 50)},
		hnode("Expand_3", "Expand", []string{"x", "s"}, []string{"y"})), cpu.Options{MaxMemory: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if p.MemoryBytes < 4*64*64*50 || p.MemoryBytes > 1<<20 {
		t.Errorf("MemoryBytes %d", p.MemoryBytes)
	}
}

// Models that look hostile but are fine: they compile quickly and give
// the right answer.
func TestHostileButValid(t *testing.T) {
	t.Run("Slice step MinInt64", func(t *testing.T) {
		g := hgraph(17, []graph.ValueInfo{finput("x", 10)},
			map[string]*graph.Tensor{"st": ints(9), "en": ints(math.MinInt64), "ax": ints(0), "sp": ints(math.MinInt64)},
			hnode("sl", "Slice", []string{"x", "st", "en", "ax", "sp"}, []string{"y"}))
		p, err := cpu.Compile(g, cpu.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Run([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
		if err != nil || len(got) != 1 || got[0] != 9 {
			t.Errorf("got %v, %v; want [9]", got, err)
		}
	})
	t.Run("window of 2^30 taps", func(t *testing.T) {
		// A pooling window far larger than its input: the taps inside are
		// computed, not counted one by one.
		for _, rank := range []int{4, 5} {
			dims := []int64{1, 1, 3, 1, 1}[:rank]
			ks := []int64{1 << 30, 1, 1}[:rank-2]
			pads := make([]int64, 2*(rank-2))
			pads[0], pads[rank-2] = 1<<29, 1<<29-3 // one window, over all of the input
			g := hgraph(17, []graph.ValueInfo{finput("x", dims...)}, nil,
				hnode("mp", "MaxPool", []string{"x"}, []string{"y"}, "kernel_shape", ks, "pads", pads))
			start := time.Now()
			p, err := cpu.Compile(g, cpu.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Run([]float32{1, 5, 2})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("rank %d: took %v", rank, took)
			}
			if err != nil || len(got) != 1 || got[0] != 5 {
				t.Errorf("rank %d: got %v, %v; want [5]", rank, got, err)
			}
		}
	})
	t.Run("Conv with pads larger than its input", func(t *testing.T) {
		// The output (14×21) has more pixels than the input (5×5): the
		// kernel once sliced the input at the output's offsets (found by
		// FuzzCompile).
		x := make([]float32, 25)
		w := graph.New(graph.Float32, []int{1, 1, 7, 7})
		for i := range x {
			x[i] = float32(i%5) - 2
		}
		for i := range w.F {
			w.F[i] = float32(i%3) - 1
		}
		g := hgraph(17, []graph.ValueInfo{finput("x", 1, 1, 5, 5)}, map[string]*graph.Tensor{"w": w},
			hnode("conv", "Conv", []string{"x", "w"}, []string{"y"}, "pads", []int64{27, 1, 1, 27},
				"strides", []int64{2, 1}, "dilations", []int64{1, 2}))
		p, err := cpu.Compile(g, cpu.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		const OH, OW = 14, 21
		if len(got) != OH*OW {
			t.Fatalf("%d values, want %d", len(got), OH*OW)
		}
		for oh := 0; oh < OH; oh++ {
			for ow := 0; ow < OW; ow++ {
				var want float32
				for kh := 0; kh < 7; kh++ {
					for kw := 0; kw < 7; kw++ {
						h, v := oh*2-27+kh, ow-1+kw*2
						if h >= 0 && h < 5 && v >= 0 && v < 5 {
							want += x[h*5+v] * w.F[kh*7+kw]
						}
					}
				}
				if got[oh*OW+ow] != want {
					t.Fatalf("y[%d,%d] = %v, want %v", oh, ow, got[oh*OW+ow], want)
				}
			}
		}
	})
	t.Run("endless constant Loop is not folded", func(t *testing.T) {
		body := &graph.Graph{Name: "body",
			Inputs:  []graph.ValueInfo{{Name: "i", DType: graph.Int64}, {Name: "cin", DType: graph.Bool}, {Name: "v", DType: graph.Float32}},
			Outputs: []graph.ValueInfo{{Name: "cout"}, {Name: "vout"}},
			Nodes: []*graph.Node{hnode("keep", "Identity", []string{"cin"}, []string{"cout"}),
				hnode("inc", "Add", []string{"v", "v"}, []string{"vout"})}}
		g := hgraph(17, nil, map[string]*graph.Tensor{"c": graph.New(graph.Bool, []int{}), "v0": floats(1)},
			hnode("loop", "Loop", []string{"", "c", "v0"}, []string{"y"}, "body", body))
		g.Initializers["c"].B[0] = true
		done := make(chan error, 1)
		go func() { _, err := cpu.Compile(g, cpu.Options{}); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Compile runs the endless loop")
		}
	})
}

// A constant MatMul far over MaxFoldFLOPs is not folded: it compiles at
// once and computes at run time, with the same kernel, the same result.
func TestExpensiveFoldRunsAtRunTime(t *testing.T) {
	const n = 2000
	a := graph.New(graph.Float32, []int{n, n})
	b := graph.New(graph.Float32, []int{n, n})
	for i := range a.F {
		a.F[i] = float32(i%13) - 6
		b.F[i] = float32(i%7)*0.5 - 1
	}
	g := hgraph(17, nil, map[string]*graph.Tensor{"a": a, "b": b}, hnode("mm", "MatMul", []string{"a", "b"}, []string{"y"}))
	start := time.Now()
	p, err := cpu.Compile(g, cpu.Options{})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("2000x2000 constant MatMul: compiled in %v", took)
	if took > 5*time.Second {
		t.Errorf("compiling took %v", took)
	}
	if p.Folded != 0 || len(p.Graph.Nodes) != 1 {
		t.Errorf("folded %d, %d nodes run; want the MatMul to run", p.Folded, len(p.Graph.Nodes))
	}
	if testing.Short() {
		return
	}
	if err := p.Execute(); err != nil {
		t.Fatal(err)
	}
	y := p.Outputs[0]
	for _, at := range [][2]int{{0, 0}, {1, 2}, {999, 1234}, {n - 1, n - 1}, {1717, 3}} {
		var want float64
		for k := 0; k < n; k++ {
			want += float64(a.F[at[0]*n+k]) * float64(b.F[k*n+at[1]])
		}
		if got := float64(y.F[at[0]*n+at[1]]); math.Abs(got-want) > 1e-3*(1+math.Abs(want)) {
			t.Errorf("y%v = %v, want %v", at, got, want)
		}
	}

	// A cheap constant MatMul still folds.
	small := hgraph(17, nil, map[string]*graph.Tensor{"a": graph.Floats([]int{2, 2}, []float32{1, 2, 3, 4})},
		hnode("mm", "MatMul", []string{"a", "a"}, []string{"y"}))
	p, err = cpu.Compile(small, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Folded != 1 || len(p.Graph.Nodes) != 0 || !slicesEqual(p.Outputs[0].F, []float32{7, 10, 15, 22}) {
		t.Errorf("folded %d, %d nodes, output %v", p.Folded, len(p.Graph.Nodes), p.Outputs[0].F)
	}
	// Interpret folds whatever it costs, and runs what it did not fold.
	out, err := cpu.Interpret(small, nil, nil)
	if err != nil || !slicesEqual(out["y"].F, []float32{7, 10, 15, 22}) {
		t.Errorf("Interpret: %v, %v", out, err)
	}
}

func TestConstantMatMul6000CompilesQuickly(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 144 MiB")
	}
	const n = 6000
	a := graph.New(graph.Float32, []int{n, n})
	g := hgraph(17, nil, map[string]*graph.Tensor{"a": a}, hnode("mm", "MatMul", []string{"a", "a"}, []string{"y"}))
	start := time.Now()
	p, err := cpu.Compile(g, cpu.Options{})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("6000x6000 constant MatMul: compiled in %v, %d MiB", took, p.MemoryBytes>>20)
	if took > 5*time.Second {
		t.Errorf("compiling took %v", took)
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// NaN is a value, not an error: 0/0, log(-1) and sqrt(-1) compile, fold,
// and run.
func TestNaNIsNotAnError(t *testing.T) {
	g := hgraph(17, []graph.ValueInfo{finput("x", 2)},
		map[string]*graph.Tensor{"z": floats(0, 0), "m": floats(-1, -1)},
		hnode("div", "Div", []string{"z", "z"}, []string{"nan"}),  // folded
		hnode("log", "Log", []string{"m"}, []string{"lg"}),        // folded
		hnode("sqrt", "Sqrt", []string{"x"}, []string{"sq"}),      // run
		hnode("a1", "Add", []string{"nan", "lg"}, []string{"s1"}), // folded
		hnode("a2", "Add", []string{"s1", "sq"}, []string{"s2"}),  // run
		hnode("mx", "ReduceMax", []string{"s2"}, []string{"y"}),   // run
	)
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Run([]float32{-1, 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !math.IsNaN(float64(got[0])) {
		t.Errorf("got %v, want [NaN]", got)
	}
}

// A panic in a kernel comes back from Execute and Run as a one-line
// error naming the node.
func TestRunRecoversPanics(t *testing.T) {
	g := hgraph(17, []graph.ValueInfo{finput("a", 4, 4)}, map[string]*graph.Tensor{"b": graph.New(graph.Float32, []int{4, 4})},
		hnode("mm", "MatMul", []string{"a", "b"}, []string{"y"}))
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.Outputs[0].F = p.Outputs[0].F[:3] // what no compiled program does: the kernel panics
	_, err = p.Run(make([]float32, 16))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, `node "mm" (MatMul): internal error`) || strings.ContainsAny(msg, "\n{}") || strings.Contains(msg, "0x") {
		t.Errorf("error %q", msg)
	}
	p.EnableProfile()
	if err := p.Execute(); err == nil || !strings.Contains(err.Error(), `node "mm"`) {
		t.Errorf("profiled run: %v", err)
	}
}

// Errors about control flow name the node in one line, without Go values.
func TestControlFlowErrorsAreOneLine(t *testing.T) {
	br := func(n int) *graph.Graph {
		return &graph.Graph{Name: "b", Outputs: []graph.ValueInfo{{Name: "o"}},
			Initializers: map[string]*graph.Tensor{"k": graph.New(graph.Float32, []int{n})},
			Nodes:        []*graph.Node{hnode("id", "Identity", []string{"k"}, []string{"o"})}}
	}
	g := hgraph(17, []graph.ValueInfo{{Name: "c", DType: graph.Bool, Dims: []graph.Dim{}}}, nil,
		hnode("branch", "If", []string{"c"}, []string{"y"}, "then_branch", br(2), "else_branch", br(3)))
	_, err := cpu.Compile(g, cpu.Options{})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, `node "branch" (If)`) || strings.ContainsAny(msg, "\n{}&") || strings.Contains(msg, "0x") {
		t.Errorf("error %q", msg)
	}
	// A subgraph nested too deep in a Loop body is refused too.
	body := &graph.Graph{Name: "leaf", Outputs: []graph.ValueInfo{{Name: "c"}},
		Inputs: []graph.ValueInfo{{Name: "i"}, {Name: "c"}}}
	for i := 0; i < 40; i++ {
		body = &graph.Graph{Name: "level", Inputs: []graph.ValueInfo{{Name: "i"}, {Name: "cin"}},
			Outputs: []graph.ValueInfo{{Name: "c"}},
			Nodes:   []*graph.Node{hnode("inner", "Loop", []string{"", "cin"}, []string{"c"}, "body", body)}}
	}
	g = hgraph(17, []graph.ValueInfo{{Name: "c", DType: graph.Bool, Dims: []graph.Dim{}}}, nil,
		hnode("outer", "Loop", []string{"", "c"}, []string{"y"}, "body", body))
	if err := cpu.CheckSupported(g); err == nil || !strings.Contains(err.Error(), "nested more than 32 deep") {
		t.Errorf("CheckSupported: %v", err)
	}
}
