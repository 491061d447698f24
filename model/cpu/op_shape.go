package cpu

import (
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepReshape, "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")
	register(prepTranspose, "Transpose")
	register(prepConcat, "Concat")
	register(prepSlice, "Slice")
	register(prepGather, "Gather")
	register(prepShape, "Shape", "Size")
	register(prepConstant, "Constant")
	register(prepConstantOfShape, "ConstantOfShape")
	register(prepExpand, "Expand")
	register(prepCast, "Cast")
	register(prepSplit, "Split")
	register(prepRange, "Range")
	register(prepTile, "Tile")
}

// intsInput reads an int64 input (or legacy attribute) that decides a shape.
func intsInput(c *ctx, n *graph.Node, in []*Value, i int, attr string, minOpset int64) ([]int64, bool, error) {
	if c.opset < minOpset || (attr != "" && n.Has(attr)) {
		v := n.Ints(attr)
		return v, v != nil, nil
	}
	if i >= len(in) || in[i] == nil {
		return nil, false, nil
	}
	t, err := needConst(n, in, i, attr)
	if err != nil {
		return nil, false, err
	}
	return t.AsInts(), true, nil
}

// prepReshape handles the ops that only reinterpret a shape; their output
// shares the input's buffer.
func prepReshape(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	var out []int
	switch n.Op {
	case "Identity", "Dropout":
		out = copyShape(x.Shape)
		if n.Op == "Dropout" && len(in) > 2 && in[2] != nil {
			tm, err := needConst(n, in, 2, "training_mode")
			if err != nil {
				return nil, err
			}
			ratio := float32(0.5)
			if in[1] != nil {
				rt, err := needConst(n, in, 1, "ratio")
				if err != nil {
					return nil, err
				}
				ratio = rt.AsFloats()[0]
			}
			if tm.AsInts()[0] != 0 && ratio != 0 {
				return nil, fmt.Errorf("%s: training-mode Dropout (random masking) is not supported", n.Label())
			}
		}
		if n.Op == "Dropout" && len(n.Outputs) > 1 && n.Outputs[1] != "" {
			mask := Value{DType: graph.Bool, Shape: copyShape(x.Shape)}
			return &prepared{outs: []Value{{DType: x.DType, Shape: out}, mask}, alias: true,
				run: func(in, out []*graph.Tensor, _ []float32) error {
					for i := range out[1].B {
						out[1].B[i] = true
					}
					return nil
				}}, nil
		}
	case "Reshape":
		spec, ok, err := intsInput(c, n, in, 1, "shape", 5)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s: missing shape", n.Label())
		}
		allowZero := n.Int("allowzero", 0) == 1
		if len(spec) > graph.MaxRank {
			return nil, fmt.Errorf("%s: shape has %d dimensions; at most %d are supported", n.Label(), len(spec), graph.MaxRank)
		}
		out = make([]int, len(spec))
		infer := -1
		for i, d := range spec {
			switch {
			case d == -1:
				if infer >= 0 {
					return nil, fmt.Errorf("%s: shape %v has two -1", n.Label(), spec)
				}
				infer = i
				out[i] = 1 // for the product of the known dimensions
			case d == 0 && !allowZero:
				if i >= len(x.Shape) {
					return nil, fmt.Errorf("%s: shape %v copies a dimension the input %v lacks", n.Label(), spec, x.Shape)
				}
				out[i] = x.Shape[i]
			case d < 0 || d > graph.MaxElems:
				return nil, fmt.Errorf("%s: bad shape %v", n.Label(), spec)
			default:
				out[i] = int(d)
			}
		}
		// The product of the known dimensions, checked: one that wraps
		// around to the input's count must not pass.
		known, err := checkShape(n, "target", out)
		if err != nil {
			return nil, err
		}
		total := graph.NumElems(x.Shape)
		if infer >= 0 {
			if known == 0 || total%known != 0 {
				return nil, fmt.Errorf("%s: cannot reshape %v to %v", n.Label(), x.Shape, spec)
			}
			out[infer] = total / known
		}
		if graph.NumElems(out) != total {
			return nil, fmt.Errorf("%s: cannot reshape %v (%d values) to %v", n.Label(), x.Shape, total, out)
		}
	case "Flatten":
		// axis is in [-r, r]: a negative one counts from the end of the input's rank.
		axis := n.Int("axis", 1)
		if axis < 0 {
			axis += int64(len(x.Shape))
		}
		if axis < 0 || axis > int64(len(x.Shape)) {
			return nil, fmt.Errorf("%s: axis %d out of range for rank %d", n.Label(), n.Int("axis", 1), len(x.Shape))
		}
		out = []int{graph.NumElems(x.Shape[:axis]), graph.NumElems(x.Shape[axis:])}
	case "Squeeze":
		axes, _, err := intsInput(c, n, in, 1, "axes", 13)
		if err != nil {
			return nil, err
		}
		drop := map[int]bool{}
		for _, a := range axes {
			ax, err := normAxis(n, a, len(x.Shape))
			if err != nil {
				return nil, err
			}
			if x.Shape[ax] != 1 {
				return nil, fmt.Errorf("%s: cannot squeeze axis %d of %v", n.Label(), ax, x.Shape)
			}
			drop[ax] = true
		}
		out = []int{}
		for i, d := range x.Shape {
			if drop[i] || (axes == nil && d == 1) {
				continue
			}
			out = append(out, d)
		}
	case "Unsqueeze":
		axes, ok, err := intsInput(c, n, in, 1, "axes", 13)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s: missing axes", n.Label())
		}
		rank := len(x.Shape) + len(axes)
		ins := map[int]bool{}
		for _, a := range axes {
			ax, err := normAxis(n, a, rank)
			if err != nil {
				return nil, err
			}
			if ins[ax] {
				return nil, fmt.Errorf("%s: repeated axis %d", n.Label(), ax)
			}
			ins[ax] = true
		}
		out = make([]int, 0, rank)
		j := 0
		for i := 0; i < rank; i++ {
			if ins[i] {
				out = append(out, 1)
			} else {
				out = append(out, x.Shape[j])
				j++
			}
		}
	}
	return &prepared{outs: []Value{{DType: x.DType, Shape: out}}, alias: true}, nil
}

