package cpu

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepEinsum, "Einsum")
}

// einsumPlan is a parsed Einsum equation bound to input shapes. Every
// letter, and every dimension the ellipsis covers, is a label with one
// extent; each input reaches a label through a stride (the sum of its
// axes' strides for a repeated label, 0 where the label is absent or the
// axis broadcasts).
type einsumPlan struct {
	ext  []int   // extent of each label
	out  []int   // the output's labels, in order
	red  []int   // the labels summed over
	istr [][]int // per input, per label: stride
	// seq lists each input's labels axis by axis; rep is set when some
	// input repeats a label (a diagonal) and bcast when an axis of size 1
	// stands for a larger extent.
	seq        [][]int
	rep, bcast bool
}

const einsumEllipsis = -1

// parseEinsum reads an equation such as "bhid,bhjd->bhij", "...ij,...jk" or
// "ii->i" for inputs of the given shapes. Without "->" the output is the
// ellipsis dimensions followed by the letters that occur exactly once, in
// alphabetical (ASCII) order, as in numpy.
func parseEinsum(eq string, shapes [][]int) (*einsumPlan, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	terms := strings.Split(lhs, ",")
	if len(terms) != len(shapes) {
		return nil, fmt.Errorf("equation %q has %d operands for %d inputs", eq, len(terms), len(shapes))
	}
	tokens := func(term string) ([]int, bool, error) {
		var t []int
		ell := false
		for i := 0; i < len(term); i++ {
			ch := term[i]
			switch {
			case ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
				t = append(t, int(ch))
			case ch == '.':
				if !strings.HasPrefix(term[i:], "...") || ell {
					return nil, false, fmt.Errorf("equation %q: a misplaced '.' in %q", eq, term)
				}
				ell = true
				t = append(t, einsumEllipsis)
				i += 2
			default:
				return nil, false, fmt.Errorf("equation %q: unexpected %q in %q", eq, ch, term)
			}
		}
		return t, ell, nil
	}
	toks := make([][]int, len(terms))
	ellDims := make([]int, len(terms))
	E := 0
	for j, term := range terms {
		t, ell, err := tokens(term)
		if err != nil {
			return nil, err
		}
		toks[j] = t
		letters := len(t)
		if ell {
			letters--
		}
		r := len(shapes[j])
		switch {
		case ell && r < letters:
			return nil, fmt.Errorf("equation %q: operand %d %q needs rank >= %d, has shape %v", eq, j, term, letters, shapes[j])
		case !ell && r != letters:
			return nil, fmt.Errorf("equation %q: operand %d %q needs rank %d, has shape %v", eq, j, term, letters, shapes[j])
		}
		ellDims[j] = r - letters
		E = max(E, ellDims[j])
	}
	p := &einsumPlan{}
	ids := map[int]int{} // letter -> label
	label := func(ch int) int {
		if id, ok := ids[ch]; ok {
			return id
		}
		ids[ch] = len(p.ext)
		p.ext = append(p.ext, -1)
		return ids[ch]
	}
	ellLabels := make([]int, E)
	for i := range ellLabels {
		ellLabels[i] = len(p.ext)
		p.ext = append(p.ext, -1)
	}
	count := map[int]int{}
	p.seq = make([][]int, len(terms))
	for j, t := range toks {
		for _, ch := range t {
			if ch == einsumEllipsis {
				p.seq[j] = append(p.seq[j], ellLabels[E-ellDims[j]:]...)
				continue
			}
			count[ch]++
			p.seq[j] = append(p.seq[j], label(ch))
		}
	}
	for j, seq := range p.seq {
		seen := map[int]bool{}
		for d, l := range seq {
			s := shapes[j][d]
			switch {
			case p.ext[l] < 0 || p.ext[l] == 1:
				if p.ext[l] == 1 && s != 1 {
					p.bcast = true
				}
				p.ext[l] = s
			case s == 1:
				p.bcast = p.bcast || p.ext[l] != 1
			case s != p.ext[l]:
				return nil, fmt.Errorf("equation %q: a label spans sizes %d and %d (shapes %v)", eq, p.ext[l], s, shapes)
			}
			p.rep = p.rep || seen[l]
			seen[l] = true
		}
	}
	for l := range p.ext {
		if p.ext[l] < 0 {
			p.ext[l] = 1 // an ellipsis dimension no operand has
		}
	}
	p.istr = make([][]int, len(terms))
	for j, seq := range p.seq {
		p.istr[j] = make([]int, len(p.ext))
		st := strides(shapes[j])
		for d, l := range seq {
			if shapes[j][d] == p.ext[l] {
				p.istr[j][l] += st[d]
			}
		}
	}
	inOut := make([]bool, len(p.ext))
	if explicit {
		t, _, err := tokens(rhs)
		if err != nil {
			return nil, err
		}
		for _, ch := range t {
			if ch == einsumEllipsis {
				for _, l := range ellLabels {
					p.out = append(p.out, l)
					inOut[l] = true
				}
				continue
			}
			l, ok := ids[ch]
			if !ok {
				return nil, fmt.Errorf("equation %q: output label %q is in no operand", eq, rune(ch))
			}
			if inOut[l] {
				return nil, fmt.Errorf("equation %q: output label %q repeats", eq, rune(ch))
			}
			p.out = append(p.out, l)
			inOut[l] = true
		}
	} else {
		for _, l := range ellLabels {
			p.out = append(p.out, l)
			inOut[l] = true
		}
		var once []int
		for ch, c := range count {
			if c == 1 {
				once = append(once, ch)
			}
		}
		sort.Ints(once)
		for _, ch := range once {
			p.out = append(p.out, ids[ch])
			inOut[ids[ch]] = true
		}
	}
	for l := range p.ext {
		if !inOut[l] {
			p.red = append(p.red, l)
		}
	}
	return p, nil
}

