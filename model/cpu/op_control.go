package cpu

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/glimpse/glimpse/model/graph"
)

// Control flow: If, Loop and Scan carry graphs as attributes.
//
// An If whose condition is known at compile time (what exporters emit
// almost always: torch writes If for rank tests on static shapes) is
// inlined: the chosen branch's nodes join the graph under a unique prefix
// and fold or fuse like any other node. Otherwise If, Loop and Scan become
// one step that runs sub-programs, each compiled for fixed shapes with the
// values it reads from the enclosing scope as extra inputs ("captures",
// appended to the node's inputs so the buffer plan keeps them alive).

func init() {
	register(prepIf, "If")
	register(prepLoop, "Loop")
	register(prepScan, "Scan")
}

// capturesAttr names the synthetic attribute that lists, on a control node,
// the names its bodies read from the enclosing scope; the node's last
// inputs are those values, under the enclosing scope's names.
const capturesAttr = "_glimpse_captures"

// builder runs shape inference and constant folding over a node list.
type builder struct {
	c       *ctx
	current *graph.Node      // the node being prepared
	after   func()           // Options.AfterNode
	elems   map[string]int64 // Graph.ElemTypes: the file's element type of Constant outputs too
	vals    map[string]*Value
	kept    []*graph.Node
	folded  int
	seq     int
	// dq records the DequantizeLinear nodes folded into constants (the
	// dequantized weights and biases of a QDQ model), by output name, for
	// fuseQDQ (passes_quant.go) to find their integer data again.
	dq map[string]*graph.Node
}

// run processes nodes in order. scope renames the names they use (nil:
// as they are); it is set inside inlined branches.
func (b *builder) run(nodes []*graph.Node, scope func(string) string) error {
	for _, orig := range nodes {
		n := orig
		if scope != nil {
			n = orig.Clone()
			for i, in := range n.Inputs {
				if in != "" {
					n.Inputs[i] = scope(in)
				}
			}
			for i, out := range n.Outputs {
				if out != "" {
					n.Outputs[i] = scope(out)
				}
			}
		}
		if len(n.Graphs()) > 0 {
			if n == orig {
				n = orig.Clone() // control rewrites the node's inputs
			}
			done, err := b.control(n, scope)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		if err := b.node(n); err != nil {
			return err
		}
	}
	return nil
}

// node infers one node's outputs, folding it when all its inputs are known.
func (b *builder) node(n *graph.Node) error {
	b.current = n
	ins, err := lookup(n, b.vals)
	if err != nil {
		return err
	}
	allConst := true
	for _, v := range ins {
		if v != nil && v.Const == nil {
			allConst = false
		}
	}
	b.c.shapesOnly = !allConst
	prep, ok := registry[n.Op]
	if !ok {
		return &UnsupportedError{Op: n.Op, Node: n.DisplayName()}
	}
	pr, err := prep(b.c, n, ins)
	if err != nil {
		return err
	}
	// Every output shape is checked before anything is folded or
	// allocated for it.
	if err := b.c.checkOuts(n, pr); err != nil {
		return err
	}
	if pr.known() {
		// Made by the preparation itself (Shape, Constant, NonZero): count it.
		for i, o := range pr.outs {
			if err := b.c.hold(n, "output", outName(n, i), o.DType, o.Shape, tensorBytes(o.DType, o.Shape)); err != nil {
				return err
			}
		}
	} else if (allConst || pr.shapeOnly) && (b.c.foldAll || cheapToFold(pr, ins)) {
		if err := b.fold(n, pr, ins); err != nil {
			return err
		}
	}
	if n.Op == "Constant" && len(pr.outs) == 1 && pr.outs[0].DType == graph.Int64 {
		pr.outs[0].Elem = b.elems[n.Outputs[0]] // the decoder's record of the file's type
	}
	inferElems(n, ins, pr.outs)
	outs := pr.outs
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		if i >= len(outs) {
			outs = append(outs, Value{}) // optional output we do not compute
		}
		v := outs[i]
		b.vals[name] = &v
	}
	if b.after != nil {
		b.after()
	}
	if pr.known() {
		b.folded++
		if n.Op == "DequantizeLinear" && len(n.Outputs) > 0 {
			if b.dq == nil {
				b.dq = map[string]*graph.Node{}
			}
			b.dq[n.Outputs[0]] = n.Clone()
		}
		return nil
	}
	b.kept = append(b.kept, n.Clone())
	return nil
}

