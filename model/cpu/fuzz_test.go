package cpu_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// fuzzBudget is the memory budget FuzzCompile compiles under.
const fuzzBudget = 64 << 20

// fuzzGraph builds one small graph for op (taken modulo the number of
// families), its shapes and attributes taken from a, b, c and d as they
// are: negative, huge and overflowing values included.
func fuzzGraph(op uint8, a, b, c, d int64) *graph.Graph {
	x := func(dims ...int64) []graph.ValueInfo { return []graph.ValueInfo{finput("x", dims...)} }
	init := func(kv ...any) map[string]*graph.Tensor {
		m := map[string]*graph.Tensor{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(*graph.Tensor)
		}
		return m
	}
	n := func(op string, in []string, attrs ...any) *graph.Node {
		return hnode("n", op, in, []string{"y"}, attrs...)
	}
	small := func(v int64) int64 { return v%7 + 1 } // a size in 1..7 for a non-negative v
	switch op % 24 {
	case 0:
		return hgraph(17, nil, init("s", ints(a, b)), n("ConstantOfShape", []string{"s"}))
	case 1:
		return hgraph(17, x(2, 1), init("s", ints(a, b, c)), n("Expand", []string{"x", "s"}))
	case 2:
		return hgraph(17, nil, init("x", graph.Floats([]int{1, 2}, []float32{1, 2}), "r", ints(a, b)), n("Tile", []string{"x", "r"}))
	case 3:
		mode := []string{"constant", "reflect", "edge", "wrap"}[uint64(d)%4]
		return hgraph(19, x(2, 3), init("p", ints(a, b, c, d)), n("Pad", []string{"x", "p"}, "mode", mode))
	case 4:
		mode := []string{"nearest", "linear", "cubic"}[uint64(c)%3]
		return hgraph(18, x(1, 1, 4, 4), init("s", ints(1, 1, a, b)),
			n("Resize", []string{"x", "", "", "s"}, "mode", mode, "antialias", d&1))
	case 5:
		return hgraph(13, x(1, 1, 4, 4), init("s", floats(1, 1, float32(a)/16, float32(b)/16)),
			n("Resize", []string{"x", "", "s"}, "mode", "linear", "antialias", c&1))
	case 6:
		return hgraph(11, nil, init("i", ints(a%5, b%5), "d", floats(float32(c)), "v", floats(0, 1)), n("OneHot", []string{"i", "d", "v"}))
	case 7:
		return hgraph(17, nil, init("s", scalarI(a), "l", scalarI(b), "d", scalarI(c)), n("Range", []string{"s", "l", "d"}))
	case 8:
		return hgraph(17, nil, init("s", scalarF(float32(a)), "l", scalarF(float32(b)), "d", scalarF(float32(c)/8)), n("Range", []string{"s", "l", "d"}))
	case 9:
		return hgraph(18, x(6), init("s", ints(a, b)), hnode("n", "Split", []string{"x", "s"}, []string{"y", "z"}))
	case 10:
		return hgraph(18, x(6), nil, hnode("n", "Split", []string{"x"}, []string{"y", "z"}, "num_outputs", a))
	case 11:
		return hgraph(17, nil, init("x", floats(1, 2, 3, 4, 5, 6), "s", ints(a, b, c)), n("Reshape", []string{"x", "s"}, "allowzero", d&1))
	case 12:
		k := small(d & 0xff)
		return hgraph(17, x(1, 1, 5, 5), init("w", graph.New(graph.Float32, []int{1, 1, int(k), int(k)})),
			n("Conv", []string{"x", "w"}, "pads", []int64{a, b, c, a}, "strides", []int64{small(b & 0xff), 1}, "dilations", []int64{1, small(c & 0xff)}))
	case 13:
		return hgraph(17, x(1, 1, 2, 2, 2), init("w", graph.New(graph.Float32, []int{1, 1, 1, 1, 1})),
			n("Conv", []string{"x", "w"}, "pads", []int64{a, b, c, d, a, b}))
	case 14:
		return hgraph(17, x(1, 1, 4, 4), nil, n("MaxPool", []string{"x"}, "kernel_shape", []int64{a, b}, "pads", []int64{c, d, c, d}))
	case 15:
		return hgraph(17, x(1, 1, 3, 3, 3), nil, n("AveragePool", []string{"x"}, "kernel_shape", []int64{a, 1, b}, "pads", []int64{c, 0, d, c, 0, d},
			"count_include_pad", int64(1)))
	case 16:
		return hgraph(17, []graph.ValueInfo{finput("p", a, 1, b), finput("q", 1, c, b)}, nil, n("MatMul", []string{"p", "q"}))
	case 17:
		return hgraph(17, x(10), init("st", ints(a), "en", ints(b), "ax", ints(0), "sp", ints(c)), n("Slice", []string{"x", "st", "en", "ax", "sp"}))
	case 18:
		return hgraph(17, x(1, 1, 3, 3), init("w", graph.New(graph.Float32, []int{1, 1, 2, 2})),
			n("ConvTranspose", []string{"x", "w"}, "strides", []int64{a, b}, "output_padding", []int64{c % 4, 0}, "pads", []int64{d, 0, d, 0}))
	case 19:
		return hgraph(17, x(1, 1, 3, 3), init("w", graph.New(graph.Float32, []int{1, 1, 2, 2})),
			n("ConvTranspose", []string{"x", "w"}, "output_shape", []int64{a, b}))
	case 20:
		return hgraph(17, []graph.ValueInfo{{Name: "x", DType: graph.Bool, Dims: []graph.Dim{{Value: a}, {Value: b}}}}, nil,
			n("EyeLike", []string{"x"}, "dtype", int64(1), "k", c))
	case 21:
		return hgraph(17, x(1, 4, 2, 2), nil, n("DepthToSpace", []string{"x"}, "blocksize", a))
	case 22:
		return hgraph(18, x(1, 4, 4), init("img", ints(a, b), "blk", ints(c, d)), n("Col2Im", []string{"x", "img", "blk"}))
	default:
		return hgraph(18, x(4, 4), init("s", ints(a, b)), n("CenterCropPad", []string{"x", "s"}))
	}
}

