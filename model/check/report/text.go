package report

import (
	"fmt"
	"strings"
)

// Text renders the report for people: a few labelled lines, the op table,
// and the verdict last.
func (r *Report) Text() string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-9s %s\n", label, fmt.Sprintf(format, args...))
	}
	name := r.Model
	if name == "" {
		name = "(unnamed graph)"
	}
	if r.Producer != "" {
		name += ", from " + r.Producer
	}
	line("model", "%s; IR version %d, opset %d", name, r.IRVersion, r.Opset)
	for _, d := range r.Domains {
		if d.Version > 0 {
			line("", "domain %s (opset %d): %s", d.Domain, d.Version, Plural(d.Nodes, "node"))
		} else {
			line("", "domain %s (not imported): %s", d.Domain, Plural(d.Nodes, "node"))
		}
	}
	for _, v := range r.Inputs {
		line("input", "%s", valueText(v))
	}
	for _, v := range r.Outputs {
		line("output", "%s", valueText(v))
	}
	line("weights", "%s parameters, %s", count(r.Params), Bytes(r.WeightBytes))

	supported := "every op is supported by the CPU backend"
	if len(r.Unsupported) > 0 {
		supported = fmt.Sprintf("%s missing from the CPU backend", Plural(len(r.Unsupported), "op type"))
	}
	line("ops", "%s of %s; %s", Plural(r.Nodes, "node"), Plural(len(r.Ops)-r.fusedOnly(), "type"), supported)
	w := len("op")
	for _, o := range r.Ops {
		w = max(w, len(o.Op))
	}
	fmt.Fprintf(&b, "          %-*s  %7s  %6s  %5s  %4s  %s\n", w, "op", "in file", "folded", "fused", "runs", "WebGPU")
	for _, o := range r.Ops {
		where := o.WebGPU
		switch {
		case !o.CPU:
			where = "UNSUPPORTED by the CPU backend"
		case r.Compile == nil:
			where = ""
		case o.Runs == 0:
			where = "—"
		}
		folded, fused, runs := "—", "—", "—"
		if r.Compile != nil {
			folded, fused, runs = fmt.Sprint(o.Folded), fmt.Sprint(o.Fused), fmt.Sprint(o.Runs)
		}
		fmt.Fprintf(&b, "          %-*s  %7d  %6s  %5s  %4s  %s\n", w, o.Op, o.Count, folded, fused, runs, where)
	}
	for _, u := range r.Unsupported {
		line("missing", "%s: %s", u.Op, NodeList(u.Nodes))
	}
	if c := r.Compile; c != nil {
		line("compile", "%d folded at compile time, %d fused or removed, %d run; arena %s", c.Folded, c.Fused, c.Runs, Bytes(int64(c.ArenaBytes)))
		line("", "unoptimised (no fusion, no reuse): %d run; %s", c.PlainRuns, Bytes(int64(c.PlainArenaBytes)))
	}
	if w := r.WebGPU; w != nil {
		switch {
		case w.Error != "":
			line("webgpu", "not usable: %s", w.Error)
		case w.CPU == 0:
			line("webgpu", "every node that computes runs on the GPU: %d nodes, %s per run", w.GPU, Plural(w.Dispatches, "dispatche"))
		default:
			line("webgpu", "%d nodes on the GPU (%s per run), %d on the CPU:", w.GPU, Plural(w.Dispatches, "dispatche"), w.CPU)
			for _, n := range w.OnCPU {
				line("", "  %s %q: %s", n.Op, n.Node, n.Why)
			}
		}
	}
	if sc := r.SelfCheck; sc != nil {
		line("check", "seeded input (seed %d): %s", sc.Seed, sc.Input)
		line("", "tolerance: %s", sc.Tolerance)
		for _, o := range sc.Outputs {
			rr := "identical"
			if o.RunToRunBad > 0 {
				rr = fmt.Sprintf("%s differ (max %.3g)", Plural(o.RunToRunBad, "element"), o.RunToRun)
			}
			status := "within"
			if o.Bad > 0 {
				status = fmt.Sprintf("%s beyond", Plural(o.Bad, "element"))
			}
			line("", "output %q %v: max |diff| %.3g vs the reference (%s tolerance %.3g; max |ref| %.3g); run to run: %s; unoptimised: %.3g",
				o.Name, o.Shape, o.MaxAbsDiff, status, o.Atol, o.MaxAbsRef, rr, o.PlainMaxAbsDiff)
		}
	}
	if t := r.Timing; t != nil {
		line("time", "optimised %s, unoptimised %s per run (median of %d); reference %s once",
			msText(t.OptimisedMs), msText(t.UnoptimisedMs), t.Runs, msText(t.ReferenceMs))
	}
	line("verdict", "%s", r.Summary())
	return b.String()
}

// Summary is the verdict in one sentence.
func (r *Report) Summary() string {
	switch r.Verdict {
	case OK:
		return "ok: it runs here, and the optimised program matches the reference"
	case Mismatch, RunToRun:
		return r.Verdict + ": " + r.Reason + "; Glimpse falls back to the unoptimised program (classify -verify, the web app)"
	}
	return r.Verdict + ": " + r.Reason
}

// fusedOnly counts op rows that are not in the file (FusedConv).
func (r *Report) fusedOnly() int {
	n := 0
	for _, o := range r.Ops {
		if o.Count == 0 {
			n++
		}
	}
	return n
}

func valueText(v Value) string {
	s := fmt.Sprintf("%q %s [%s]", v.Name, v.Type, strings.Join(v.Dims, ", "))
	if v.Shape != nil {
		s += fmt.Sprintf(", compiled as %v", v.Shape)
	}
	return s
}

// Bytes formats a size in bytes.
func Bytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func count(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2f M", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f k", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func msText(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

// NodeList names up to three nodes: `node "a"`, `nodes "a", "b" and 2 more`.
func NodeList(names []string) string {
	const most = 3
	q := make([]string, 0, most)
	for i, n := range names {
		if i == most {
			break
		}
		q = append(q, fmt.Sprintf("%q", n))
	}
	s := "node " + strings.Join(q, ", ")
	if len(names) > 1 {
		s = "nodes " + strings.Join(q, ", ")
	}
	if len(names) > most {
		s += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return s
}

// Plural is "1 op", "2 ops".
func Plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