// fold computes a node at compile time, once its outputs fit the budget.
func (b *builder) fold(n *graph.Node, pr *prepared, ins []*Value) error {
	if pr.run == nil && !pr.alias {
		return nil
	}
	for i, o := range pr.outs {
		if pr.alias && i == 0 {
			continue // shares its input's data
		}
		if err := b.c.hold(n, "output", outName(n, i), o.DType, o.Shape, tensorBytes(o.DType, o.Shape)); err != nil {
			return err
		}
	}
	scratch := 4 * int64(pr.scratch)
	if err := b.c.hold(n, "scratch", outName(n, 0), graph.Float32, []int{pr.scratch}, scratch); err != nil {
		return err
	}
	defer b.c.release(scratch)
	return fold(n, pr, ins)
}

// control handles a node with graph attributes: it inlines an If with a
// constant condition (done = true), or rewrites the node so that its
// captures are inputs, for prep to compile its bodies.
func (b *builder) control(n *graph.Node, scope func(string) string) (done bool, err error) {
	if scope == nil {
		scope = func(s string) string { return s }
	}
	if n.Op == "If" && n.Input(0) != "" {
		cond, ok := b.vals[n.Input(0)]
		if ok && cond.Const != nil {
			return true, b.inlineIf(n, truthy(cond.Const), scope)
		}
	}
	// Captures: the names the bodies read from outside, in a fixed order.
	var caps []string
	seen := map[string]bool{}
	for _, g := range n.Graphs() {
		for _, name := range freeNames(g) {
			if !seen[name] {
				seen[name] = true
				caps = append(caps, name)
			}
		}
	}
	n.Attrs = maps.Clone(n.Attrs)
	n.Attrs[capturesAttr] = caps
	for _, name := range caps {
		n.Inputs = append(n.Inputs, scope(name))
	}
	return false, nil
}

// inlineIf splices the chosen branch of n into the graph being built.
func (b *builder) inlineIf(n *graph.Node, cond bool, scope func(string) string) error {
	attr := "else_branch"
	if cond {
		attr = "then_branch"
	}
	br := n.Graph(attr)
	if br == nil {
		return fmt.Errorf("%s has no %s", n.Label(), attr)
	}
	if len(br.Outputs) != len(n.Outputs) {
		return fmt.Errorf("%s: %s has %d outputs, the node %d", n.Label(), attr, len(br.Outputs), len(n.Outputs))
	}
	b.seq++
	prefix := fmt.Sprintf("%s/%s#%d/", n.DisplayName(), attr, b.seq)
	local := map[string]bool{}
	for name := range br.Initializers {
		local[name] = true
	}
	for _, bn := range br.Nodes {
		for _, out := range bn.Outputs {
			local[out] = true
		}
	}
	inner := func(name string) string {
		if local[name] {
			return prefix + name
		}
		return scope(name)
	}
	names := make([]string, 0, len(br.Initializers))
	for name := range br.Initializers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v, err := b.c.initializer(n, name, br.Initializers[name])
		if err != nil {
			return err
		}
		b.vals[prefix+name] = v
	}
	if err := b.run(br.Nodes, inner); err != nil {
		return err
	}
	for i, o := range br.Outputs {
		if n.Outputs[i] == "" {
			continue
		}
		id := &graph.Node{Name: fmt.Sprintf("%s/out%d", n.DisplayName(), i), Op: "Identity", Attrs: map[string]any{},
			Inputs: []string{inner(o.Name)}, Outputs: []string{n.Outputs[i]}}
		if err := b.node(id); err != nil {
			return err
		}
	}
	return nil
}

