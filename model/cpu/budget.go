package cpu

import (
	"fmt"
	"sort"
	"strings"

	"github.com/glimpse/glimpse/model/graph"
)

// A model file is untrusted input: a few hundred bytes can ask for tensors
// of any size, for constant folding that takes hours, or for subgraphs
// nested a hundred thousand deep. The compiler checks every shape with
// graph.Elems before it allocates or loops over it, keeps the memory a
// program needs under a budget, folds a node at compile time only when
// that is cheap, and bounds the nesting of subgraphs.

const (
	// DefaultMaxMemory is the memory budget when Options.MaxMemory is 0:
	// 1 GiB, what a browser tab on a phone can hope to get.
	DefaultMaxMemory int64 = 1 << 30
	// MaxFoldFLOPs bounds the work of one node folded at compile time
	// (multiply-adds count two): about a tenth of a second. A costlier node
	// whose inputs are all constants stays in the program and runs at run
	// time, with the same kernel and so the same result.
	MaxFoldFLOPs = 1e8
	// MaxFoldBytes bounds the bytes of inputs and outputs of one node
	// folded at compile time. It is generous: ops whose work is linear in
	// their data (Transpose, Mul, DequantizeLinear on a weight) must still
	// fold for large weights, because Conv needs its weights constant; the
	// memory budget bounds what they hold.
	MaxFoldBytes = 512 << 20
	// MaxGraphDepth bounds the nesting of subgraphs (If branches, Loop and
	// Scan bodies inside one another).
	MaxGraphDepth = 32
)

// BudgetError reports a model that needs more memory than the budget
// allows: one tensor that would exceed it on its own, or the program's
// total. Nothing of that size has been allocated.
type BudgetError struct {
	Node   string // the node's name ("" for initializers, inputs and the program's total)
	Op     string // the node's op type
	What   string // "output", "initializer", "input", "scratch", or "program"
	Tensor string // the tensor's name ("" for the program's total)
	DType  graph.DType
	Shape  []int
	Bytes  int64 // what the tensor (or the program) would need
	Used   int64 // bytes already held when the tensor was to be added (0: not counted)
	Budget int64
	Detail string // for the program's total: what it is made of
}

func (e *BudgetError) Error() string {
	var b strings.Builder
	switch {
	case e.What == "program":
		fmt.Fprintf(&b, "the program would need %s", FormatBytes(e.Bytes))
		if e.Detail != "" {
			fmt.Fprintf(&b, " (%s)", e.Detail)
		}
	default:
		if e.Node != "" {
			fmt.Fprintf(&b, "node %q (%s): ", e.Node, e.Op)
		}
		fmt.Fprintf(&b, "%s %q would need %s", e.What, e.Tensor, FormatBytes(e.Bytes))
		if e.Shape != nil {
			fmt.Fprintf(&b, " (%s%s)", e.DType, shapeString(e.Shape))
		}
		if e.Used > 0 {
			fmt.Fprintf(&b, " on top of the %s already held", FormatBytes(e.Used))
		}
	}
	fmt.Fprintf(&b, "; the memory budget is %s", FormatBytes(e.Budget))
	return b.String()
}

// FormatBytes writes a size in binary units: "512 B", "3.5 KiB", "1.0 GiB".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, u := float64(n)/unit, 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	for f >= unit && u < len(units)-1 {
		f /= unit
		u++
	}
	return fmt.Sprintf("%.1f %s", f, units[u])
}

func shapeString(shape []int) string {
	d := make([]int64, min(len(shape), graph.MaxRank+1))
	for i := range d {
		d[i] = int64(shape[i])
	}
	return graph.FormatDims(d, len(shape))
}

// memory is the budget of one compilation and what it holds so far: the
// initializers and the constants folded or made at compile time.
type memory struct {
	limit int64
	used  int64
}

// limit is the memory budget (DefaultMaxMemory when ctx has no memory, as
// in op tests).
func (c *ctx) limit() int64 {
	if c.mem == nil {
		return DefaultMaxMemory
	}
	return c.mem.limit
}

func (c *ctx) used() int64 {
	if c.mem == nil {
		return 0
	}
	return c.mem.used
}

// outName names output i of n for messages.
func outName(n *graph.Node, i int) string {
	if i < len(n.Outputs) && n.Outputs[i] != "" {
		return n.Outputs[i]
	}
	return fmt.Sprintf("#%d", i)
}

// checkOut checks output i of n before anything is allocated for it or
// loops over it: its shape must pass graph.Elems and it must fit the
// budget on its own. Preparations call it for outputs they allocate or
// build tables for; the builder calls it for every output a preparation
// returns.
func (c *ctx) checkOut(n *graph.Node, i int, dt graph.DType, shape []int) error {
	b, err := graph.Bytes(dt, shape)
	if err != nil {
		return fmt.Errorf("%s: output %q: %v", n.Label(), outName(n, i), err)
	}
	if b > c.limit() {
		return &BudgetError{Node: n.DisplayName(), Op: n.Op, What: "output", Tensor: outName(n, i),
			DType: dt, Shape: copyShape(shape), Bytes: b, Budget: c.limit()}
	}
	return nil
}

