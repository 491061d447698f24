// Package opsets is the opset sweep's case table: for every op a vision
// classifier contains and every opset from 7 to 21 at which the op's
// signature or semantics changed, tiny models (one to three nodes, a few
// dozen input values drawn from a seeded generator) built field by field
// with onnxtest.
//
// The same table serves two programs: gen (`make opsets-golden`) writes the
// models and their inputs into .cache/opsets for onnxruntime-node
// (model/cpu/testdata/opsets/ort.mjs), which records its outputs in the
// committed golden file; TestOpsetSweep (model/cpu/opset_test.go) rebuilds
// the same models in memory and compares the CPU backend with that file.
// A case's Hash ties the two: it covers the model bytes and the inputs, so
// a changed case with a stale golden is caught.
package opsets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"sort"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// Case is one model of the sweep.
type Case struct {
	Op      string
	Opset   int64
	Variant string
	Model   onnxtest.Model
	Inputs  []Input // values for the model's inputs, in order
	Outputs []string

	// EngineFails is set for a case the CPU backend legitimately cannot
	// run: a substring of the error it must give (at decode, compile or
	// run time). Why says why the case is out of the engine's scope.
	EngineFails, Why string
	// Bug is set for a case the engine runs but gets wrong, for a reason
	// that is the engine's and not fixed yet: the test checks that it
	// still disagrees with ORT (so that a fix is noticed) and logs Bug.
	Bug string
	// ORTBug is set for a case where ONNX Runtime is wrong: the test checks
	// that the golden file still shows it (so that a fixed ORT is noticed)
	// and compares the engine with the outputs of Like instead, a case of
	// the same op and opset that computes the same thing another way from
	// the same inputs.
	ORTBug, Like string
}

// Name is the case's file stem and subtest name: Op_opset_variant.
func (c *Case) Name() string { return fmt.Sprintf("%s_%d_%s", c.Op, c.Opset, c.Variant) }

// Bytes is the serialized model.
func (c *Case) Bytes() []byte { return c.Model.Bytes() }

// Hash identifies the model, its inputs and whether the engine is expected
// to fail it (the golden file then holds no outputs for it), in 16 hex digits.
func (c *Case) Hash() string {
	h := sha256.New()
	h.Write(c.Bytes())
	if c.EngineFails != "" {
		h.Write([]byte("engine fails"))
	}
	var b [8]byte
	for _, in := range c.Inputs {
		h.Write([]byte(in.Name))
		binary.LittleEndian.PutUint64(b[:], uint64(in.Elem))
		h.Write(b[:])
		for _, d := range in.Dims {
			binary.LittleEndian.PutUint64(b[:], uint64(d))
			h.Write(b[:])
		}
		for _, f := range in.F {
			binary.LittleEndian.PutUint32(b[:4], math.Float32bits(f))
			h.Write(b[:4])
		}
		for _, v := range in.I {
			binary.LittleEndian.PutUint64(b[:], uint64(v))
			h.Write(b[:])
		}
		for _, v := range in.B {
			if v {
				h.Write([]byte{1})
			} else {
				h.Write([]byte{0})
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Input is the value of one model input: float32 (F), int64 (I) or bool (B).
type Input struct {
	Name string
	Elem int64 // onnxtest.Float, Int64 or Bool
	Dims []int64
	F    []float32
	I    []int64
	B    []bool
}

// All returns every case, sorted by name.
func All() []*Case {
	var cs []*Case
	for _, f := range families {
		for _, v := range f.opsets {
			add := func(variant string, build func(b *B)) {
				b := newB(f.op, v, variant)
				build(b)
				cs = append(cs, b.done())
			}
			f.build(v, add)
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Op != b.Op {
			return a.Op < b.Op
		}
		if a.Opset != b.Opset {
			return a.Opset < b.Opset
		}
		return a.Variant < b.Variant
	})
	return cs
}

// A family is an op and the opsets it is built at; build adds the
// variants for one opset.
type family struct {
	op     string
	opsets []int64
	build  func(v int64, add func(variant string, build func(b *B)))
}

var families []family

func fam(op string, opsets []int64, build func(v int64, add func(string, func(*B)))) {
	families = append(families, family{op, opsets, build})
}

// irVersion is the IR version that the opset came with (at least 7).
func irVersion(opset int64) int64 {
	switch {
	case opset >= 21:
		return 10
	case opset >= 19:
		return 9
	case opset >= 15:
		return 8
	}
	return 7
}

// B builds one case.
type B struct {
	c    Case
	v    int64 // opset
	outs map[string]bool
	seed string // the variant whose input values this case takes
}

func newB(op string, opset int64, variant string) *B {
	b := &B{c: Case{Op: op, Opset: opset, Variant: variant}, v: opset, outs: map[string]bool{}, seed: variant}
	b.c.Model.Opset = opset
	b.c.Model.IRVersion = irVersion(opset)
	return b
}

func (b *B) done() *Case {
	c := b.c
	if len(c.Outputs) == 0 {
		panic(c.Name() + ": no outputs")
	}
	return &c
}

// rng is splitmix64, seeded from the op, variant and input names (not the
// opset: a variant built at several opsets gets the same values, so the
// golden file can say "same as" where the outputs agree), so the inputs
// depend on nothing but this file.
type rng struct{ s uint64 }

func (b *B) rng(name string) *rng {
	h := fnv.New64a()
	h.Write([]byte(b.c.Op + "/" + b.seed + "/" + name))
	return &rng{h.Sum64()}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// uniform is in [0, 1).
func (r *rng) uniform() float64 { return float64(r.next()>>11) / (1 << 53) }

// normal is N(0, 1) (Box-Muller).
func (r *rng) normal() float64 {
	u := r.uniform()
	if u < 1e-12 {
		u = 1e-12
	}
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.uniform())
}

func count(dims []int64) int {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	return n
}

func anyDims(dims []int64) []any {
	out := make([]any, len(dims))
	for i, d := range dims {
		out[i] = d
	}
	return out
}

// randF is n float32 values: N(0, 1)·scale + shift.
func (b *B) randF(name string, n int, scale, shift float64) []float32 {
	r := b.rng(name)
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.normal()*scale + shift)
	}
	return v
}

// randU is n float32 values uniform in [lo, hi).
func (b *B) randU(name string, n int, lo, hi float64) []float32 {
	r := b.rng(name)
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.uniform())
	}
	return v
}

