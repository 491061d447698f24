package webgpu

// The lowering of a compiled CPU program into WGSL dispatches. It needs no
// device (nothing here touches syscall/js), so the decision of where each op
// runs — a GPU kernel, or the CPU step between transfers — is also made
// natively, by Place, for reports such as `glimpse check`: one decision,
// made by the same code that Compile runs.

import (
	"errors"
	"fmt"
	"github.com/glimpse/glimpse/model/check"
	"unsafe"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// DefaultMaxWorkgroups is WebGPU's default maxComputeWorkgroupsPerDimension,
// the limit Place assumes (devices may allow more).
const DefaultMaxWorkgroups = 65535

// lowering is the device-independent half of the compiler.
type lowering struct {
	p         *cpu.Program
	root      map[*graph.Tensor]*graph.Tensor // alias → the tensor that owns the data
	alias     []bool                          // per plan step: nothing to run (see newLowering)
	maxGroups int                             // the device's maxComputeWorkgroupsPerDimension
}

// newLowering records which tensors are other tensors' data. That is every
// Alias step's output, and also the first output of a step that has a
// kernel but whose Out[0] the CPU planned as In[0]'s own buffer: Dropout
// with its mask output named (torchvision's Swin exports one per block, in
// eval mode), whose kernel writes only the mask. Such a step is an alias
// too when nothing reads its other outputs; otherwise it runs on the CPU
// with Out[0] still In[0]'s data (hostOf gives both one host copy), never
// as a copy of an output its kernel does not write.
func newLowering(p *cpu.Program, maxGroups int) lowering {
	plan := p.Plan()
	l := lowering{p: p, root: map[*graph.Tensor]*graph.Tensor{}, alias: make([]bool, len(plan)), maxGroups: maxGroups}
	read := map[*graph.Tensor]bool{}
	for _, s := range plan {
		for _, t := range s.In {
			read[t] = true
		}
	}
	for _, t := range p.Outputs {
		read[t] = true
	}
	for i, s := range plan {
		if !s.Alias && !sharesInput(s) {
			continue
		}
		l.root[s.Out[0]] = l.rootOf(s.In[0])
		l.alias[i] = true
		for _, t := range s.Out[1:] {
			if t != nil && read[t] && !s.Alias {
				l.alias[i] = false
			}
		}
	}
	return l
}

// sharesInput reports whether a step's first output is its first input's
// data: the same backing array in the CPU's plan. Outputs are placed before
// a step's inputs die, so only an alias can share an input's storage.
func sharesInput(s cpu.Step) bool {
	if len(s.In) == 0 || len(s.Out) == 0 || s.In[0] == nil || s.Out[0] == nil {
		return false
	}
	x, y := s.In[0], s.Out[0]
	if x.DType != y.DType || x.Len() != y.Len() || x.Len() == 0 {
		return false
	}
	switch x.DType {
	case graph.Float32:
		return len(x.F) > 0 && len(y.F) > 0 && &x.F[0] == &y.F[0]
	case graph.Int64:
		return len(x.I) > 0 && len(y.I) > 0 && &x.I[0] == &y.I[0]
	case graph.Bool:
		return len(x.B) > 0 && len(y.B) > 0 && &x.B[0] == &y.B[0]
	}
	return false
}

// checkProgram refuses programs the GPU backend cannot take at all.
func checkProgram(p *cpu.Program) error {
	if len(p.Inputs) == 0 || len(p.Outputs) == 0 {
		return errors.New("webgpu: the model has no inputs or no outputs")
	}
	for i, in := range p.Inputs {
		if in.DType != graph.Float32 {
			return fmt.Errorf("webgpu: input %q is %s; the GPU backend takes float32 inputs", p.Names.Inputs[i], in.DType)
		}
	}
	if out := p.Outputs[0]; out.DType != graph.Float32 {
		return fmt.Errorf("webgpu: output %q is %s, not float32", p.Names.Outputs[0], out.DType)
	}
	return nil
}

// lowerPlan lowers every step of the plan: calls[i] for a step with a GPU
// kernel, why[i] for one that runs on the CPU (alias steps have neither).
func (c *lowering) lowerPlan() (calls [][]call, why []string, err error) {
	plan := c.p.Plan()
	calls, why = make([][]call, len(plan)), make([]string, len(plan))
	for i, s := range plan {
		if c.alias[i] {
			continue
		}
		cs, err := c.lower(s)
		var un errUnsupported
		switch {
		case err == nil:
			calls[i] = cs
		case errors.As(err, &un):
			if s.Kernel == nil {
				return nil, nil, fmt.Errorf("webgpu: %s: %v, and it has no CPU kernel", s.Node.Label(), err)
			}
			why[i] = err.Error()
		default:
			return nil, nil, fmt.Errorf("webgpu: %s: %v", s.Node.Label(), err)
		}
	}
	return calls, why, nil
}

// Placement is where one node of a program's plan runs on WebGPU; the
// type belongs to model/check, which reports it.
type Placement = check.Placement

// Place decides, without a device, where every node of p's plan runs when
// p is compiled for WebGPU, assuming WebGPU's default workgroup limit. It
// runs the very lowering Compile does (weights are packed and dropped), so
// it agrees with Model.CPUOps. An error means Compile would refuse p.
func Place(p *cpu.Program) (out []Placement, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("webgpu: lowering: internal error: %v", r)
		}
	}()
	if err := checkProgram(p); err != nil {
		return nil, err
	}
	c := newLowering(p, DefaultMaxWorkgroups)
	calls, why, err := c.lowerPlan()
	if err != nil {
		return nil, err
	}
	for i, s := range p.Plan() {
		pl := Placement{Node: s.Node, Where: "gpu", Dispatches: len(calls[i])}
		switch {
		case c.alias[i]:
			pl.Where = "alias"
		case why[i] != "":
			pl.Where, pl.Why = "cpu", why[i]
		}
		out = append(out, pl)
	}
	return out, nil
}