// copyRange copies n elements of src from sOff into dst at dOff (same type).
func copyRange(dst *graph.Tensor, dOff int, src *graph.Tensor, sOff, n int) {
	switch src.DType {
	case graph.Float32:
		copy(dst.F[dOff:dOff+n], src.F[sOff:sOff+n])
	case graph.Int64:
		copy(dst.I[dOff:dOff+n], src.I[sOff:sOff+n])
	case graph.Bool:
		copy(dst.B[dOff:dOff+n], src.B[sOff:sOff+n])
	}
}

// gather copies elements of src into dst: dst is src permuted or sliced,
// described by per-dst-dim source strides and a base offset.
func gatherCopy(dt graph.DType, dst, src *graph.Tensor, shape, sstride []int, base int) {
	rank := len(shape)
	total := graph.NumElems(shape)
	if total == 0 {
		return
	}
	var cnt [16]int
	off := base
	inner := 1
	innerStride := 1
	if rank > 0 {
		inner = shape[rank-1]
		innerStride = sstride[rank-1]
	}
	for o := 0; o < total; o += inner {
		switch dt {
		case graph.Float32:
			d := dst.F[o : o+inner]
			if innerStride == 1 {
				copy(d, src.F[off:off+inner])
			} else {
				for i := range d {
					d[i] = src.F[off+i*innerStride]
				}
			}
		case graph.Int64:
			for i := 0; i < inner; i++ {
				dst.I[o+i] = src.I[off+i*innerStride]
			}
		case graph.Bool:
			for i := 0; i < inner; i++ {
				dst.B[o+i] = src.B[off+i*innerStride]
			}
		}
		for d := rank - 2; d >= 0; d-- {
			cnt[d]++
			off += sstride[d]
			if cnt[d] < shape[d] {
				break
			}
			off -= sstride[d] * cnt[d]
			cnt[d] = 0
		}
	}
}

func prepTranspose(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	perm := n.Ints("perm")
	if perm == nil {
		for i := rank - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != rank {
		return nil, fmt.Errorf("%s: perm %v for rank %d", n.Label(), perm, rank)
	}
	st := strides(x.Shape)
	out := make([]int, rank)
	sstr := make([]int, rank)
	seen := map[int64]bool{}
	for i, p := range perm {
		if p < 0 || int(p) >= rank || seen[p] {
			return nil, fmt.Errorf("%s: bad perm %v", n.Label(), perm)
		}
		seen[p] = true
		out[i] = x.Shape[p]
		sstr[i] = st[p]
	}
	cs, cst := coalesceDims(out, sstr) // simd3: longer contiguous runs
	return one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		gatherCopy(x.DType, o[0], in[0], cs, cst, 0)
		return nil
	}), nil
}