func truthy(t *graph.Tensor) bool {
	if t.Len() == 0 {
		return false
	}
	switch t.DType {
	case graph.Bool:
		return t.B[0]
	case graph.Int64:
		return t.I[0] != 0
	}
	return t.F[0] != 0
}

// freeNames lists the values g reads from enclosing scopes, nested
// graphs included, in first-use order.
func freeNames(g *graph.Graph) []string {
	defined := map[string]bool{"": true}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for name := range g.Initializers {
		defined[name] = true
	}
	var free []string
	seen := map[string]bool{}
	use := func(name string) {
		if !defined[name] && !seen[name] {
			seen[name] = true
			free = append(free, name)
		}
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			use(in)
		}
		for _, sub := range n.Graphs() {
			for _, name := range freeNames(sub) {
				use(name)
			}
		}
		for _, out := range n.Outputs {
			defined[out] = true
		}
	}
	for _, o := range g.Outputs {
		use(o.Name)
	}
	return free
}

// body is one graph attribute compiled for fixed shapes.
type body struct {
	prog *Program
	held int64 // the memory the body's program holds of its own
	// in maps each program input to where its data comes from: a body
	// input by index (>= 0), or capture -1-k.
	ins []int
}

// compileBody compiles g with its declared inputs of the given values and
// the captures as further inputs (constant captures become initializers).
func compileBody(c *ctx, n *graph.Node, attr string, g *graph.Graph, inputs []Value, caps []*Value) (*body, error) {
	if c.depth >= MaxGraphDepth {
		return nil, depthError(n)
	}
	if len(g.Inputs) != len(inputs) {
		return nil, fmt.Errorf("%s: %s has %d inputs, expected %d", n.Label(), attr, len(g.Inputs), len(inputs))
	}
	names, _ := n.Attrs[capturesAttr].([]string)
	sub := &graph.Graph{Name: g.Name, Opset: g.Opset, IRVersion: g.IRVersion, Outputs: g.Outputs, Nodes: g.Nodes,
		Initializers: maps.Clone(g.Initializers)}
	if sub.Initializers == nil {
		sub.Initializers = map[string]*graph.Tensor{}
	}
	bd := &body{}
	shapes := map[string][]int{}
	add := func(name string, v Value, src int) {
		sub.Inputs = append(sub.Inputs, graph.ValueInfo{Name: name, DType: v.DType, Dims: dimsOf(v.Shape)})
		shapes[name] = copyShape(v.Shape)
		bd.ins = append(bd.ins, src)
	}
	for i, in := range g.Inputs {
		add(in.Name, inputs[i], i)
	}
	free := map[string]bool{}
	for _, name := range freeNames(g) {
		free[name] = true
	}
	// The body's budget is what the enclosing graph has left, plus the
	// constants it captures: those are counted already.
	var shared int64
	for k, v := range caps {
		if k >= len(names) || !free[names[k]] {
			continue // read by another body of the node
		}
		if v.Const != nil {
			sub.Initializers[names[k]] = v.Const
			shared += tensorBytes(v.DType, v.Shape)
			continue
		}
		add(names[k], *v, -1-k)
	}
	p, err := compile(sub, Options{InputShapes: shapes}, max(c.limit()-c.used(), 0)+shared, c.depth+1, c.foldAll)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", n.Label(), attr, err)
	}
	bd.prog = p
	bd.held = max(p.MemoryBytes-shared, 0)
	return bd, nil
}

func dimsOf(shape []int) []graph.Dim {
	d := make([]graph.Dim, len(shape))
	for i, v := range shape {
		d[i] = graph.Dim{Value: int64(v)}
	}
	return d
}