// f32bytes views a float32 slice as its bytes (wasm is little-endian, as WebGPU buffers are).
func f32bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

func u32bytes(u []uint32) []byte {
	if len(u) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), 4*len(u))
}

// call is one dispatch as an op's lowering describes it, before buffers exist.
type call struct {
	kernel, entry string
	params        []uint32
	binds         []bind // binding i+1 (binding 0 is the uniform Params)
	groups        [3]int
}

// bind is one storage binding: a tensor of the plan (run-time or constant),
// derived constant data (packed weights, index tables), a scratch buffer, the 16-byte dummy
// buffer (absent optional inputs: both nil), or nothing (skip: a binding
// the entry point does not use).
type bind struct {
	t    *graph.Tensor
	data []byte
	skip bool
	// scratch: data only sizes a zeroed buffer the kernels write (not
	// uploaded); binds sharing data's backing array share the buffer, so
	// that one dispatch can hand another an intermediate.
	scratch bool
}

var skip = bind{skip: true}

// errUnsupported marks an op the GPU backend runs on the CPU instead.
type errUnsupported string

func (e errUnsupported) Error() string { return string(e) }

func unsupported(format string, args ...any) error {
	return errUnsupported(fmt.Sprintf(format, args...))
}

// rootOf follows aliases (Reshape and friends) to the tensor that owns the data.
func (c *lowering) rootOf(t *graph.Tensor) *graph.Tensor {
	for {
		r, ok := c.root[t]
		if !ok {
			return t
		}
		t = r
	}
}

// ---- helpers for lowerings ----

// params packs a kernel's Params struct: u32, i32 and f32 fields in order.
type params []uint32

func (p *params) u(v ...int) {
	for _, x := range v {
		*p = append(*p, uint32(x))
	}
}

func (p *params) i(v int) { *p = append(*p, uint32(int32(v))) }

func (p *params) f(v ...float32) {
	for _, x := range v {
		*p = append(*p, f32bits(x))
	}
}

// arr8 packs up to 8 values as array<vec4<u32>, 2> (or vec4<i32>).
func (p *params) arr8(v []int) {
	var a [8]uint32
	for i, x := range v {
		a[i] = uint32(int32(x))
	}
	*p = append(*p, a[:]...)
}

func (p *params) pad16() {
	for len(*p)%4 != 0 {
		*p = append(*p, 0)
	}
}

// groups1D spreads n workgroups over x, spilling into y past the limit.
func (c *lowering) groups1D(n int) [3]int {
	lim := c.maxGroups
	n = max(n, 1)
	if n <= lim {
		return [3]int{n, 1, 1}
	}
	return [3]int{lim, ceilDiv(n, lim), 1}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func rowMajor(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// mergeDims drops size-1 axes and merges adjacent axes that every stride
// list walks contiguously, so kernels loop over as few axes as possible.
func mergeDims(dims []int, strides ...[]int) ([]int, [][]int) {
	var od []int
	os := make([][]int, len(strides))
	for i, d := range dims {
		if d == 1 {
			continue
		}
		if n := len(od); n > 0 {
			ok := true
			for j, st := range strides {
				if os[j][n-1] != st[i]*d {
					ok = false
				}
			}
			if ok {
				od[n-1] *= d
				for j, st := range strides {
					os[j][n-1] = st[i]
				}
				continue
			}
		}
		od = append(od, d)
		for j, st := range strides {
			os[j] = append(os[j], st[i])
		}
	}
	return od, os
}