// coalesceDims merges the dims of a gather (dst shape, per-dim source
// strides) that the source walks contiguously: dim d joins d+1 when
// stride[d] == stride[d+1]*shape[d+1], and dims of size 1 go, so that
// gatherCopy's innermost runs (copy() when stride 1) are as long as they
// can be: a channel Slice or a channel shuffle's Transpose copies whole
// planes rather than rows. (simd3)
func coalesceDims(shape, stride []int) ([]int, []int) {
	var cs, cst []int
	for d := range shape {
		if shape[d] == 1 {
			continue
		}
		if k := len(cs) - 1; k >= 0 && cst[k] == stride[d]*shape[d] {
			cs[k] *= shape[d]
			cst[k] = stride[d]
			continue
		}
		cs = append(cs, shape[d])
		cst = append(cst, stride[d])
	}
	if len(cs) == 0 && graph.NumElems(shape) > 0 {
		return []int{1}, []int{1}
	}
	return cs, cst
}

func prepConcat(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	axis, err := normAxis(n, n.Int("axis", 0), rank)
	if err != nil {
		return nil, err
	}
	out := copyShape(x.Shape)
	out[axis] = 0
	for _, v := range in {
		if v == nil || len(v.Shape) != rank || v.DType != x.DType {
			return nil, fmt.Errorf("%s: inputs differ in rank or type", n.Label())
		}
		for d := 0; d < rank; d++ {
			if d != axis && v.Shape[d] != x.Shape[d] {
				return nil, fmt.Errorf("%s: input shapes %v and %v differ off axis %d", n.Label(), x.Shape, v.Shape, axis)
			}
		}
		out[axis] += v.Shape[axis]
	}
	outer := graph.NumElems(out[:axis])
	innerOut := graph.NumElems(out[axis:])
	return one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		at := 0
		for _, t := range in {
			chunk := graph.NumElems(t.Shape[axis:])
			for b := 0; b < outer; b++ {
				dst := b*innerOut + at
				src := b * chunk
				copyRange(o[0], dst, t, src, chunk)
			}
			at += chunk
		}
		return nil
	}), nil
}

func prepSlice(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	var starts, ends, axes, steps []int64
	if c.opset < 10 {
		starts, ends, axes = n.Ints("starts"), n.Ints("ends"), n.Ints("axes")
	} else {
		var err error
		get := func(i int, what string) []int64 {
			if err != nil || i >= len(in) || in[i] == nil {
				return nil
			}
			var t *graph.Tensor
			t, err = needConst(n, in, i, what)
			if t == nil {
				return nil
			}
			return t.AsInts()
		}
		starts, ends, axes, steps = get(1, "starts"), get(2, "ends"), get(3, "axes"), get(4, "steps")
		if err != nil {
			return nil, err
		}
	}
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("%s: starts and ends differ in length", n.Label())
	}
	out := copyShape(x.Shape)
	st := strides(x.Shape)
	sstr := copyShape(st)
	base := 0
	for i := range starts {
		ax := i
		if axes != nil {
			var err error
			if ax, err = normAxis(n, axes[i], rank); err != nil {
				return nil, err
			}
		}
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, fmt.Errorf("%s: step 0", n.Label())
		}
		dim := int64(x.Shape[ax])
		s, e := starts[i], ends[i]
		if s < 0 {
			s += dim
		}
		if e < 0 {
			e += dim
		}
		// Counted without overflow for any step (-step of MinInt64 is
		// itself, and (s-e-1)/MinInt64 is 0: one element).
		var count int64
		if step > 0 {
			s = min(max(s, 0), dim)
			e = min(max(e, 0), dim)
			if e > s {
				count = (e-s-1)/step + 1
			}
		} else {
			s = min(max(s, -1), dim-1)
			e = min(max(e, -1), dim-1)
			if s > e {
				count = (s-e-1)/-step + 1
			}
		}
		if count < 2 {
			step = 1 // one element or none: the step is never taken
		}
		out[ax] = int(count)
		base += int(s) * st[ax]
		sstr[ax] = st[ax] * int(step)
		if count == 0 {
			base = 0
		}
	}
	cs, cst := coalesceDims(out, sstr) // simd3: longer contiguous runs
	pr := one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		gatherCopy(x.DType, o[0], in[0], cs, cst, base)
		return nil
	})
	pr.params = SliceParams{Base: base, Strides: sstr}
	return pr, nil
}

