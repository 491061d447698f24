package cpu

import (
	"math"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// Quantized bytes between QConvs (kern/qconv8.go). A QDQ model's convs,
// once fused (passes_quant.go), pass float32 tensors to each other that
// hold dequantized integers: the next conv divides them by the same scale
// and rounds them back to the same integers. Where a QConv's output is
// read by one QConv only, with its scale and zero point and a type range
// that holds the first's outputs, and the vector kernels take both, the
// pair passes the quantized bytes instead: the tensor between them moves
// a quarter of the bytes and the second skips the division. The results
// are the same bit for bit (kern's tests check each kernel; the program
// tests compare programs with and without).
//
// The tensor between such a pair holds bytes, not floats, so nothing else
// may read it: the pass links only a tensor that is no program output,
// that no other node reads, and only in programs that share their arena
// (NoReuse and NoFusion programs, which tools read tensors of, never link).
// Another backend that runs the plan's steps (WebGPU, which may place one
// conv of a pair on the GPU and the other on the CPU) calls
// UnlinkQuantized first.

// qconvRun is what a prepared QConv keeps for the pass.
type qconvRun struct {
	packed *kern.PackedQConv
	work   *kern.QConvWork
	q      *kern.QuantParams
}

// linkQuantized links the QConv pairs of the plan (see above).
func (p *Program) linkQuantized(preps []*prepared) {
	g := p.Graph
	readers := map[string]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				readers[in]++
			}
		}
	}
	for _, o := range g.Outputs {
		readers[o.Name] += 2
	}
	producer := map[string]int{}
	for i, n := range g.Nodes {
		if preps[i] != nil && preps[i].qconv != nil && len(n.Outputs) > 0 {
			producer[n.Outputs[0]] = i
		}
	}
	for j, n := range g.Nodes {
		c := preps[j]
		if c == nil || c.qconv == nil || len(n.Inputs) == 0 {
			continue
		}
		i, ok := producer[n.Inputs[0]]
		if !ok || readers[n.Inputs[0]] != 1 {
			continue
		}
		a, b := preps[i].qconv, c.qconv
		_, aOut := a.packed.Q8OK()
		bIn, _ := b.packed.Q8OK()
		if !aOut || !bIn || math.Float32bits(a.q.YScale) != math.Float32bits(b.q.XScale) ||
			a.q.YZero != b.q.XZero || a.q.YLo < b.q.XLo || a.q.YHi > b.q.XHi {
			continue
		}
		in, _ := a.work.Q8()
		a.work.SetQ8(in, true)
		_, out := b.work.Q8()
		b.work.SetQ8(true, out)
		p.linked = append(p.linked, a, b)
	}
}

// UnlinkQuantized makes every QConv read and write float32 tensors again
// (see above): for a backend that runs some of the plan's steps itself.
func (p *Program) UnlinkQuantized() {
	for _, r := range p.linked {
		r.work.SetQ8(false, false)
	}
	p.linked = nil
}

// QuantizedLinks is the number of QConv pairs passing bytes.
func (p *Program) QuantizedLinks() int { return len(p.linked) / 2 }
