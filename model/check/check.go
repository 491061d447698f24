// Package check answers "will this model run here, and how well?": what the
// file declares (inputs, outputs, opset, weights, ops), whether the CPU
// backend has every op, where each op runs under WebGPU, what compiling did
// (folding, fusion, the arena), and a numerical self-check of the optimised
// program against the plain reference (cpu.Interpret) on a seeded input,
// with the time per run. The command line (`glimpse check`), the classifier
// (Verify, which falls back to the unoptimised program on a mismatch) and
// the browser's model panel all show this report. No I/O.
package check

import (
	"errors"
	"fmt"
	"github.com/glimpse/glimpse/model/internal/oneline"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/glimpse/glimpse/model/check/report"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// Verdicts (see package report).
const (
	OK        = report.OK
	Mismatch  = report.Mismatch
	RunToRun  = report.RunToRun
	CannotRun = report.CannotRun
)

// RelTol is the tolerance of the self-check, relative to the scale of each
// output: the optimised program may differ from the reference by at most
// RelTol·max(1, max|ref|) in any float element. Epilogue fusion computes
// the same sums in the same order (the zoo models match bitwise); BatchNorm
// folding rounds the folded weights once more, a few float32 ulps (2⁻²⁴ ≈
// 6e-8) per layer, which over a deep network measures 4e-6 of the output's
// scale (ShuffleNetV2 with BatchNorm). 1e-4 leaves a margin of 25× for
// other kernels and orders, while a wrong buffer, a wrong fusion or a
// stale arena gives errors of the order of the values themselves. Integer
// and bool outputs must match exactly, and so must two runs of one program.
const RelTol = 1e-4

// Report is the whole answer: report.Report (JSON-serialisable, with Text
// and Summary), and the unoptimised program for a caller that falls back.
type Report struct {
	report.Report
	// Unoptimised is the NoFusion+NoReuse program the check compiled and
	// checked, for a caller that must fall back to it (nil when none was
	// compiled).
	Unoptimised *cpu.Program `json:"-"`
}

// The parts of a Report (see package report).
type (
	Domain      = report.Domain
	Value       = report.Value
	Op          = report.Op
	Unsupported = report.Unsupported
	Compile     = report.Compile
	WebGPU      = report.WebGPU
	NodeWhy     = report.NodeWhy
	SelfCheck   = report.SelfCheck
	Output      = report.Output
	Timing      = report.Timing
)

// Bytes formats a size in bytes (report.Bytes).
func Bytes(n int64) string { return report.Bytes(n) }

// Placement is where one node of a program's plan runs on WebGPU.
type Placement struct {
	Node *graph.Node
	// Where is "gpu" (a WGSL kernel), "cpu" (the CPU kernel, with
	// transfers around it) or "alias" (a reshape: nothing runs).
	Where string
	// Why says why a node runs on the CPU ("no GPU kernel", "run-time
	// int64 input", ...); empty otherwise.
	Why string
	// Dispatches counts the GPU dispatches the node takes.
	Dispatches int
}

// Options tunes Run.
type Options struct {
	// InputShapes fixes input shapes, as for cpu.Compile.
	InputShapes map[string][]int
	// Seed seeds the input (0: 1). Float inputs are N(0,1) from a PCG
	// seeded with (Seed, input index); int64 inputs are 0, bool false.
	Seed uint64
	// Runs is how many timed runs each program gets (0: 5; negative: no
	// timing, as when a classifier verifies the program it loads).
	Runs int
	// Program is the optimised program, already compiled from the graph
	// with InputShapes (a classifier's); nil: compiled here. Its inputs
	// are overwritten.
	Program *cpu.Program
	// Execute runs the optimised program (nil: p.Execute). Tests corrupt
	// its results here to exercise the fallback.
	Execute func(p *cpu.Program) error
	// Place, if set, says where each node of the optimised program runs on
	// WebGPU (the WebGPU backend's webgpu.Place; the engine does not know
	// the browser). Without it the report has no WebGPU section.
	Place func(p *cpu.Program) ([]Placement, error)
	// Yield, if set, is called between the costly steps, so that a page
	// can paint and handle events; the program may run in between.
	Yield func()
}

// Run checks g. The error is nil unless there is no graph: a model that
// cannot run gets a Report whose Verdict is CannotRun and whose Reason
// names the op, the node and what went wrong.
func Run(g *graph.Graph, opts Options) (r *Report, err error) {
	if g == nil {
		return nil, errors.New("check: no graph")
	}
	defer func() {
		if x := recover(); x != nil {
			if r == nil {
				r = &Report{}
			}
			r.Verdict, r.Reason = CannotRun, "internal error: "+PanicText(x)
		}
	}()
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Runs == 0 {
		opts.Runs = 5
	}
	if opts.Execute == nil {
		opts.Execute = (*cpu.Program).Execute
	}
	yield := func() {
		if opts.Yield != nil {
			opts.Yield()
		}
	}
	r = describe(g)
	if len(r.Unsupported) > 0 {
		var parts []string
		for _, u := range r.Unsupported {
			parts = append(parts, fmt.Sprintf("%s (%s)", u.Op, report.NodeList(u.Nodes)))
		}
		r.Verdict = CannotRun
		r.Reason = "the CPU backend lacks " + report.Plural(len(r.Unsupported), "op") + ": " + strings.Join(parts, "; ")
		return r, nil
	}

	yield() // let a page show that the check has begun

	// Compile: the optimised program and the unoptimised one.
	p := opts.Program
	if p == nil {
		if p, err = cpu.Compile(g, cpu.Options{InputShapes: opts.InputShapes}); err != nil {
			return r.fail("compile: %v", err), nil
		}
		yield()
	}
	plain, err := cpu.Compile(g, cpu.Options{InputShapes: opts.InputShapes, NoFusion: true, NoReuse: true})
	if err != nil {
		return r.fail("compile (unoptimised): %v", err), nil
	}
	r.Unoptimised = plain
	r.Compile = &Compile{Folded: p.Folded, Fused: p.Fused, Runs: len(p.Graph.Nodes), ArenaBytes: p.ArenaBytes,
		PlainRuns: len(plain.Graph.Nodes), PlainArenaBytes: plain.ArenaBytes}
	for i, t := range p.Inputs {
		for j := range r.Inputs {
			if r.Inputs[j].Name == p.Names.Inputs[i] {
				r.Inputs[j].Shape = append([]int{}, t.Shape...)
			}
		}
	}
	for i, t := range p.Outputs {
		for j := range r.Outputs {
			if r.Outputs[j].Name == p.Names.Outputs[i] {
				r.Outputs[j].Shape = append([]int{}, t.Shape...)
			}
		}
	}
	r.place(p, plain, opts)
	yield()

	// The reference, on the seeded input.
	inputs := seeded(p, opts.Seed)
	t0 := time.Now()
	// The reference folds the whole graph in one call: on a page's thread
	// it yields every 30 ms or so, between nodes.
	var afterNode func()
	if opts.Yield != nil {
		last := time.Now()
		afterNode = func() {
			if time.Since(last) > 30*time.Millisecond {
				opts.Yield()
				last = time.Now()
			}
		}
	}
	// A quantized (QDQ) model's reference is the unoptimised program,
	// which runs each DequantizeLinear → Conv → QuantizeLinear chain as
	// one integer convolution, as ONNX Runtime does (model/cpu
	// passes_quant.go): the graph interpreted as written emulates it in
	// float32, whose sums land an element near a rounding midpoint one
	// quantization step away.
	var ref map[string]*graph.Tensor
	qdq := slices.ContainsFunc(plain.Graph.Nodes, func(n *graph.Node) bool { return n.Op == "QConv" || n.Op == "QuantizeDequantize" })
	if qdq {
		for i, t := range plain.Inputs {
			copyInto(t, inputs[plain.Names.Inputs[i]])
		}
		if err := plain.Execute(); err != nil {
			return r.fail("reference: %v", err), nil
		}
		ref = map[string]*graph.Tensor{}
		for i, name := range plain.Names.Outputs {
			ref[name] = cloneAll(plain.Outputs[i : i+1])[0]
		}
	} else if ref, err = cpu.Interpret(g, inputs, afterNode); err != nil {
		return r.fail("reference: %v", err), nil
	}
	refMs := ms(time.Since(t0))
	yield()

	// The optimised program, twice on one input written once, with nothing
	// in between (a caller's run must not slip between the two).
	for i, t := range p.Inputs {
		copyInto(t, inputs[p.Names.Inputs[i]])
	}
	if err := opts.Execute(p); err != nil {
		return r.fail("run: %v", err), nil
	}
	first := cloneAll(p.Outputs)
	if err := opts.Execute(p); err != nil {
		return r.fail("run: %v", err), nil
	}
	inputChanged := ""
	for i, t := range p.Inputs {
		if _, bad := diff(t, inputs[p.Names.Inputs[i]]); bad > 0 {
			inputChanged = p.Names.Inputs[i]
		}
	}
	sc := &SelfCheck{Input: "N(0,1) for float inputs (PCG), 0 for integer, false for bool", Seed: opts.Seed,
		Tolerance: fmt.Sprintf("|optimised − reference| ≤ %g·max(1, max|reference|) per float output, exact for integer and bool outputs; two runs of the optimised program must agree bitwise", RelTol)}
	if qdq {
		sc.Tolerance += "; the reference is the unoptimised program, with its quantized convolutions in integers as ONNX Runtime runs them"
	}
	for i, name := range p.Names.Outputs {
		o := Output{Name: name, Shape: append([]int{}, p.Outputs[i].Shape...)}
		rt := ref[name]
		if rt == nil {
			return r.fail("reference: no output %q", name), nil
		}
		if p.Outputs[i].DType == graph.Float32 {
			o.MaxAbsRef = maxAbs(rt.F)
			o.Atol = RelTol * math.Max(1, o.MaxAbsRef)
		}
		o.MaxAbsDiff, o.Bad = compare(first[i], rt, o.Atol)
		o.RunToRun, o.RunToRunBad = diff(first[i], p.Outputs[i])
		sc.Outputs = append(sc.Outputs, o)
	}
	r.SelfCheck = sc
	yield()

	// The unoptimised program: once to compare, then timed.
	for i, t := range plain.Inputs {
		copyInto(t, inputs[plain.Names.Inputs[i]])
	}
	if err := plain.Execute(); err != nil {
		return r.fail("run (unoptimised): %v", err), nil
	}
	for i, name := range plain.Names.Outputs {
		for j := range sc.Outputs {
			if sc.Outputs[j].Name == name {
				sc.Outputs[j].PlainMaxAbsDiff, sc.Outputs[j].PlainBad = compare(plain.Outputs[i], ref[name], sc.Outputs[j].Atol)
			}
		}
	}

	// Verdict.
	r.Verdict = OK
	for _, o := range sc.Outputs {
		if o.Bad > 0 {
			r.Verdict = Mismatch
			r.Reason = fmt.Sprintf("output %q of the optimised program differs from the reference by %.3g (tolerance %.3g) in %s",
				o.Name, o.MaxAbsDiff, o.Atol, report.Plural(o.Bad, "element"))
			if o.MaxAbsDiff <= o.Atol {
				r.Reason = fmt.Sprintf("output %q of the optimised program has NaN or ±Inf where the reference has not, in %s", o.Name, report.Plural(o.Bad, "element"))
			}
			break
		}
	}
	if r.Verdict == OK {
		switch {
		case inputChanged != "":
			r.Verdict, r.Reason = RunToRun, fmt.Sprintf("a run of the optimised program changed its input %q", inputChanged)
		default:
			for _, o := range sc.Outputs {
				if o.RunToRunBad > 0 {
					r.Verdict = RunToRun
					r.Reason = fmt.Sprintf("two runs of the optimised program on the same input differ by %.3g in %s of output %q", o.RunToRun, report.Plural(o.RunToRunBad, "element"), o.Name)
					break
				}
			}
		}
	}
	if r.Verdict != OK {
		for _, o := range sc.Outputs {
			if o.PlainBad > 0 {
				r.Reason += fmt.Sprintf("; the unoptimised program differs too (%.3g on %q)", o.PlainMaxAbsDiff, o.Name)
				break
			}
		}
	}
	yield()

	// Time per run: medians.
	if opts.Runs < 0 {
		return r, nil
	}
	tm := &Timing{Runs: opts.Runs, ReferenceMs: refMs}
	if tm.OptimisedMs, err = median(opts.Runs, func() error { return opts.Execute(p) }, yield); err != nil {
		return r.fail("run: %v", err), nil
	}
	if tm.UnoptimisedMs, err = median(opts.Runs, plain.Execute, yield); err != nil {
		return r.fail("run (unoptimised): %v", err), nil
	}
	r.Timing = tm
	return r, nil
}

func (r *Report) fail(format string, args ...any) *Report {
	r.Verdict, r.Reason = CannotRun, fmt.Sprintf(format, args...)
	return r
}

// describe reads what the file says, and which ops the CPU backend lacks.
func describe(g *graph.Graph) *Report {
	r := &Report{Report: report.Report{Model: g.Name, Producer: g.Producer, IRVersion: g.IRVersion, Opset: g.Opset}}
	for _, v := range g.Inputs {
		r.Inputs = append(r.Inputs, value(v))
	}
	for _, v := range g.Outputs {
		r.Outputs = append(r.Outputs, value(v))
	}
	for name, t := range g.Initializers {
		n := int64(t.Len())
		size := int64(t.DType.Size())
		if e, ok := g.ElemTypes[name]; ok {
			size = elemBits(e, size*8) / 8
			if elemBits(e, 0) < 8 { // 4-bit types: two per byte
				r.WeightBytes += (n + 1) / 2
				r.Params += n
				continue
			}
		}
		r.Params += n
		r.WeightBytes += n * size
	}
	hist := map[string]int{}
	domains := map[string]int{}
	unsup := map[string]*Unsupported{}
	var walk func(g *graph.Graph)
	walk = func(g *graph.Graph) {
		for _, n := range g.Nodes {
			r.Nodes++
			hist[n.Op]++
			if i := strings.LastIndexByte(n.Op, '.'); i > 0 {
				domains[n.Op[:i]]++
			}
			if !cpu.Supported(n.Op) {
				u := unsup[n.Op]
				if u == nil {
					u = &Unsupported{Op: n.Op}
					unsup[n.Op] = u
				}
				u.Count++
				u.Nodes = append(u.Nodes, nodeName(n))
			}
			for _, sub := range n.Graphs() {
				walk(sub)
			}
		}
	}
	walk(g)
	for op, c := range hist {
		r.Ops = append(r.Ops, Op{Op: op, Count: c, CPU: cpu.Supported(op)})
	}
	sortOps(r.Ops)
	for d, c := range domains {
		r.Domains = append(r.Domains, Domain{Domain: d, Version: g.Opsets[d], Nodes: c})
	}
	sort.Slice(r.Domains, func(i, j int) bool { return r.Domains[i].Domain < r.Domains[j].Domain })
	for _, u := range unsup {
		r.Unsupported = append(r.Unsupported, *u)
	}
	sort.Slice(r.Unsupported, func(i, j int) bool { return r.Unsupported[i].Op < r.Unsupported[j].Op })
	return r
}

func sortOps(ops []Op) {
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Count != ops[j].Count {
			return ops[i].Count > ops[j].Count
		}
		if ops[i].Runs != ops[j].Runs {
			return ops[i].Runs > ops[j].Runs
		}
		return ops[i].Op < ops[j].Op
	})
}