func prepGather(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, idx := in[0], in[1]
	if idx.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: indices must be integers", n.Label())
	}
	axis, err := normAxis(n, n.Int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	out := append(append(copyShape(x.Shape[:axis]), idx.Shape...), x.Shape[axis+1:]...)
	outer := graph.NumElems(x.Shape[:axis])
	inner := graph.NumElems(x.Shape[axis+1:])
	dim := x.Shape[axis]
	return one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		ids := in[1].I
		for b := 0; b < outer; b++ {
			for k, id := range ids {
				if id < 0 {
					id += int64(dim)
				}
				if id < 0 || id >= int64(dim) {
					return fmt.Errorf("index %d out of range for dimension %d", ids[k], dim)
				}
				src := (b*dim + int(id)) * inner
				dst := (b*len(ids) + k) * inner
				copyRange(o[0], dst, in[0], src, inner)
			}
		}
		return nil
	}), nil
}

// prepShape answers Shape and Size at compile time: shapes are static.
func prepShape(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	shape := in[0].Shape
	if n.Op == "Size" {
		t := graph.Ints([]int{}, []int64{int64(graph.NumElems(shape))})
		return &prepared{outs: []Value{{DType: graph.Int64, Shape: t.Shape, Const: t}}}, nil
	}
	rank := int64(len(shape))
	start, end := n.Int("start", 0), n.Int("end", rank)
	if start < 0 {
		start += rank
	}
	if end < 0 {
		end += rank
	}
	start, end = min(max(start, 0), rank), min(max(end, 0), rank)
	vals := []int64{}
	for i := start; i < end; i++ {
		vals = append(vals, int64(shape[i]))
	}
	t := graph.Ints([]int{len(vals)}, vals)
	return &prepared{outs: []Value{{DType: graph.Int64, Shape: t.Shape, Const: t}}}, nil
}

func prepConstant(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	var t *graph.Tensor
	switch {
	case n.Has("value"):
		v, ok := n.Attrs["value"].(*graph.Tensor)
		if !ok {
			return nil, fmt.Errorf("%s: value is not a supported tensor", n.Label())
		}
		t = v
	case n.Has("value_float"):
		t = graph.Floats([]int{}, []float32{n.Float("value_float", 0)})
	case n.Has("value_floats"):
		f := n.Floats("value_floats")
		t = graph.Floats([]int{len(f)}, f)
	case n.Has("value_int"):
		t = graph.Ints([]int{}, []int64{n.Int("value_int", 0)})
	case n.Has("value_ints"):
		v := n.Ints("value_ints")
		t = graph.Ints([]int{len(v)}, v)
	default:
		return nil, fmt.Errorf("%s: no supported value attribute", n.Label())
	}
	return &prepared{outs: []Value{{DType: t.DType, Shape: t.Shape, Const: t}}}, nil
}

func prepConstantOfShape(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	st, err := needConst(n, in, 0, "shape")
	if err != nil {
		return nil, err
	}
	shape, err := graph.Dims(st.AsInts())
	if err != nil {
		return nil, fmt.Errorf("%s: %v", n.Label(), err)
	}
	fill := graph.Floats([]int{1}, []float32{0})
	if v, ok := n.Attrs["value"].(*graph.Tensor); ok {
		fill = v
	}
	if fill.Len() < 1 || len(fill.F)+len(fill.I)+len(fill.B) < 1 {
		return nil, fmt.Errorf("%s: value holds no element", n.Label())
	}
	var f float32
	var i64 int64
	var b bool
	switch fill.DType {
	case graph.Float32:
		f = fill.F[0]
	case graph.Int64:
		i64 = fill.I[0]
	case graph.Bool:
		b = fill.B[0]
	default:
		return nil, fmt.Errorf("%s: value of type %s is not supported", n.Label(), fill.DType)
	}
	// A kernel, not a constant made here: the builder folds it once its
	// size has passed the budget, and a large one fills at run time.
	return one(fill.DType, shape, func(in, o []*graph.Tensor, _ []float32) error {
		t := o[0]
		switch t.DType {
		case graph.Float32:
			for i := range t.F {
				t.F[i] = f
			}
		case graph.Int64:
			for i := range t.I {
				t.I[i] = i64
			}
		case graph.Bool:
			for i := range t.B {
				t.B[i] = b
			}
		}
		return nil
	}), nil
}