// prepEinsum runs Einsum by a general loop over all labels, or, for two
// float operands that are a batched matrix product (every label is a batch,
// row, column or contracted label, with no diagonals or broadcasting), as
// GEMMs over operands brought into [batch, M, K]·[batch, K, N] order.
func prepEinsum(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("%s: needs inputs", n.Label())
	}
	shapes := make([][]int, len(in))
	dt := graph.Undefined
	for j, v := range in {
		if v == nil {
			return nil, fmt.Errorf("%s: input %d is absent", n.Label(), j)
		}
		if v.DType != graph.Float32 && v.DType != graph.Int64 {
			return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), v.DType)
		}
		if dt != graph.Undefined && v.DType != dt {
			return nil, fmt.Errorf("%s: inputs of types %s and %s", n.Label(), dt, v.DType)
		}
		dt = v.DType
		shapes[j] = v.Shape
	}
	eq := n.String("equation", "")
	if eq == "" {
		return nil, fmt.Errorf("%s: missing equation", n.Label())
	}
	p, err := parseEinsum(eq, shapes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", n.Label(), err)
	}
	out := make([]int, len(p.out))
	for i, l := range p.out {
		out[i] = p.ext[l]
	}
	if err := c.checkOut(n, 0, dt, out); err != nil {
		return nil, err
	}
	// The work: every combination of the labels' values, once per operand.
	flops := float64(len(in))
	for _, l := range p.out {
		flops *= float64(p.ext[l])
	}
	for _, l := range p.red {
		flops *= float64(p.ext[l])
	}
	if dt == graph.Float32 && len(in) == 2 {
		if pr := einsumGemm(p, out); pr != nil {
			pr.flops = flops
			return pr, nil
		}
	}
	pr := one(dt, out, einsumLoop(p, dt, len(in)))
	pr.flops = flops
	return pr, nil
}

// einsumLoop is the general kernel: for every output element, the sum over
// the reduced labels of the product of the inputs.
func einsumLoop(p *einsumPlan, dt graph.DType, nin int) Kernel {
	totalO, totalR := 1, 1
	for _, l := range p.out {
		totalO *= p.ext[l]
	}
	for _, l := range p.red {
		totalR *= p.ext[l]
	}
	// Per loop position (output labels, then reduced labels): each input's stride.
	step := func(ls []int) [][]int {
		s := make([][]int, len(ls))
		for d, l := range ls {
			s[d] = make([]int, nin)
			for j := 0; j < nin; j++ {
				s[d][j] = p.istr[j][l]
			}
		}
		return s
	}
	ostep, rstep := step(p.out), step(p.red)
	oext, rext := make([]int, len(p.out)), make([]int, len(p.red))
	for d, l := range p.out {
		oext[d] = p.ext[l]
	}
	for d, l := range p.red {
		rext[d] = p.ext[l]
	}
	// Counters live with the kernel: a program runs one step at a time.
	offs, oc, rc := make([]int, nin), make([]int, len(oext)), make([]int, len(rext))
	advance := func(cnt, ext []int, st [][]int) {
		for d := len(cnt) - 1; d >= 0; d-- {
			cnt[d]++
			for j, s := range st[d] {
				offs[j] += s
			}
			if cnt[d] < ext[d] {
				return
			}
			for j, s := range st[d] {
				offs[j] -= s * cnt[d]
			}
			cnt[d] = 0
		}
	}
	return func(in, o []*graph.Tensor, _ []float32) error {
		clear(offs)
		clear(oc)
		clear(rc)
		for oi := 0; oi < totalO; oi++ {
			if dt == graph.Float32 {
				acc := 0.0
				for ri := 0; ri < totalR; ri++ {
					prod := 1.0
					for j, off := range offs {
						prod *= float64(in[j].F[off])
					}
					acc += prod
					advance(rc, rext, rstep)
				}
				o[0].F[oi] = float32(acc)
			} else {
				var acc int64
				for ri := 0; ri < totalR; ri++ {
					prod := int64(1)
					for j, off := range offs {
						prod *= in[j].I[off]
					}
					acc += prod
					advance(rc, rext, rstep)
				}
				o[0].I[oi] = acc
			}
			advance(oc, oext, ostep)
		}
		return nil
	}
}