// place fills Folded, Fused, Runs and WebGPU per op type, and the WebGPU
// summary. The unoptimised program has every node that folding left.
func (r *Report) place(p, plain *cpu.Program, opts Options) {
	idx := map[string]int{}
	for i, o := range r.Ops {
		idx[o.Op] = i
	}
	row := func(op string) *Op {
		i, ok := idx[op]
		if !ok {
			r.Ops = append(r.Ops, Op{Op: op, CPU: cpu.Supported(op)})
			i = len(r.Ops) - 1
			idx[op] = i
		}
		return &r.Ops[i]
	}
	for _, n := range p.Graph.Nodes {
		row(n.Op).Runs++
	}
	left := plain.Graph.OpHistogram()
	for i := range r.Ops {
		o := &r.Ops[i]
		if o.Count > 0 {
			o.Folded = max(0, o.Count-left[o.Op])
			o.Fused = max(0, left[o.Op]-o.Runs)
		}
	}
	if opts.Place == nil {
		sortOps(r.Ops)
		return
	}
	w := &WebGPU{}
	r.WebGPU = w
	places, err := opts.Place(p)
	if err != nil {
		w.Error = err.Error()
	}
	where := map[string]map[string]bool{}
	for _, pl := range places {
		if where[pl.Node.Op] == nil {
			where[pl.Node.Op] = map[string]bool{}
		}
		where[pl.Node.Op][pl.Where] = true
		switch pl.Where {
		case "gpu":
			w.GPU++
			w.Dispatches += pl.Dispatches
		case "cpu":
			w.CPU++
			w.OnCPU = append(w.OnCPU, NodeWhy{Node: nodeName(pl.Node), Op: pl.Node.Op, Why: pl.Why})
		}
	}
	for op, set := range where {
		o := row(op)
		switch {
		case set["gpu"] && set["cpu"]:
			o.WebGPU = "gpu+cpu"
		case set["gpu"]:
			o.WebGPU = "gpu"
		case set["cpu"]:
			o.WebGPU = "cpu"
		case set["alias"]:
			o.WebGPU = "alias"
		}
	}
	sortOps(r.Ops)
}