// setInputs copies the body's inputs into its program: from vals (the
// body inputs of this iteration) and from the node's captures.
func (bd *body) setInputs(vals []*graph.Tensor, caps []*graph.Tensor) {
	for i, src := range bd.ins {
		var t *graph.Tensor
		if src >= 0 {
			t = vals[src]
		} else {
			t = caps[-1-src]
		}
		copyTensor(bd.prog.Inputs[i], t)
	}
}

func copyTensor(dst, src *graph.Tensor) {
	switch dst.DType {
	case graph.Float32:
		copy(dst.F, src.F)
	case graph.Int64:
		copy(dst.I, src.I)
	case graph.Bool:
		copy(dst.B, src.B)
	}
}

// splitCaptures separates a control node's own inputs from its captures.
func splitCaptures(n *graph.Node, in []*Value) (own, caps []*Value) {
	names, _ := n.Attrs[capturesAttr].([]string)
	k := len(names)
	if k > len(in) {
		k = len(in)
	}
	return in[:len(in)-k], in[len(in)-k:]
}

func prepIf(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	own, caps := splitCaptures(n, in)
	if len(own) < 1 || own[0] == nil {
		return nil, fmt.Errorf("%s needs a condition", n.Label())
	}
	var bodies [2]*body
	for i, attr := range []string{"then_branch", "else_branch"} {
		g := n.Graph(attr)
		if g == nil {
			return nil, fmt.Errorf("%s has no %s", n.Label(), attr)
		}
		if len(g.Outputs) != len(n.Outputs) {
			return nil, fmt.Errorf("%s: %s has %d outputs, the node %d", n.Label(), attr, len(g.Outputs), len(n.Outputs))
		}
		bd, err := compileBody(c, n, attr, g, nil, caps)
		if err != nil {
			return nil, err
		}
		bodies[i] = bd
	}
	pr := &prepared{held: bodies[0].held + bodies[1].held, flops: max(bodies[0].prog.work, bodies[1].prog.work)}
	for j := range n.Outputs {
		a, b := bodies[0].prog.Outputs[j], bodies[1].prog.Outputs[j]
		if a.DType != b.DType || !sameShape(a.Shape, b.Shape) {
			return nil, fmt.Errorf("%s: output %d is %s%v in then_branch and %s%v in else_branch; the engine needs one static shape",
				n.Label(), j, a.DType, a.Shape, b.DType, b.Shape)
		}
		pr.outs = append(pr.outs, Value{DType: a.DType, Shape: copyShape(a.Shape)})
	}
	nOwn := len(own)
	pr.run = func(in, out []*graph.Tensor, _ []float32) error {
		bd := bodies[1]
		if truthy(in[0]) {
			bd = bodies[0]
		}
		bd.setInputs(nil, in[nOwn:])
		if err := bd.prog.Execute(); err != nil {
			return err
		}
		for j, o := range out {
			if o != nil {
				copyTensor(o, bd.prog.Outputs[j])
			}
		}
		return nil
	}
	return pr, nil
}