// checkTables refuses index tables (per-axis maps, window taps) of more
// bytes than the budget, before a preparation builds them.
func (c *ctx) checkTables(n *graph.Node, bytes int64) error {
	if bytes > c.limit() {
		return &BudgetError{Node: n.DisplayName(), Op: n.Op, What: "index tables for output", Tensor: outName(n, 0),
			Bytes: bytes, Budget: c.limit()}
	}
	return nil
}

// checkShape checks a shape a preparation computes on the way (not an
// output): it must pass graph.Elems.
func checkShape(n *graph.Node, what string, shape []int) (int, error) {
	e, err := graph.Elems(shape)
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %v", n.Label(), what, err)
	}
	return e, nil
}

// checkOuts is the builder's guard: every output shape of a prepared
// node, before anything is folded or allocated for it.
func (c *ctx) checkOuts(n *graph.Node, pr *prepared) error {
	for i, o := range pr.outs {
		if o.DType == graph.Undefined && o.Shape == nil {
			continue // an optional output that is not computed
		}
		if err := c.checkOut(n, i, o.DType, o.Shape); err != nil {
			return err
		}
	}
	if pr.scratch < 0 || int64(pr.scratch) > c.limit()/4 {
		return &BudgetError{Node: n.DisplayName(), Op: n.Op, What: "scratch", Tensor: outName(n, 0),
			Bytes: 4 * int64(max(pr.scratch, 0)), Budget: c.limit()}
	}
	return nil
}

// hold adds bytes of constants to what the compilation holds, failing
// before the budget is exceeded. what and tensor describe them for the
// error; n is nil for initializers.
func (c *ctx) hold(n *graph.Node, what, tensor string, dt graph.DType, shape []int, bytes int64) error {
	if c.mem == nil {
		return nil
	}
	if bytes > c.mem.limit-c.mem.used {
		e := &BudgetError{What: what, Tensor: tensor, DType: dt, Shape: copyShape(shape), Bytes: bytes,
			Used: c.mem.used, Budget: c.mem.limit}
		if n != nil {
			e.Node, e.Op = n.DisplayName(), n.Op
		}
		return e
	}
	c.mem.used += bytes
	return nil
}

func (c *ctx) release(bytes int64) {
	if c.mem != nil {
		c.mem.used -= bytes
	}
}

// tensorBytes is the size of a tensor of a checked shape.
func tensorBytes(dt graph.DType, shape []int) int64 {
	return int64(graph.NumElems(shape)) * int64(dt.Size())
}

// foldCost is what folding a prepared node would take: its work in FLOPs
// (at least one per element read or written) and the bytes of its inputs
// and the outputs it allocates.
func foldCost(pr *prepared, ins []*Value) (flops, bytes float64) {
	for _, v := range ins {
		if v != nil {
			bytes += float64(tensorBytes(v.DType, v.Shape))
			flops += float64(graph.NumElems(v.Shape))
		}
	}
	for i, o := range pr.outs {
		if pr.alias && i == 0 {
			continue
		}
		bytes += float64(tensorBytes(o.DType, o.Shape))
		flops += float64(graph.NumElems(o.Shape))
	}
	return max(flops, pr.flops), bytes
}

// cheapToFold reports whether a node whose inputs are all known may be
// computed at compile time: a pure reshape always, otherwise when its work
// and data are under MaxFoldFLOPs and MaxFoldBytes.
func cheapToFold(pr *prepared, ins []*Value) bool {
	if pr.alias && pr.run == nil {
		return true
	}
	flops, bytes := foldCost(pr, ins)
	if pr.flops == 0 { // linear in its data: bytes bound the time
		return bytes <= MaxFoldBytes
	}
	return flops <= MaxFoldFLOPs && bytes <= MaxFoldBytes
}

// depthError reports subgraphs nested deeper than MaxGraphDepth.
func depthError(n *graph.Node) error {
	return fmt.Errorf("%s: subgraphs are nested more than %d deep", n.Label(), MaxGraphDepth)
}

// programBudget checks the memory a compiled program needs against the
// budget before its buffers are allocated: its constants, what its nodes
// hold (packed weights, sub-programs), the arena, the other run-time
// tensors and the scratch buffer.
type programMemory struct {
	consts, held, arena, others, scratch int64
	biggest                              string // the largest run-time tensor, for the message
}

func (m programMemory) total() int64 {
	return m.consts + m.held + m.arena + m.others + m.scratch
}

func (m programMemory) check(limit int64) error {
	t := m.total()
	if t <= limit {
		return nil
	}
	parts := []struct {
		name string
		n    int64
	}{{"constants", m.consts}, {"packed weights and subgraphs", m.held}, {"run-time tensors", m.arena + m.others}, {"scratch", m.scratch}}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].n > parts[j].n })
	var d []string
	for _, p := range parts {
		if p.n > 0 {
			d = append(d, fmt.Sprintf("%s %s", p.name, FormatBytes(p.n)))
		}
	}
	detail := strings.Join(d, ", ")
	if m.biggest != "" {
		detail += "; the largest run-time tensor is " + m.biggest
	}
	return &BudgetError{What: "program", Bytes: t, Budget: limit, Detail: detail}
}

// panicMessage turns a recovered panic into one line without Go values
// dumped into it.
func panicMessage(r any) string {
	var s string
	switch v := r.(type) {
	case error:
		s = v.Error()
	case string:
		s = v
	case fmt.Stringer:
		s = v.String()
	default:
		s = fmt.Sprintf("panic of type %T", r)
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