func value(v graph.ValueInfo) Value {
	out := Value{Name: v.Name, Type: v.DType.String()}
	if v.Elem != 0 {
		out.Type = graph.ElemName(v.Elem)
	}
	out.Dims = make([]string, len(v.Dims))
	for i, d := range v.Dims {
		switch {
		case d.Param != "":
			out.Dims[i] = d.Param
		case d.Value > 0:
			out.Dims[i] = fmt.Sprint(d.Value)
		default:
			out.Dims[i] = "?"
		}
	}
	return out
}

// elemBits is the width of an ONNX element type, or def when unknown.
func elemBits(elem, def int64) int64 {
	switch elem {
	case 1, 6, 12: // float32, int32, uint32
		return 32
	case 2, 3, 9, 17, 18, 19, 20: // uint8, int8, bool, float8s
		return 8
	case 4, 5, 10, 16: // uint16, int16, float16, bfloat16
		return 16
	case 7, 11, 13, 14: // int64, float64, uint64, complex64
		return 64
	case 15:
		return 128
	case 21, 22, 23: // uint4, int4, float4
		return 4
	}
	return def
}

func nodeName(n *graph.Node) string {
	if s := n.DisplayName(); s != "" {
		return s
	}
	return "?"
}

// seeded makes the check's input for each of p's inputs.
func seeded(p *cpu.Program, seed uint64) map[string]*graph.Tensor {
	in := map[string]*graph.Tensor{}
	for i, t := range p.Inputs {
		v := graph.New(t.DType, t.Shape)
		if t.DType == graph.Float32 {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			for j := range v.F {
				v.F[j] = float32(rng.NormFloat64())
			}
		}
		in[p.Names.Inputs[i]] = v
	}
	return in
}