// randI is n int64 values uniform in [lo, hi].
func (b *B) randI(name string, n int, lo, hi int64) []int64 {
	r := b.rng(name)
	v := make([]int64, n)
	for i := range v {
		v[i] = lo + int64(r.next()%uint64(hi-lo+1))
	}
	return v
}

// ---- inputs ----

// X is a float32 input of N(0, 1) values.
func (b *B) X(name string, dims ...int64) string {
	return b.XF(name, dims, b.randF(name, count(dims), 1, 0))
}

// XU is a float32 input uniform in [lo, hi).
func (b *B) XU(name string, lo, hi float64, dims ...int64) string {
	return b.XF(name, dims, b.randU(name, count(dims), lo, hi))
}

// XF is a float32 input with the given values.
func (b *B) XF(name string, dims []int64, v []float32) string {
	b.checkLen(name, dims, len(v))
	b.c.Model.Inputs = append(b.c.Model.Inputs, onnxtest.Value{Name: name, Elem: onnxtest.Float, Dims: anyDims(dims)})
	b.c.Inputs = append(b.c.Inputs, Input{Name: name, Elem: onnxtest.Float, Dims: dims, F: v})
	return name
}

// XI is an int64 input with the given values.
func (b *B) XI(name string, dims []int64, v []int64) string {
	b.checkLen(name, dims, len(v))
	b.c.Model.Inputs = append(b.c.Model.Inputs, onnxtest.Value{Name: name, Elem: onnxtest.Int64, Dims: anyDims(dims)})
	b.c.Inputs = append(b.c.Inputs, Input{Name: name, Elem: onnxtest.Int64, Dims: dims, I: v})
	return name
}

// XRI is an int64 input uniform in [lo, hi].
func (b *B) XRI(name string, lo, hi int64, dims ...int64) string {
	return b.XI(name, dims, b.randI(name, count(dims), lo, hi))
}

// XB is a bool input with the given values.
func (b *B) XB(name string, dims []int64, v []bool) string {
	b.checkLen(name, dims, len(v))
	b.c.Model.Inputs = append(b.c.Model.Inputs, onnxtest.Value{Name: name, Elem: onnxtest.Bool, Dims: anyDims(dims)})
	b.c.Inputs = append(b.c.Inputs, Input{Name: name, Elem: onnxtest.Bool, Dims: dims, B: v})
	return name
}

// XRB is a bool input of random values.
func (b *B) XRB(name string, dims ...int64) string {
	iv := b.randI(name, count(dims), 0, 1)
	v := make([]bool, len(iv))
	for i := range iv {
		v[i] = iv[i] == 1
	}
	return b.XB(name, dims, v)
}

func (b *B) checkLen(name string, dims []int64, n int) {
	if count(dims) != n {
		panic(fmt.Sprintf("%s: %s has %d values for dims %v", b.c.Name(), name, n, dims))
	}
}

// ---- initializers ----

// W is a float32 initializer of N(0, 1)·scale values.
func (b *B) W(name string, scale float64, dims ...int64) string {
	return b.CF(name, dims, b.randF(name, count(dims), scale, 0))
}

// WU is a float32 initializer uniform in [lo, hi).
func (b *B) WU(name string, lo, hi float64, dims ...int64) string {
	return b.CF(name, dims, b.randU(name, count(dims), lo, hi))
}

