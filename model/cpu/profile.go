package cpu

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/glimpse/glimpse/model/graph"
)

// Profile accumulates wall time per node across profiled runs.
type Profile struct {
	Runs  int
	nodes []time.Duration
}

// EnableProfile makes every later Execute time each node.
func (p *Program) EnableProfile() {
	p.prof = &Profile{nodes: make([]time.Duration, len(p.steps))}
}

// executeProfiled is Execute, timing each step; *at is the step running,
// for a panic's message.
func (p *Program) executeProfiled(at *int) error {
	for i := range p.steps {
		*at = i
		s := &p.steps[i]
		t0 := time.Now()
		if err := s.run(s.in, s.out, p.scratch); err != nil {
			return fmt.Errorf("%s: %v", s.node.Label(), err)
		}
		p.prof.nodes[i] += time.Since(t0)
	}
	p.prof.Runs++
	return nil
}

// ProfileTable formats per-op-type time per run, slowest first.
func (p *Program) ProfileTable() string {
	if p.prof == nil || p.prof.Runs == 0 {
		return "no profiled runs\n"
	}
	type row struct {
		op    string
		count int
		t     time.Duration
	}
	byOp := map[string]*row{}
	var total time.Duration
	for i, s := range p.steps {
		op := s.node.Op
		if op == "FusedConv" {
			if len(s.in) > 3 && s.in[3] != nil {
				op += "+Add"
			}
			if a := s.node.String("activation", ""); a != "" {
				op += "+" + a
			}
		}
		if wi := map[string]int{"Conv": 1, "FusedConv": 1, "QConv": 3}[s.node.Op]; wi > 0 {
			if len(s.in) > wi && s.in[wi] != nil && len(s.in[wi].Shape) == 4 {
				w := s.in[wi].Shape
				kind := fmt.Sprintf(" %dx%d", w[2], w[3])
				if g := s.node.Int("group", 1); g > 1 && int(g) == w[0] && w[1] == 1 {
					kind += " depthwise"
				} else if g > 1 {
					kind += " grouped"
				}
				op += kind
			}
		}
		r := byOp[op]
		if r == nil {
			r = &row{op: op}
			byOp[op] = r
		}
		r.count++
		r.t += p.prof.nodes[i]
		total += p.prof.nodes[i]
	}
	rows := make([]*row, 0, len(byOp))
	for _, r := range byOp {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].t > rows[j].t })
	var b strings.Builder
	runs := time.Duration(p.prof.Runs)
	fmt.Fprintf(&b, "%-36s %6s %12s %7s\n", "op", "nodes", "ms/run", "share")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-36s %6d %12.3f %6.1f%%\n", r.op, r.count, float64(r.t/runs)/1e6, 100*float64(r.t)/float64(max(total, 1)))
	}
	fmt.Fprintf(&b, "%-36s %6d %12.3f\n", "total", len(p.steps), float64(total/runs)/1e6)
	return b.String()
}

// NodeTime is one step's profiled time per run.
type NodeTime struct {
	Node  *graph.Node
	Shape []int // output 0's
	T     time.Duration
}

// ProfileNodes lists the profiled steps in order with their time per run.
func (p *Program) ProfileNodes() []NodeTime {
	if p.prof == nil || p.prof.Runs == 0 {
		return nil
	}
	out := make([]NodeTime, len(p.steps))
	for i, s := range p.steps {
		out[i] = NodeTime{Node: s.node, T: p.prof.nodes[i] / time.Duration(p.prof.Runs)}
		if len(s.out) > 0 && s.out[0] != nil {
			out[i].Shape = s.out[0].Shape
		}
	}
	return out
}