// FuzzCompile compiles small graphs with shapes and attributes from the
// fuzzer under a 64 MiB budget: Compile must never panic (a recovered
// panic shows as "internal error"), must answer with one line, must not
// allocate far beyond the budget, and what compiles must hold no more
// than the budget and run without a panic. The seeds run with go test.
func FuzzCompile(f *testing.F) {
	const big = int64(1) << 32
	seeds := [][5]int64{
		{0, 2, 3, 0, 0}, {0, big, big, 0, 0}, {0, -1, 4, 0, 0}, {0, 1 << 14, 1 << 14, 0, 0},
		{1, 2, 2, 3, 0}, {1, big, big, 3, 0}, {1, 4096, 4096, 50, 0}, {1, -3, 1, 1, 0},
		{2, 2, 3, 0, 0}, {2, big, big, 0, 0}, {2, -1, 2, 0, 0},
		{3, 1, 1, 1, 1}, {3, 0, 1 << 40, 0, 0}, {3, -1, -1, 0, 1}, {3, 0, 0, 0, 1 << 23}, {3, 0, -4, 0, 1},
		{4, 8, 8, 1, 0}, {4, 1 << 40, 4, 0, 0}, {4, 3, 2, 2, 1}, {4, 40000, 40000, 2, 0},
		{5, 32, 8, 0, 1}, {5, 1, 1, 1, 1}, {5, 1 << 40, 1 << 40, 0, 0},
		{6, 1, 2, 5, 0}, {6, 0, 0, 1 << 40, 0}, {6, -1, 3, 1 << 28, 0},
		{7, 0, 10, 3, 0}, {7, -1 << 63, 1<<63 - 1, 1, 0}, {7, 10, 0, -1 << 63, 0}, {7, 0, 1 << 40, 1, 0},
		{8, 0, 10, 4, 0}, {8, 0, 1 << 40, 8, 0},
		{9, 2, 4, 0, 0}, {9, -2, 8, 0, 0}, {10, 2, 0, 0, 0}, {10, 1 << 40, 0, 0, 0},
		{11, 2, 3, 1, 0}, {11, -1, 2, 1, 0}, {11, 9, 6148914691236517206, 1, 0}, {11, 1 << 16, 1 << 16, 0, 1},
		{12, 1, 1, 1, 0}, {12, 1 << 40, 0, 0, 0}, {12, 20000, 20000, 20000, 0}, {12, -1, 0, 0, 0},
		{13, 1, 1, 1, 1}, {13, 1 << 12, 1 << 12, 1 << 12, 1 << 12},
		{14, 2, 2, 0, 1}, {14, 1 << 30, 1, 1 << 29, 0}, {14, 1, 1, 1 << 40, 0}, {14, -1, 1, 0, 0},
		{15, 2, 2, 1, 1}, {15, 1 << 31, 1, 1 << 30, 0},
		{16, 2, 3, 4, 0}, {16, 65536, 1, 65536, 0}, {16, -1, 2, 2, 0},
		{17, 1, 8, 2, 0}, {17, 9, -1 << 63, -1 << 63, 0}, {17, 0, 1<<63 - 1, 1<<63 - 1, 0},
		{18, 2, 2, 1, 0}, {18, 1 << 31, 1 << 31, 0, 0}, {18, 1, 1, 0, -5},
		{19, 6, 6, 0, 0}, {19, 1 << 20, 1 << 20, 0, 0}, {19, -1, 4, 0, 0},
		{20, 3, 4, 1, 0}, {20, 30000, 30000, 0, 0}, {20, 2, 2, 1<<63 - 1, 0},
		{21, 2, 0, 0, 0}, {21, 1 << 32, 0, 0, 0}, {21, -2, 0, 0, 0},
		{22, 3, 3, 2, 2}, {22, 1 << 40, 1, 1, 1}, {22, 5, 5, 1 << 40, 1 << 40},
		{23, 2, 6, 0, 0}, {23, 1 << 40, 1, 0, 0},
	}
	for _, s := range seeds {
		f.Add(uint8(s[0]), s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, op uint8, a, b, c, d int64) {
		g := fuzzGraph(op, a, b, c, d)
		var p *cpu.Program
		var err error
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		p, err = cpu.Compile(g, cpu.Options{MaxMemory: fuzzBudget})
		runtime.ReadMemStats(&m1)
		if got := m1.TotalAlloc - m0.TotalAlloc; got > 2*fuzzBudget+(16<<20) {
			t.Errorf("%s: compiling allocated %d MiB under a budget of %d MiB", g.Nodes[0].Op, got>>20, fuzzBudget>>20)
		}
		if err != nil {
			msg := err.Error()
			if msg == "" || strings.Contains(msg, "\n") || strings.Contains(msg, "internal error") {
				t.Fatalf("%s: error %q", g.Nodes[0].Op, msg)
			}
			return
		}
		if p.MemoryBytes > fuzzBudget {
			t.Fatalf("%s: the program holds %d bytes, over the budget", g.Nodes[0].Op, p.MemoryBytes)
		}
		if p.MemoryBytes <= 1<<20 {
			if err := p.Execute(); err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("%s: run: %v", g.Nodes[0].Op, err)
			}
		}
	})
}