// prepLoop: inputs M (trip count), cond, v_initial...; the body takes
// (iter_num, cond, v...) and gives (cond, v..., scan outputs...). The trip
// count must be known at compile time when there are scan outputs (their
// shapes are static).
func prepLoop(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	own, caps := splitCaptures(n, in)
	g := n.Graph("body")
	if g == nil {
		return nil, fmt.Errorf("%s has no body", n.Label())
	}
	if len(own) < 2 {
		return nil, fmt.Errorf("%s needs inputs M and cond (either may be empty)", n.Label())
	}
	nCarried := len(own) - 2
	if len(g.Outputs) < 1+nCarried {
		return nil, fmt.Errorf("%s: body has %d outputs for %d loop-carried values", n.Label(), len(g.Outputs), nCarried)
	}
	nScan := len(g.Outputs) - 1 - nCarried
	trip := int64(-1)
	if m := own[0]; m != nil {
		if m.Const == nil {
			if nScan > 0 {
				return nil, fmt.Errorf("%s: the trip count must be known before run time when the loop has scan outputs (their shapes are static)", n.Label())
			}
		} else {
			trip = m.Const.AsInts()[0]
		}
	} else if own[1] == nil {
		return nil, fmt.Errorf("%s has neither a trip count nor a condition: it would never end", n.Label())
	} else if nScan > 0 {
		return nil, fmt.Errorf("%s: a loop ended only by its condition cannot have scan outputs here (their shapes would not be static)", n.Label())
	}
	inputs := []Value{{DType: graph.Int64, Shape: []int{}}, {DType: graph.Bool, Shape: []int{}}}
	for _, v := range own[2:] {
		if v == nil {
			return nil, fmt.Errorf("%s: a loop-carried value is missing", n.Label())
		}
		inputs = append(inputs, Value{DType: v.DType, Shape: copyShape(v.Shape)})
	}
	bd, err := compileBody(c, n, "body", g, inputs, caps)
	if err != nil {
		return nil, err
	}
	p := bd.prog
	for j := 0; j < nCarried; j++ {
		o := p.Outputs[1+j]
		if o.DType != inputs[2+j].DType || !sameShape(o.Shape, inputs[2+j].Shape) {
			return nil, fmt.Errorf("%s: loop-carried value %d changes from %s%v to %s%v in the body; the engine needs static shapes",
				n.Label(), j, inputs[2+j].DType, inputs[2+j].Shape, o.DType, o.Shape)
		}
	}
	pr := &prepared{}
	for j := 0; j < nCarried; j++ {
		pr.outs = append(pr.outs, Value{DType: inputs[2+j].DType, Shape: copyShape(inputs[2+j].Shape)})
	}
	if trip > 1<<20 {
		return nil, fmt.Errorf("%s: trip count %d is too large", n.Label(), trip)
	}
	// A loop ended by its condition alone costs what it costs: it is never
	// folded (but under Interpret).
	pr.flops = math.Inf(1)
	if trip >= 0 {
		pr.flops = float64(trip) * max(p.work, 1)
	}
	pr.held = bd.held
	for j := 0; j < nScan; j++ {
		o := p.Outputs[1+nCarried+j]
		pr.outs = append(pr.outs, Value{DType: o.DType, Shape: append([]int{int(max(trip, 0))}, o.Shape...)})
	}
	// Body inputs of one iteration: iter_num, cond, then the carried state.
	iter := graph.New(graph.Int64, []int{})
	condT := graph.New(graph.Bool, []int{})
	state := make([]*graph.Tensor, nCarried)
	next := make([]*graph.Tensor, nCarried)
	for j := range state {
		state[j] = graph.New(inputs[2+j].DType, inputs[2+j].Shape)
		next[j] = graph.New(inputs[2+j].DType, inputs[2+j].Shape)
		pr.held += 2 * tensorBytes(inputs[2+j].DType, inputs[2+j].Shape)
	}
	vals := append([]*graph.Tensor{iter, condT}, state...)
	nOwn := len(own)
	hasCond := own[1] != nil
	pr.run = func(in, out []*graph.Tensor, _ []float32) error {
		for j := range state {
			copyTensor(state[j], in[2+j])
		}
		condT.B[0] = !hasCond || truthy(in[1])
		caps := in[nOwn:]
		var i int64
		for ; (trip < 0 || i < trip) && condT.B[0]; i++ {
			iter.I[0] = i
			bd.setInputs(vals, caps)
			if err := p.Execute(); err != nil {
				return err
			}
			for j := 0; j < nScan; j++ {
				o := out[nCarried+j]
				if o == nil {
					continue
				}
				src := p.Outputs[1+nCarried+j]
				k := src.Len()
				copyAt(o, int(i)*k, src)
			}
			for j := range next {
				copyTensor(next[j], p.Outputs[1+j])
			}
			for j := range state {
				copyTensor(state[j], next[j])
			}
			condT.B[0] = truthy(p.Outputs[0])
		}
		if nScan > 0 && i != trip {
			return fmt.Errorf("the loop ended after %d of %d iterations, so its scan outputs have no static shape", i, trip)
		}
		for j := 0; j < nCarried; j++ {
			if out[j] != nil {
				copyTensor(out[j], state[j])
			}
		}
		return nil
	}
	return pr, nil
}