// CF is a float32 initializer (dims nil: a scalar).
func (b *B) CF(name string, dims []int64, v []float32) string {
	b.checkLen(name, dims, len(v))
	return b.CT(onnxtest.Tensor{Name: name, Elem: onnxtest.Float, Dims: dims, Floats: v})
}

// CI is a 1-D int64 initializer.
func (b *B) CI(name string, v ...int64) string {
	return b.CT(onnxtest.Tensor{Name: name, Elem: onnxtest.Int64, Dims: []int64{int64(len(v))}, Ints: v})
}

// CIs is a scalar int64 initializer.
func (b *B) CIs(name string, v int64) string {
	return b.CT(onnxtest.Tensor{Name: name, Elem: onnxtest.Int64, Ints: []int64{v}})
}

// CFs is a scalar float32 initializer.
func (b *B) CFs(name string, v float32) string {
	return b.CT(onnxtest.Tensor{Name: name, Elem: onnxtest.Float, Floats: []float32{v}})
}

// CBs is a scalar bool initializer.
func (b *B) CBs(name string, v bool) string {
	i := int64(0)
	if v {
		i = 1
	}
	return b.CT(onnxtest.Tensor{Name: name, Elem: onnxtest.Bool, Ints: []int64{i}})
}

// CT is an initializer of any type.
func (b *B) CT(t onnxtest.Tensor) string {
	b.c.Model.Initializers = append(b.c.Model.Initializers, t)
	return t.Name
}

// ---- nodes and outputs ----

// N adds a node.
func (b *B) N(op string, ins, outs []string, attrs ...onnxtest.Attr) {
	b.c.Model.Nodes = append(b.c.Model.Nodes, onnxtest.Node{Op: op, Name: fmt.Sprintf("n%d_%s", len(b.c.Model.Nodes), op),
		Inputs: ins, Outputs: outs, Attrs: attrs})
}

// Op adds a node of the case's op with one output "y", a float32 model output.
func (b *B) Op(ins []string, attrs ...onnxtest.Attr) {
	b.N(b.c.Op, ins, []string{"y"}, attrs...)
	b.Out("y", onnxtest.Float)
}

// OpT is Op with an output of another element type.
func (b *B) OpT(elem int64, ins []string, attrs ...onnxtest.Attr) {
	b.N(b.c.Op, ins, []string{"y"}, attrs...)
	b.Out("y", elem)
}

// Out declares a model output (its type, no shape).
func (b *B) Out(name string, elem int64) {
	if b.outs[name] {
		panic(b.c.Name() + ": output " + name + " twice")
	}
	b.outs[name] = true
	b.c.Model.Outputs = append(b.c.Model.Outputs, onnxtest.Value{Name: name, Elem: elem, NoShape: true})
	b.c.Outputs = append(b.c.Outputs, name)
}

// Fails marks the case as one the engine cannot run: its error must
// contain substr.
func (b *B) Fails(substr, why string) { b.c.EngineFails, b.c.Why = substr, why }

// KnownBug marks the case as one the engine gets wrong (see Case.Bug).
func (b *B) KnownBug(why string) { b.c.Bug = why }

// WrongInORT marks the case as one ORT gets wrong, to be compared with the
// outputs of variant like instead (see Case.ORTBug). It must come before
// the inputs: the case takes like's input values.
func (b *B) WrongInORT(like, why string) {
	if len(b.c.Inputs) > 0 {
		panic(b.c.Name() + ": WrongInORT after the inputs")
	}
	b.c.ORTBug, b.c.Like, b.seed = why, fmt.Sprintf("%s_%d_%s", b.c.Op, b.c.Opset, like), like
}

// ---- attributes ----

func ai(name string, v int64) onnxtest.Attr   { return onnxtest.Attr{Name: name, Int: &v} }
func af(name string, v float32) onnxtest.Attr { return onnxtest.Attr{Name: name, Float: &v} }
func as(name string, v string) onnxtest.Attr  { return onnxtest.Attr{Name: name, Str: &v} }
func ais(name string, v ...int64) onnxtest.Attr {
	return onnxtest.Attr{Name: name, Ints: append([]int64{}, v...)}
}
func afs(name string, v ...float32) onnxtest.Attr {
	return onnxtest.Attr{Name: name, Floats: append([]float32{}, v...)}
}
func at(name string, t onnxtest.Tensor) onnxtest.Attr { return onnxtest.Attr{Name: name, Tensor: &t} }
func ag(name string, g onnxtest.Graph) onnxtest.Attr  { return onnxtest.Attr{Name: name, Graph: &g} }

func ins(names ...string) []string { return names }

func i64s(v ...int64) []int64 { return v }

func f32s(v ...float32) []float32 { return v }

// ops is a shorthand for a list of opsets.
func ops(v ...int64) []int64 { return v }