// einsumGemm prepares a two-operand Einsum as batched GEMMs, or returns nil
// when the equation is not a plain (batched) matrix product.
func einsumGemm(p *einsumPlan, outShape []int) *prepared {
	if p.rep || p.bcast {
		return nil
	}
	in := func(j, l int) bool {
		for _, x := range p.seq[j] {
			if x == l {
				return true
			}
		}
		return false
	}
	var batch, ms, ns, ks []int
	inOut := map[int]bool{}
	for _, l := range p.out {
		inOut[l] = true
		a, b := in(0, l), in(1, l)
		switch {
		case a && b:
			batch = append(batch, l)
		case a:
			ms = append(ms, l)
		default:
			ns = append(ns, l)
		}
	}
	for _, l := range p.seq[0] {
		if !inOut[l] {
			if !in(1, l) {
				return nil // summed within A alone
			}
			ks = append(ks, l)
		}
	}
	for _, l := range p.seq[1] {
		if !inOut[l] && !in(0, l) {
			return nil // summed within B alone
		}
	}
	prod := func(ls []int) int {
		s := 1
		for _, l := range ls {
			s *= p.ext[l]
		}
		return s
	}
	nb, M, N, K := prod(batch), prod(ms), prod(ns), prod(ks)
	cat := func(parts ...[]int) []int {
		var s []int
		for _, q := range parts {
			s = append(s, q...)
		}
		return s
	}
	// An operand is used in place when its axes already are [batch, rows,
	// cols] in either matrix orientation; otherwise it is copied into that
	// order in scratch.
	type operand struct {
		copyTo  int // scratch offset, or -1 in place
		trans   bool
		ld      int
		shape   []int // the copy's shape and the source strides per axis
		sstride []int
	}
	scratch := 0
	place := func(j int, rows, cols []int, R, C int) operand {
		switch {
		case slices.Equal(p.seq[j], cat(batch, rows, cols)):
			return operand{copyTo: -1, ld: C}
		case slices.Equal(p.seq[j], cat(batch, cols, rows)):
			return operand{copyTo: -1, trans: true, ld: R}
		}
		o := operand{copyTo: scratch, ld: C}
		for _, l := range cat(batch, rows, cols) {
			o.shape = append(o.shape, p.ext[l])
			o.sstride = append(o.sstride, p.istr[j][l])
		}
		scratch += nb * R * C
		return o
	}
	A := place(0, ms, ks, M, K)
	B := place(1, ks, ns, K, N)
	// The product is [batch, M, N]; the output may want another order.
	direct := slices.Equal(p.out, cat(batch, ms, ns))
	cOff := scratch
	var cShape, cStride []int
	if !direct {
		cst := map[int]int{}
		canon := cat(batch, ms, ns)
		shape := make([]int, len(canon))
		for i, l := range canon {
			shape[i] = p.ext[l]
		}
		for i, s := range strides(shape) {
			cst[canon[i]] = s
		}
		for _, l := range p.out {
			cShape = append(cShape, p.ext[l])
			cStride = append(cStride, cst[l])
		}
		scratch += nb * M * N
	}
	maxRank := max(len(A.shape), len(B.shape), len(cShape))
	cnt := make([]int, maxRank)
	pr := one(graph.Float32, outShape, func(in, o []*graph.Tensor, scr []float32) error {
		a, b, y := in[0].F, in[1].F, o[0].F
		if A.copyTo >= 0 {
			a = scr[A.copyTo : A.copyTo+nb*M*K]
			permuteCopy(a, in[0].F, A.shape, A.sstride, cnt)
		}
		if B.copyTo >= 0 {
			b = scr[B.copyTo : B.copyTo+nb*K*N]
			permuteCopy(b, in[1].F, B.shape, B.sstride, cnt)
		}
		if !direct {
			y = scr[cOff : cOff+nb*M*N]
		}
		for q := 0; q < nb; q++ {
			kern.Gemm(A.trans, B.trans, M, N, K, 1, a[q*M*K:], A.ld, b[q*K*N:], B.ld, 0, y[q*M*N:], N)
		}
		if !direct {
			permuteCopy(o[0].F, y, cShape, cStride, cnt)
		}
		return nil
	})
	pr.scratch = scratch
	return pr
}

// permuteCopy fills dst, laid out row-major in shape, from src, whose
// strides along dst's axes are sstride. cnt is a counter of len(shape).
func permuteCopy(dst, src []float32, shape, sstride, cnt []int) {
	rank := len(shape)
	total := graph.NumElems(shape)
	if total == 0 {
		return
	}
	if rank == 0 {
		dst[0] = src[0]
		return
	}
	cnt = cnt[:rank]
	clear(cnt)
	inner, is := shape[rank-1], sstride[rank-1]
	off := 0
	for at := 0; at < total; at += inner {
		d := dst[at : at+inner]
		if is == 1 {
			copy(d, src[off:off+inner])
		} else {
			for i := range d {
				d[i] = src[off+i*is]
			}
		}
		for k := rank - 2; k >= 0; k-- {
			cnt[k]++
			off += sstride[k]
			if cnt[k] < shape[k] {
				break
			}
			off -= sstride[k] * cnt[k]
			cnt[k] = 0
		}
	}
}
