// Package cpu is Glimpse's pure-Go backend: it prepares a decoded graph for
// fixed input shapes (shape inference, constant folding, BatchNorm folding,
// epilogue fusion, a buffer plan) and runs it with no allocation per run.
// A model is untrusted input: every shape is checked (graph.Elems) before
// it is allocated, the program must fit a memory budget
// (Options.MaxMemory), only cheap nodes fold at compile time (MaxFoldFLOPs,
// MaxFoldBytes) and subgraphs nest at most MaxGraphDepth deep; see budget.go.
package cpu

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"sort"
	"strings"

	"github.com/glimpse/glimpse/model/graph"
)

// Options tunes compilation.
type Options struct {
	// InputShapes fixes the shape of named inputs; it is needed when an
	// input has symbolic dimensions other than a leading batch dimension
	// (which defaults to 1).
	InputShapes map[string][]int
	// NoFusion disables BatchNorm folding and epilogue fusion (for tests
	// that compare fused and unfused graphs).
	NoFusion bool
	// NoQDQFusion keeps a QDQ model's Convs in float32 between their
	// QuantizeLinear/DequantizeLinear pairs (passes_quant.go), as the
	// graph is written (benchmarks, tests). Otherwise every program, the
	// NoFusion one included, runs them as integer convolutions.
	NoQDQFusion bool
	// NoReuse gives every run-time tensor a buffer of its own instead of
	// sharing the arena by lifetime: the plainest program, for checking
	// the optimised one and for falling back when they disagree.
	NoReuse bool
	// NoQuantLinks keeps float32 tensors between quantized convs that
	// could pass their quantized bytes (handoff.go): for comparisons.
	NoQuantLinks bool
	// AfterNode, if set, is called after each node is prepared (and, when
	// its inputs are known, computed): a caller on a page's thread yields
	// there, since interpreting a whole model takes a while.
	AfterNode func()
	// MaxMemory is the memory budget in bytes (0 or less: DefaultMaxMemory).
	// Compile refuses, with a *BudgetError and before allocating it, a
	// model whose program would need more: its constants (initializers and
	// folded values), packed weights, compiled subgraphs, run-time tensors
	// and scratch, or any one tensor larger than the budget.
	MaxMemory int64
}

// Program is a graph compiled for fixed shapes, ready to run repeatedly.
// A Program is not safe for concurrent use: runs share one arena.
type Program struct {
	Graph *graph.Graph // the optimized graph that runs
	// Inputs are the graph's inputs in order (float32, int64 or bool):
	// write into them, then Execute.
	Inputs  []*graph.Tensor
	Outputs []*graph.Tensor
	Names   struct{ Inputs, Outputs []string }
	// OutputElems is, for each output held as int64, the ONNX element
	// type the compiler tracked for it (2 uint8, 3 int8, 6 int32, ...; 0:
	// plain int64 or unknown; see elems.go); 0 for other outputs.
	OutputElems []int64
	// Folded counts nodes removed by constant folding; Fused counts nodes
	// merged into others (BatchNorm folding, epilogues, identities).
	Folded, Fused int
	ArenaBytes    int
	// work estimates one run's FLOPs (see foldCost), for folding a
	// control node that runs this program.
	work float64
	// MemoryBytes is what the program holds, as counted against the
	// memory budget: constants, packed weights, subgraphs, the arena and
	// the other run-time tensors, and scratch.
	MemoryBytes int64

	steps   []step
	scratch []float32
	// exported are the constants the optimized graph reads (weights, folded
	// values), by name: with Graph, what Export writes.
	exported map[string]*graph.Tensor
	prof     *Profile
	plan_    []Step
	// linked are the scratch of QConvs that pass quantized bytes
	// (handoff.go), in pairs
	linked []*qconvRun
	consts map[*graph.Tensor]bool
}

// Step is one node of a compiled program as another backend (WebGPU) sees
// it: the same optimized graph, shapes and buffers the CPU runs.
type Step struct {
	Node    *graph.Node
	In, Out []*graph.Tensor // nil for absent optional inputs and uncomputed outputs
	// Alias is set for Reshape and friends: Out[0] is In[0]'s data under a
	// new shape, and there is nothing to compute.
	Alias bool
	// Kernel runs the node on the CPU, for a backend that lacks it.
	Kernel Kernel
	// Params are the op's resolved parameters (params.go), the ones the
	// CPU kernel uses, or nil.
	Params any
}