func copyInto(dst, src *graph.Tensor) {
	copy(dst.F, src.F)
	copy(dst.I, src.I)
	copy(dst.B, src.B)
}

func cloneAll(ts []*graph.Tensor) []*graph.Tensor {
	out := make([]*graph.Tensor, len(ts))
	for i, t := range ts {
		out[i] = t.Clone()
	}
	return out
}

func maxAbs(f []float32) float64 {
	m := 0.0
	for _, v := range f {
		a := math.Abs(float64(v))
		if a > m && !math.IsInf(a, 0) {
			m = a
		}
	}
	return m
}

// compare gives the largest finite |a−b| and the number of elements beyond
// atol, where a NaN or an infinity that the other side does not have at
// that place counts as beyond.
func compare(a, b *graph.Tensor, atol float64) (maxDiff float64, bad int) {
	if a.DType != b.DType || a.Len() != b.Len() {
		return math.MaxFloat64, max(a.Len(), b.Len(), 1)
	}
	if a.DType != graph.Float32 {
		return diff(a, b) // integers and bools: exactly
	}
	for i, x := range a.F {
		y := b.F[i]
		fx, fy := float64(x), float64(y)
		switch {
		case math.IsNaN(fx) || math.IsNaN(fy):
			if math.IsNaN(fx) != math.IsNaN(fy) {
				bad++
			}
		case math.IsInf(fx, 0) || math.IsInf(fy, 0):
			if fx != fy {
				bad++
			}
		default:
			d := math.Abs(fx - fy)
			if d > maxDiff {
				maxDiff = d
			}
			if d > atol {
				bad++
			}
		}
	}
	return maxDiff, bad
}

