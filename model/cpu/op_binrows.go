package cpu

import (
	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

// binRows describes a float Add/Sub/Mul/Div that kern.BinaryRows runs as
// rows (simd3): the same shapes (one row of everything), or one input
// whole and the other a row repeated — its shape the output's trailing
// dims, after leading 1s ([M,N] op [N]: a transformer's bias or scale).
type binRows struct {
	ok         bool
	op         int // kern.Bin*
	rows, n    int
	aRep, bRep bool
}

func rowBcast(op int, out, a, b []int) binRows {
	var r binRows
	switch op {
	case opAdd:
		r.op = kern.BinAdd
	case opSub:
		r.op = kern.BinSub
	case opMul:
		r.op = kern.BinMul
	case opDiv:
		r.op = kern.BinDiv
	default:
		return r
	}
	total := graph.NumElems(out)
	if total == 0 {
		return r
	}
	// suffix reports whether s, less its leading 1s, is out's trailing dims.
	suffix := func(s []int) bool {
		for len(s) > 0 && s[0] == 1 {
			s = s[1:]
		}
		if len(s) == 0 || len(s) > len(out) {
			return false
		}
		return sameShape(s, out[len(out)-len(s):])
	}
	switch {
	case sameShape(a, out) && sameShape(b, out):
		r.rows, r.n = 1, total
	case sameShape(a, out) && suffix(b):
		r.n, r.bRep = graph.NumElems(b), true
		r.rows = total / r.n
	case sameShape(b, out) && suffix(a):
		r.n, r.aRep = graph.NumElems(a), true
		r.rows = total / r.n
	default:
		return r
	}
	r.ok = true
	return r
}