func prepExpand(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	st, err := needConst(n, in, 1, "shape")
	if err != nil {
		return nil, err
	}
	want, err := graph.Dims(st.AsInts())
	if err != nil {
		return nil, fmt.Errorf("%s: %v", n.Label(), err)
	}
	out, err := broadcastShape(n, x.Shape, want)
	if err != nil {
		return nil, err
	}
	if err := c.checkOut(n, 0, x.DType, out); err != nil {
		return nil, err
	}
	bc := newBcast(out, x.Shape)
	return one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		for it := bc.start(); it.more(); it.next() {
			at, off := it.o, it.off[:]
			for i := 0; i < bc.inner; i++ {
				j := off[0] + i*bc.istep[0]
				switch x.DType {
				case graph.Float32:
					o[0].F[at+i] = in[0].F[j]
				case graph.Int64:
					o[0].I[at+i] = in[0].I[j]
				case graph.Bool:
					o[0].B[at+i] = in[0].B[j]
				}
			}
		}
		return nil
	}), nil
}

func prepCast(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	elem := n.Int("to", 0)
	to := graph.ElemDType(elem)
	if to == graph.Undefined {
		return nil, fmt.Errorf("%s: cast to element type %d is not supported", n.Label(), elem)
	}
	// The engine holds float16/bfloat16 as float32 and narrow integers as
	// int64: the cast rounds or wraps values to what the type can hold.
	round := func(f float32) float32 { return f }
	switch elem {
	case 10:
		round = graph.RoundFloat16
	case 16:
		round = graph.RoundBFloat16
	}
	return one(to, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0], o[0]
		for i := 0; i < dst.Len(); i++ {
			var f float64
			switch src.DType {
			case graph.Float32:
				f = float64(src.F[i])
			case graph.Int64:
				f = float64(src.I[i])
			case graph.Bool:
				if src.B[i] {
					f = 1
				}
			}
			switch to {
			case graph.Float32:
				if src.DType == graph.Float32 {
					dst.F[i] = round(src.F[i])
				} else {
					dst.F[i] = round(float32(f))
				}
			case graph.Int64:
				if src.DType == graph.Int64 {
					dst.I[i] = graph.WrapInt(elem, src.I[i])
				} else if math.IsNaN(f) {
					dst.I[i] = math.MinInt64
				} else {
					dst.I[i] = graph.WrapInt(elem, int64(f))
				}
			case graph.Bool:
				dst.B[i] = f != 0
			}
		}
		return nil
	}), nil
}