// copyAt copies src into dst's flat data starting at element off.
func copyAt(dst *graph.Tensor, off int, src *graph.Tensor) {
	switch dst.DType {
	case graph.Float32:
		copy(dst.F[off:], src.F)
	case graph.Int64:
		copy(dst.I[off:], src.I)
	case graph.Bool:
		copy(dst.B[off:], src.B)
	}
}

// prepScan (opset 9+): inputs are the initial states then the scan
// inputs; the body takes (states..., one slice of each scan input) and
// gives (states..., one slice of each scan output).
func prepScan(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if c.opset < 9 {
		return nil, fmt.Errorf("%s: Scan before opset 9 (with a batch axis and sequence_lens) is not supported", n.Label())
	}
	own, caps := splitCaptures(n, in)
	g := n.Graph("body")
	if g == nil {
		return nil, fmt.Errorf("%s has no body", n.Label())
	}
	nScanIn := int(n.Int("num_scan_inputs", 0))
	if nScanIn < 1 || nScanIn > len(own) {
		return nil, fmt.Errorf("%s: num_scan_inputs %d does not fit its %d inputs", n.Label(), nScanIn, len(own))
	}
	nState := len(own) - nScanIn
	axesIn := n.Ints("scan_input_axes")
	dirsIn := n.Ints("scan_input_directions")
	axesOut := n.Ints("scan_output_axes")
	dirsOut := n.Ints("scan_output_directions")
	inAxis := make([]int, nScanIn)
	trip := -1
	inputs := make([]Value, 0, len(own))
	for j := 0; j < nState; j++ {
		if own[j] == nil {
			return nil, fmt.Errorf("%s: state input %d is missing", n.Label(), j)
		}
		inputs = append(inputs, Value{DType: own[j].DType, Shape: copyShape(own[j].Shape)})
	}
	for j := 0; j < nScanIn; j++ {
		v := own[nState+j]
		if v == nil {
			return nil, fmt.Errorf("%s: scan input %d is missing", n.Label(), j)
		}
		ax := 0
		if j < len(axesIn) {
			ax = int(axesIn[j])
		}
		if ax < 0 {
			ax += len(v.Shape)
		}
		if ax < 0 || ax >= len(v.Shape) {
			return nil, fmt.Errorf("%s: scan input %d has no axis %d", n.Label(), j, ax)
		}
		inAxis[j] = ax
		if trip >= 0 && v.Shape[ax] != trip {
			return nil, fmt.Errorf("%s: scan inputs disagree on the sequence length (%d and %d)", n.Label(), trip, v.Shape[ax])
		}
		trip = v.Shape[ax]
		inputs = append(inputs, Value{DType: v.DType, Shape: slices.Delete(copyShape(v.Shape), ax, ax+1)})
	}
	bd, err := compileBody(c, n, "body", g, inputs, caps)
	if err != nil {
		return nil, err
	}
	p := bd.prog
	nScanOut := len(p.Outputs) - nState
	if nScanOut < 0 {
		return nil, fmt.Errorf("%s: body has %d outputs for %d states", n.Label(), len(p.Outputs), nState)
	}
	pr := &prepared{}
	for j := 0; j < nState; j++ {
		o := p.Outputs[j]
		if o.DType != inputs[j].DType || !sameShape(o.Shape, inputs[j].Shape) {
			return nil, fmt.Errorf("%s: state %d changes from %s%v to %s%v in the body", n.Label(), j, inputs[j].DType, inputs[j].Shape, o.DType, o.Shape)
		}
		pr.outs = append(pr.outs, Value{DType: o.DType, Shape: copyShape(o.Shape)})
	}
	outAxis := make([]int, nScanOut)
	for j := 0; j < nScanOut; j++ {
		o := p.Outputs[nState+j]
		ax := 0
		if j < len(axesOut) {
			ax = int(axesOut[j])
		}
		if ax < 0 {
			ax += len(o.Shape) + 1
		}
		if ax < 0 || ax > len(o.Shape) {
			return nil, fmt.Errorf("%s: scan output %d has no axis %d", n.Label(), j, ax)
		}
		outAxis[j] = ax
		pr.outs = append(pr.outs, Value{DType: o.DType, Shape: slices.Insert(copyShape(o.Shape), ax, trip)})
	}
	pr.held = bd.held
	pr.flops = float64(max(trip, 0)) * max(p.work, 1)
	state := make([]*graph.Tensor, nState)
	next := make([]*graph.Tensor, nState)
	for j := range state {
		state[j] = graph.New(inputs[j].DType, inputs[j].Shape)
		next[j] = graph.New(inputs[j].DType, inputs[j].Shape)
		pr.held += 2 * tensorBytes(inputs[j].DType, inputs[j].Shape)
	}
	slicesIn := make([]*graph.Tensor, nScanIn)
	for j := range slicesIn {
		slicesIn[j] = graph.New(inputs[nState+j].DType, inputs[nState+j].Shape)
		pr.held += tensorBytes(inputs[nState+j].DType, inputs[nState+j].Shape)
	}
	vals := append(append([]*graph.Tensor{}, state...), slicesIn...)
	nOwn := len(own)
	dir := func(d []int64, j int) bool { return j < len(d) && d[j] == 1 }
	pr.run = func(in, out []*graph.Tensor, _ []float32) error {
		for j := range state {
			copyTensor(state[j], in[j])
		}
		caps := in[nOwn:]
		for t := 0; t < trip; t++ {
			for j := range slicesIn {
				at := t
				if dir(dirsIn, j) {
					at = trip - 1 - t
				}
				axisSlice(slicesIn[j], in[nState+j], inAxis[j], at, false)
			}
			bd.setInputs(vals, caps)
			if err := p.Execute(); err != nil {
				return err
			}
			for j := 0; j < nScanOut; j++ {
				if out[nState+j] == nil {
					continue
				}
				at := t
				if dir(dirsOut, j) {
					at = trip - 1 - t
				}
				axisSlice(p.Outputs[nState+j], out[nState+j], outAxis[j], at, true)
			}
			for j := range next {
				copyTensor(next[j], p.Outputs[j])
			}
			for j := range state {
				copyTensor(state[j], next[j])
			}
		}
		for j := 0; j < nState; j++ {
			if out[j] != nil {
				copyTensor(out[j], state[j])
			}
		}
		return nil
	}
	return pr, nil
}

// axisSlice copies between slice (full's shape without axis) and index at
// of full along axis: from full into slice, or back when write is set.
func axisSlice(slice, full *graph.Tensor, axis, at int, write bool) {
	outer := graph.NumElems(full.Shape[:axis])
	inner := graph.NumElems(full.Shape[axis+1:])
	n := full.Shape[axis]
	for o := 0; o < outer; o++ {
		f := (o*n + at) * inner
		s := o * inner
		switch full.DType {
		case graph.Float32:
			if write {
				copy(full.F[f:f+inner], slice.F[s:s+inner])
			} else {
				copy(slice.F[s:s+inner], full.F[f:f+inner])
			}
		case graph.Int64:
			if write {
				copy(full.I[f:f+inner], slice.I[s:s+inner])
			} else {
				copy(slice.I[s:s+inner], full.I[f:f+inner])
			}
		case graph.Bool:
			if write {
				copy(full.B[f:f+inner], slice.B[s:s+inner])
			} else {
				copy(slice.B[s:s+inner], full.B[f:f+inner])
			}
		}
	}
}