// diff compares two tensors bitwise: the largest finite |a−b| and the
// number of elements whose bits differ.
func diff(a, b *graph.Tensor) (maxDiff float64, bad int) {
	if a.DType != b.DType || a.Len() != b.Len() {
		return math.MaxFloat64, max(a.Len(), b.Len(), 1)
	}
	switch a.DType {
	case graph.Float32:
		for i, x := range a.F {
			y := b.F[i]
			if math.Float32bits(x) != math.Float32bits(y) {
				bad++
				if d := math.Abs(float64(x) - float64(y)); !math.IsNaN(d) && !math.IsInf(d, 0) && d > maxDiff {
					maxDiff = d
				}
			}
		}
		return maxDiff, bad
	case graph.Int64:
		for i := range a.I {
			if a.I[i] != b.I[i] {
				bad++
				maxDiff = math.Max(maxDiff, math.Abs(float64(a.I[i])-float64(b.I[i])))
			}
		}
		return maxDiff, bad
	}
	for i := range a.B {
		if a.B[i] != b.B[i] {
			bad++
			maxDiff = 1
		}
	}
	return maxDiff, bad
}

func median(n int, run func() error, yield func()) (float64, error) {
	ts := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if err := run(); err != nil {
			return 0, err
		}
		ts = append(ts, ms(time.Since(t0)))
		yield()
	}
	sort.Float64s(ts)
	return ts[len(ts)/2], nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// PanicText is a recovered panic value as one short line for a user
// (oneline.Panic): an error's or a string's first line, or only the type
// of any other value, never a dump of a Go value with its pointers.
func PanicText(x any) string { return oneline.Panic(x) }