func prepSplit(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axis, err := normAxis(n, n.Int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	sizes, _, err := intsInput(c, n, in, 1, "split", 13)
	if err != nil {
		return nil, err
	}
	k := len(n.Outputs)
	dim := x.Shape[axis]
	if sizes == nil {
		parts := k
		if no := n.Int("num_outputs", 0); no > 0 && no != int64(k) {
			return nil, fmt.Errorf("%s: num_outputs %d for %d outputs", n.Label(), no, k)
		}
		if parts < 1 {
			return nil, fmt.Errorf("%s: has no outputs", n.Label())
		}
		chunk := (dim + parts - 1) / parts
		for i := 0; i < parts; i++ {
			sizes = append(sizes, int64(min(chunk, dim-i*chunk)))
		}
	}
	if len(sizes) != k {
		return nil, fmt.Errorf("%s: %d split sizes for %d outputs", n.Label(), len(sizes), k)
	}
	total := int64(0)
	pr := &prepared{}
	for _, s := range sizes {
		if s < 0 || s > int64(dim) {
			return nil, fmt.Errorf("%s: split size %d for an axis of %d", n.Label(), s, dim)
		}
		total += s
		sh := copyShape(x.Shape)
		sh[axis] = int(s)
		pr.outs = append(pr.outs, Value{DType: x.DType, Shape: sh})
	}
	if total != int64(dim) {
		return nil, fmt.Errorf("%s: split sizes %v do not add up to %d", n.Label(), sizes, dim)
	}
	st := strides(x.Shape)
	pr.run = func(in, o []*graph.Tensor, _ []float32) error {
		at := 0
		for i, t := range o {
			if t != nil {
				gatherCopy(x.DType, t, in[0], pr.outs[i].Shape, st, at*st[axis])
			}
			at += int(sizes[i])
		}
		return nil
	}
	return pr, nil
}

func prepRange(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 3); err != nil {
		return nil, err
	}
	var v [3]*graph.Tensor
	for i := range v {
		t, err := needConst(n, in, i, "range bound")
		if err != nil {
			return nil, err
		}
		if t.Len() != 1 || t.DType != in[0].Const.DType {
			return nil, fmt.Errorf("%s: start, limit and delta must be scalars of one type", n.Label())
		}
		v[i] = t
	}
	// The count is computed (and checked) here, the values by a kernel
	// that the builder folds once the count has passed the budget.
	if v[0].DType == graph.Int64 {
		s, l, d := v[0].I[0], v[1].I[0], v[2].I[0]
		if d == 0 {
			return nil, fmt.Errorf("%s: delta 0", n.Label())
		}
		// ceil((l-s)/d) without overflow: the distance as an unsigned number.
		var cnt uint64
		switch {
		case d > 0 && l > s:
			cnt = (uint64(l)-uint64(s)-1)/uint64(d) + 1
		case d < 0 && l < s:
			cnt = (uint64(s)-uint64(l)-1)/(-uint64(d)) + 1 // -uint64(d) is |d|, MinInt64 too
		}
		if cnt > graph.MaxElems {
			return nil, fmt.Errorf("%s: range [%d, %d) by %d has %d elements, more than the engine's limit %d", n.Label(), s, l, d, cnt, graph.MaxElems)
		}
		return one(graph.Int64, []int{int(cnt)}, func(in, o []*graph.Tensor, _ []float32) error {
			for i := range o[0].I {
				o[0].I[i] = s + int64(i)*d
			}
			return nil
		}), nil
	}
	if v[0].DType != graph.Float32 {
		return nil, fmt.Errorf("%s: %s bounds are not supported", n.Label(), v[0].DType)
	}
	s, l, d := v[0].F[0], v[1].F[0], v[2].F[0]
	if d == 0 {
		return nil, fmt.Errorf("%s: delta 0", n.Label())
	}
	cnt, err := graph.CheckDimFloat("element count", max(0, math.Ceil(float64(l-s)/float64(d))), 0)
	if err != nil {
		return nil, fmt.Errorf("%s: range [%g, %g) by %g: %v", n.Label(), s, l, d, err)
	}
	return one(graph.Float32, []int{cnt}, func(in, o []*graph.Tensor, _ []float32) error {
		for i := range o[0].F {
			o[0].F[i] = s + float32(i)*d
		}
		return nil
	}), nil
}

func prepTile(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	rt, err := needConst(n, in, 1, "repeats")
	if err != nil {
		return nil, err
	}
	reps := rt.AsInts()
	if len(reps) != len(x.Shape) {
		return nil, fmt.Errorf("%s: %d repeats for rank %d", n.Label(), len(reps), len(x.Shape))
	}
	out := make([]int, len(x.Shape))
	for i := range out {
		r, err := graph.CheckDim("repeat count", reps[i], 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", n.Label(), err)
		}
		out[i] = x.Shape[i] * r // both at most 2³¹: no overflow
	}
	if err := c.checkOut(n, 0, x.DType, out); err != nil {
		return nil, err
	}
	st := strides(x.Shape)
	ost := strides(out)
	return one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		total := graph.NumElems(out)
		for i := 0; i < total; i++ {
			src := 0
			for d := range out {
				src += ((i / ost[d]) % out[d] % x.Shape[d]) * st[d]
			}
			switch x.DType {
			case graph.Float32:
				o[0].F[i] = in[0].F[src]
			case graph.Int64:
				o[0].I[i] = in[0].I[src]
			case graph.Bool:
				o[0].B[i] = in[0].B[src]
			}
		}
		return nil
	}), nil
}