// Plan lists every node that remains after folding and fusion, in order.
func (p *Program) Plan() []Step { return p.plan_ }

// IsConst reports whether t is a compile-time constant (a weight, or a
// folded value) rather than a run-time tensor.
func (p *Program) IsConst(t *graph.Tensor) bool { return p.consts[t] }

// Scratch is the CPU scratch buffer, for running a Step's Kernel.
func (p *Program) Scratch() []float32 { return p.scratch }

type step struct {
	node    *graph.Node
	run     Kernel
	in, out []*graph.Tensor
}

// UnsupportedError names an op the backend lacks, and where it sits.
type UnsupportedError struct {
	Op, Node string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("unsupported op %s in node %q", e.Op, e.Node)
}

// CheckSupported fails with an UnsupportedError for the first node whose op
// the backend lacks, and with an error for subgraphs nested more than
// MaxGraphDepth deep.
func CheckSupported(g *graph.Graph) error {
	return checkSupported(g, 0)
}

func checkSupported(g *graph.Graph, depth int) error {
	for _, n := range g.Nodes {
		if n == nil {
			return errors.New("the graph has an empty node")
		}
		if !Supported(n.Op) {
			return &UnsupportedError{Op: n.Op, Node: n.DisplayName()}
		}
		subs := n.Graphs()
		if len(subs) > 0 && depth >= MaxGraphDepth {
			return depthError(n)
		}
		for _, sub := range subs {
			if sub == nil {
				return fmt.Errorf("%s has an empty subgraph", n.Label())
			}
			if err := checkSupported(sub, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// Compile prepares g for execution. It does not modify g.
func Compile(g *graph.Graph, opt Options) (*Program, error) {
	limit := opt.MaxMemory
	if limit <= 0 {
		limit = DefaultMaxMemory
	}
	return compile(g, opt, limit, 0, false)
}

// compile is Compile for a graph nested depth deep, under a memory budget
// of limit bytes; foldAll folds whatever can be (Interpret).
func compile(g *graph.Graph, opt Options, limit int64, depth int, foldAll bool) (p *Program, err error) {
	var b *builder
	var current *graph.Node // the node being prepared, for a panic's message
	defer func() {
		if r := recover(); r != nil {
			n := current
			if n == nil && b != nil {
				n = b.current
			}
			where := "compile"
			if n != nil {
				where = "compile: " + n.Label()
			}
			p, err = nil, fmt.Errorf("%s: internal error: %s", where, panicMessage(r))
		}
	}()
	if err := checkSupported(g, depth); err != nil {
		return nil, err
	}
	c := &ctx{opset: g.Opset, mem: &memory{limit: limit}, depth: depth, foldAll: foldAll}
	vals := map[string]*Value{}
	names := make([]string, 0, len(g.Initializers))
	for name := range g.Initializers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := c.initializer(nil, name, g.Initializers[name])
		if err != nil {
			return nil, err
		}
		if v.DType == graph.Int64 {
			v.Elem = g.ElemTypes[name]
		}
		vals[name] = v
	}
	var inputs []string
	for _, in := range g.Inputs {
		shape, err := inputShape(in, opt.InputShapes[in.Name])
		if err != nil {
			return nil, err
		}
		if in.DType == graph.Undefined {
			return nil, fmt.Errorf("input %q has an element type the engine lacks; float32, int64 and bool inputs are supported", in.Name)
		}
		if b := tensorBytes(in.DType, shape); b > limit {
			return nil, &BudgetError{What: "input", Tensor: in.Name, DType: in.DType, Shape: shape, Bytes: b, Budget: limit}
		}
		vals[in.Name] = &Value{DType: in.DType, Shape: shape}
		if in.DType == graph.Int64 {
			vals[in.Name].Elem = in.Elem
		}
		inputs = append(inputs, in.Name)
	}

	// 1. Shape inference and constant folding, in the file's topological
	// order; If nodes with a constant condition are inlined on the way.
	b = &builder{c: c, vals: vals, after: opt.AfterNode, elems: g.ElemTypes}
	if err := b.run(g.Nodes, nil); err != nil {
		return nil, err
	}
	kept, folded := b.kept, b.folded
	og := &graph.Graph{Name: g.Name, Producer: g.Producer, IRVersion: g.IRVersion, Opset: g.Opset,
		Inputs: g.Inputs, Outputs: g.Outputs, Nodes: kept}
	for _, o := range g.Outputs {
		v := vals[o.Name]
		if v == nil {
			return nil, fmt.Errorf("output %q is produced by no node", o.Name)
		}
	}

	// 2. Graph passes on what is left.
	before := len(og.Nodes)
	removeIdentities(og, vals)
	// QDQ fusion is how a quantized model runs (integer convolutions, as
	// ONNX Runtime runs them), not an optimisation: the unoptimised
	// program has it too.
	if !opt.NoQDQFusion {
		fuseQDQ(og, vals, b.dq)
	}
	if !opt.NoFusion {
		foldBatchNorm(og, vals)
		fuseConv(og, vals)
	}
	removeDead(og)
	fused := before - len(og.Nodes)

	// 3. Final preparation and the buffer plan.
	c.shapesOnly = false
	p = &Program{Graph: og, Folded: folded, Fused: fused, exported: map[string]*graph.Tensor{}}
	// The file's element types, and those the compiler tracked for the
	// integer constants it folded (a quantized op's zero point made by a
	// Constant node, say), so that a bundle of the exported graph saturates
	// as the file does.
	og.ElemTypes = maps.Clone(g.ElemTypes)
	if og.ElemTypes == nil {
		og.ElemTypes = map[string]int64{}
	}
	isInput := map[string]bool{}
	for _, in := range g.Inputs {
		isInput[in.Name] = true
	}
	keep := func(name string) {
		if v := vals[name]; name != "" && v != nil && v.Const != nil && !isInput[name] {
			p.exported[name] = v.Const
			if v.Elem != 0 {
				og.ElemTypes[name] = v.Elem
			}
		}
	}
	for _, n := range og.Nodes {
		for _, name := range n.Inputs {
			keep(name)
		}
	}
	for _, o := range og.Outputs {
		keep(o.Name)
	}
	preps := make([]*prepared, len(og.Nodes))
	for i, n := range og.Nodes {
		current = n
		ins, err := lookup(n, vals)
		if err != nil {
			return nil, err
		}
		pr, err := registry[n.Op](c, n, ins)
		if err != nil {
			return nil, err
		}
		for j, name := range n.Outputs {
			if name == "" {
				continue
			}
			if j < len(pr.outs) {
				if !sameShape(pr.outs[j].Shape, vals[name].Shape) {
					return nil, fmt.Errorf("%s: output shape %v changed to %v", n.Label(), vals[name].Shape, pr.outs[j].Shape)
				}
			}
		}
		preps[i] = pr
		f, _ := foldCost(pr, ins)
		p.work += f
	}
	if err := p.plan(preps, vals, inputs, opt.NoReuse, limit); err != nil {
		return nil, err
	}
	if !opt.NoReuse && !opt.NoFusion && !opt.NoQuantLinks {
		p.linkQuantized(preps)
	}
	return p, nil
}

// initializer makes an initializer (of the graph, or of an inlined branch
// of node n) a constant of the program, counting it against the budget.
func (c *ctx) initializer(n *graph.Node, name string, t *graph.Tensor) (*Value, error) {
	where := fmt.Sprintf("initializer %q", name)
	if n != nil {
		where = fmt.Sprintf("%s: initializer %q", n.Label(), name)
	}
	v, err := initValue(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	if err := c.hold(n, "initializer", name, v.DType, v.Shape, tensorBytes(v.DType, v.Shape)); err != nil {
		return nil, err
	}
	return v, nil
}

func (pr *prepared) known() bool {
	if len(pr.outs) == 0 {
		return false
	}
	for _, o := range pr.outs {
		if o.Const == nil {
			return false
		}
	}
	return true
}

func fold(n *graph.Node, pr *prepared, ins []*Value) error {
	if pr.run == nil && !pr.alias {
		return nil
	}
	in := make([]*graph.Tensor, len(ins))
	for i, v := range ins {
		if v != nil {
			in[i] = v.Const
		}
	}
	out := make([]*graph.Tensor, len(pr.outs))
	for i, o := range pr.outs {
		if pr.alias && i == 0 {
			src := in[0]
			out[0] = &graph.Tensor{DType: src.DType, Shape: o.Shape, F: src.F, I: src.I, B: src.B}
			continue
		}
		out[i] = graph.New(o.DType, o.Shape)
	}
	if pr.run != nil {
		if err := pr.run(in, out, make([]float32, pr.scratch)); err != nil {
			return fmt.Errorf("%s: %v", n.Label(), err)
		}
	}
	for i := range pr.outs {
		pr.outs[i].Const = out[i]
	}
	return nil
}

func lookup(n *graph.Node, vals map[string]*Value) ([]*Value, error) {
	ins := make([]*Value, len(n.Inputs))
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		v, ok := vals[name]
		if !ok {
			return nil, fmt.Errorf("%s reads %q, which no earlier node produces", n.Label(), name)
		}
		if v.DType == graph.Undefined {
			return nil, fmt.Errorf("%s reads %q, an optional output that is not computed", n.Label(), name)
		}
		ins[i] = v
	}
	return ins, nil
}

func inputShape(in graph.ValueInfo, fixed []int) ([]int, error) {
	if fixed != nil {
		if len(fixed) > graph.MaxRank {
			return nil, fmt.Errorf("input %q: the given shape has %d dimensions; at most %d are supported", in.Name, len(fixed), graph.MaxRank)
		}
		if len(in.Dims) > 0 && len(fixed) != len(in.Dims) {
			return nil, fmt.Errorf("input %q has rank %d, the given shape %v has rank %d", in.Name, len(in.Dims), fixed, len(fixed))
		}
		for i, d := range in.Dims {
			if d.Value > 0 && int64(fixed[i]) != d.Value {
				return nil, fmt.Errorf("input %q has dimension %d = %d, the given shape %v disagrees", in.Name, i, d.Value, fixed)
			}
		}
		if _, err := graph.Elems(fixed); err != nil {
			return nil, fmt.Errorf("input %q: %v", in.Name, err)
		}
		return copyShape(fixed), nil
	}
	if len(in.Dims) > graph.MaxRank {
		return nil, fmt.Errorf("input %q has %d dimensions; at most %d are supported", in.Name, len(in.Dims), graph.MaxRank)
	}
	shape := make([]int, len(in.Dims))
	for i, d := range in.Dims {
		switch {
		case d.Value > 0:
			shape[i] = int(d.Value)
		case i == 0:
			shape[i] = 1 // a symbolic batch dimension: one image at a time
		default:
			name := d.Param
			if name == "" {
				name = "?"
			}
			return nil, fmt.Errorf("input %q has symbolic dimension %d (%s): give its size", in.Name, i, name)
		}
		if d.Value > graph.MaxElems {
			return nil, fmt.Errorf("input %q has dimension %d = %d, more than the engine's limit %d", in.Name, i, d.Value, int64(graph.MaxElems))
		}
	}
	if _, err := graph.Elems(shape); err != nil {
		return nil, fmt.Errorf("input %q: %v", in.Name, err)
	}
	return shape, nil
}

func sameShape(a, b []int) bool {
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

// plan assigns every run-time tensor a buffer. Float32 tensors share one
// arena: a buffer is reused once the last step that reads it has run.
func (p *Program) plan(preps []*prepared, vals map[string]*Value, inputs []string, noReuse bool, limit int64) error {
	g := p.Graph
	const never = math.MaxInt
	lastUse := map[string]int{}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && vals[in].Const == nil {
				lastUse[in] = i
			}
		}
	}
	for _, o := range g.Outputs {
		lastUse[o.Name] = never
	}
	// Graph inputs live for the whole run and their buffers are never
	// handed to later tensors: a program must give the same outputs when it
	// runs again on the same input, without the caller rewriting it.
	for _, name := range inputs {
		lastUse[name] = never
	}
	// An alias shares its source's buffer, so the source lives as long as it.
	aliasOf := map[string]string{}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		if preps[i].alias {
			src, dst := g.Nodes[i].Inputs[0], g.Nodes[i].Outputs[0]
			aliasOf[dst] = src
			if lastUse[dst] > lastUse[src] {
				lastUse[src] = lastUse[dst]
			}
		}
	}

	type block struct{ off, size int }
	var live []block // sorted by offset
	arenaSize := 0
	offset := map[string]int{}
	alloc := func(size int) int {
		at := 0
		for i, b := range live {
			if b.off-at >= size {
				live = append(live[:i], append([]block{{at, size}}, live[i:]...)...)
				return at
			}
			at = b.off + b.size
		}
		live = append(live, block{at, size})
		if at+size > arenaSize {
			arenaSize = at + size
		}
		return at
	}
	free := func(off int) {
		if noReuse {
			return
		}
		for i, b := range live {
			if b.off == off {
				live = append(live[:i], live[i+1:]...)
				return
			}
		}
	}
	var mem programMemory
	var otherNames []string // int64 and bool run-time tensors
	biggest := int64(-1)
	place := func(name string, n *graph.Node) {
		v := vals[name]
		if b := tensorBytes(v.DType, v.Shape); b > biggest {
			biggest = b
			mem.biggest = fmt.Sprintf("input %q", name)
			if n != nil {
				mem.biggest = fmt.Sprintf("output %q of %s", name, n.Label())
			}
			mem.biggest += fmt.Sprintf(" (%s%s, %s)", v.DType, shapeString(v.Shape), FormatBytes(b))
		}
		if v.DType == graph.Float32 {
			offset[name] = alloc(max(graph.NumElems(v.Shape), 1))
		} else {
			otherNames = append(otherNames, name)
			mem.others += tensorBytes(v.DType, v.Shape)
		}
	}
	dieAt := map[int][]string{}
	for name, i := range lastUse {
		if aliasOf[name] == "" && vals[name].Const == nil && i != never {
			dieAt[i] = append(dieAt[i], name)
		}
	}
	for _, name := range inputs {
		place(name, nil)
	}
	for i, n := range g.Nodes {
		for j, name := range n.Outputs {
			if name == "" || (preps[i].alias && j == 0) {
				continue
			}
			place(name, n)
			if _, used := lastUse[name]; !used && vals[name].DType == graph.Float32 {
				free(offset[name]) // an unused optional output: its space is free again
			}
		}
		for _, name := range dieAt[i] {
			if off, ok := offset[name]; ok {
				free(off)
			}
		}
	}

	// The budget, before anything is allocated.
	scratch := 0
	for _, pr := range preps {
		scratch = max(scratch, pr.scratch)
		mem.held += pr.held
	}
	mem.arena, mem.scratch = 4*int64(arenaSize), 4*int64(scratch)
	seen := map[any]bool{}
	for _, t := range p.exported {
		var key any
		switch {
		case len(t.F) > 0:
			key = &t.F[0]
		case len(t.I) > 0:
			key = &t.I[0]
		case len(t.B) > 0:
			key = &t.B[0]
		default:
			continue
		}
		if !seen[key] {
			seen[key] = true
			mem.consts += tensorBytes(t.DType, t.Shape)
		}
	}
	if err := mem.check(limit); err != nil {
		return err
	}
	p.MemoryBytes = mem.total()

	arena := make([]float32, arenaSize)
	p.ArenaBytes = 4 * arenaSize
	others := map[string]*graph.Tensor{}
	for _, name := range otherNames {
		others[name] = graph.New(vals[name].DType, vals[name].Shape)
	}
	tensors := map[string]*graph.Tensor{}
	var tensorOf func(name string) *graph.Tensor
	tensorOf = func(name string) *graph.Tensor {
		if t, ok := tensors[name]; ok {
			return t
		}
		v := vals[name]
		var t *graph.Tensor
		switch {
		case v.Const != nil:
			t = v.Const
		case aliasOf[name] != "":
			src := tensorOf(aliasOf[name])
			t = &graph.Tensor{DType: src.DType, Shape: v.Shape, F: src.F, I: src.I, B: src.B}
		case others[name] != nil:
			t = others[name]
		default:
			off, ok := offset[name]
			if !ok {
				panic("no buffer for " + name)
			}
			n := graph.NumElems(v.Shape)
			t = &graph.Tensor{DType: graph.Float32, Shape: v.Shape, F: arena[off : off+n : off+n]}
		}
		tensors[name] = t
		return t
	}
	for i, n := range g.Nodes {
		s := step{node: n, run: preps[i].run}
		for _, in := range n.Inputs {
			if in == "" {
				s.in = append(s.in, nil)
			} else {
				s.in = append(s.in, tensorOf(in))
			}
		}
		for j, out := range n.Outputs {
			if out == "" || j >= len(preps[i].outs) {
				s.out = append(s.out, nil)
			} else {
				s.out = append(s.out, tensorOf(out))
			}
		}
		if s.run != nil {
			p.steps = append(p.steps, s)
		}
		p.plan_ = append(p.plan_, Step{Node: n, In: s.in, Out: s.out, Alias: preps[i].alias && s.run == nil, Kernel: s.run, Params: preps[i].params})
	}
	p.consts = map[*graph.Tensor]bool{}
	for name, t := range tensors {
		if vals[name].Const != nil {
			p.consts[t] = true
		}
	}
	p.scratch = make([]float32, scratch)
	for _, name := range inputs {
		p.Inputs = append(p.Inputs, tensorOf(name))
		p.Names.Inputs = append(p.Names.Inputs, name)
	}
	for _, o := range g.Outputs {
		p.Outputs = append(p.Outputs, tensorOf(o.Name))
		p.Names.Outputs = append(p.Names.Outputs, o.Name)
		p.OutputElems = append(p.OutputElems, vals[o.Name].Elem)
	}
	return nil
}

// Interpret runs g once, straightforwardly: the given inputs become
// constants, no BatchNorm folding or epilogue fusion is done, and every
// node runs in file order into freshly allocated outputs. It is the
// reference that optimised programs are checked against.
// afterNode, if not nil, is called after every node (see Options.AfterNode).
func Interpret(g *graph.Graph, inputs map[string]*graph.Tensor, afterNode func()) (map[string]*graph.Tensor, error) {
	cg := *g
	cg.Inputs = nil
	cg.Initializers = maps.Clone(g.Initializers)
	for _, in := range g.Inputs {
		t, ok := inputs[in.Name]
		if !ok {
			return nil, fmt.Errorf("no value for input %q", in.Name)
		}
		cg.Initializers[in.Name] = t
	}
	p, err := compile(&cg, Options{NoFusion: true, AfterNode: afterNode}, DefaultMaxMemory, 0, true)
	if err != nil {
		return nil, err
	}
	// Everything folds, but for nodes that cannot (none today): run them.
	if err := p.Execute(); err != nil {
		return nil, err
	}
	out := map[string]*graph.Tensor{}
	for i, name := range p.Names.Outputs {
		out[name] = p.Outputs[i]
	}
	return out, nil
}

// Execute runs the program on the data already in p.Inputs; results are in
// p.Outputs until the next run. It allocates nothing.
func (p *Program) Execute() (err error) {
	i := -1
	defer func() {
		if r := recover(); r != nil {
			where := "run"
			if i >= 0 && i < len(p.steps) {
				where = p.steps[i].node.Label()
			}
			err = fmt.Errorf("%s: internal error: %s", where, panicMessage(r))
		}
	}()
	if p.prof != nil {
		return p.executeProfiled(&i)
	}
	for i = range p.steps {
		s := &p.steps[i]
		if err := s.run(s.in, s.out, p.scratch); err != nil {
			return fmt.Errorf("%s: %v", s.node.Label(), err)
		}
	}
	return nil
}

// Run copies input into the first input, runs, and returns the first
// output. The returned slice is owned by the program and valid until the
// next run.
func (p *Program) Run(input []float32) ([]float32, error) {
	if len(p.Inputs) == 0 {
		return nil, errors.New("the model has no inputs")
	}
	in := p.Inputs[0]
	if in.DType != graph.Float32 {
		return nil, fmt.Errorf("input %q is %s, not float32", p.Names.Inputs[0], in.DType)
	}
	if len(input) != len(in.F) {
		return nil, fmt.Errorf("input has %d values; the model's input %v needs %d", len(input), in.Shape, len(in.F))
	}
	copy(in.F, input)
	if err := p.Execute(); err != nil {
		return nil, err
	}
	out := p.Outputs[0]
	if out.DType != graph.Float32 {
		return nil, fmt.Errorf("output %q is %s, not float32", p.Names.Outputs[0], out.DType)
	}
	return out.F, nil
}

// OpCounts lists the op types that run, with their counts, for display.
func (p *Program) OpCounts() string {
	h := p.Graph.OpHistogram()
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return h[keys[i]] > h[keys[j]] || h[keys[i]] == h[keys[j]] && keys[i] < keys[j] })
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, h[k])
	}
	return b.String()
}

// Export is the optimized graph as a graph of its own: its nodes (folded
// and fused), inputs and outputs, and the constants it reads as
// initializers — what a compiled bundle stores. Compiling it again gives a
// program with the same outputs, bit for bit.
func (p *Program) Export() *graph.Graph {
	g := *p.Graph
	g.Initializers = p.exported
	return &g
}
