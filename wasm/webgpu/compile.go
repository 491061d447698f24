//go:build js && wasm

package webgpu

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// fallback is one op run on the CPU, with the transfers around it.
type fallback struct {
	step    cpu.Step
	in, out []*graph.Tensor // host tensors passed to Step.Kernel
	reads   []transfer      // GPU → host before the kernel
	writes  []transfer      // host → GPU after it
	scratch []float32
}

type transfer struct {
	gpu, staging, u8 js.Value
	host             *graph.Tensor
	bytes            int
}

type compiler struct {
	lowering // p, root and the lowering of each op (place.go)
	d        *Device
	m        *Model

	gpu     map[*graph.Tensor]*gbuf // run-time root → its buffer
	free    []*gbuf
	consts  map[*graph.Tensor]*gbuf
	scratch map[*byte]*gbuf                 // scratch binds by their data's first byte
	host    map[*graph.Tensor]*graph.Tensor // root → host copy (CPU ops)
	dummy   *gbuf

	uniform  *gbuf
	uniforms []byte
	ncalls   int
}

// Compile uploads p's constants, allocates every buffer, and creates every
// pipeline and bind group a run needs; running then creates nothing but
// command encoders. Run-time float32 buffers are reused once their last
// reader has run (graph inputs and outputs never are).
func (d *Device) Compile(p *cpu.Program) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("webgpu: compile: internal error: %v", r)
		}
		if err != nil && m != nil {
			m.Release()
			m = nil
		}
	}()
	if err := d.Err(); err != nil {
		return nil, err
	}
	if err := d.checkLimits(); err != nil {
		return nil, err
	}
	if err := checkProgram(p); err != nil {
		return nil, err
	}
	// Steps that fall back to the CPU read and write the plan's tensors as
	// float32: no QConv pair may pass quantized bytes between them.
	p.UnlinkQuantized()
	m = &Model{d: d, prog: p, ctx: context.Background()}
	c := &compiler{lowering: newLowering(p, d.limits.MaxComputeWorkgroupsPerDimension), d: d, m: m, gpu: map[*graph.Tensor]*gbuf{},
		consts: map[*graph.Tensor]*gbuf{}, scratch: map[*byte]*gbuf{}, host: map[*graph.Tensor]*graph.Tensor{}}
	// Validation errors while compiling (a kernel that does not compile, a
	// limit exceeded) fail Compile and leave the device usable.
	d.dev.Call("pushErrorScope", "validation")
	err = c.build()
	if err == nil {
		err = d.checkShaders(m.ctx)
	}
	gerr, perr := await(m.ctx, d.dev.Call("popErrorScope"), d.lost)
	if err == nil && perr != nil {
		err = perr
	}
	if err == nil && gerr.Type() == js.TypeObject {
		err = fmt.Errorf("webgpu: compile: %s", gerr.Get("message").String())
	}
	return m, err
}

func (d *Device) checkLimits() error {
	l := d.limits
	if l.MaxStorageBuffersPerShaderStage < kernelStorageBuffers {
		return fmt.Errorf("webgpu: the kernels need %d storage buffers per shader stage; the device allows %d", kernelStorageBuffers, l.MaxStorageBuffersPerShaderStage)
	}
	if l.MaxComputeWorkgroupStorageSize < kernelWorkgroupBytes {
		return fmt.Errorf("webgpu: the kernels need %d bytes of workgroup storage; the device allows %d", kernelWorkgroupBytes, l.MaxComputeWorkgroupStorageSize)
	}
	if l.MaxComputeInvocationsPerWorkgroup < 256 {
		return fmt.Errorf("webgpu: the kernels need 256 invocations per workgroup; the device allows %d", l.MaxComputeInvocationsPerWorkgroup)
	}
	return nil
}

func (c *compiler) build() error {
	p, m := c.p, c.m
	plan := p.Plan()

	// 1. Lower every op, or mark it for the CPU.
	calls, why, err := c.lowerPlan()
	if err != nil {
		return err
	}
	onGPU := make([]bool, len(plan))
	for i, s := range plan {
		switch {
		case c.alias[i]:
		case why[i] != "":
			m.cpuOps = append(m.cpuOps, fmt.Sprintf("%s: %s", s.Node.Label(), why[i]))
		default:
			onGPU[i] = true
			c.ncalls += len(calls[i])
		}
	}

	// 2. Which run-time tensors live where, and until when.
	pinned := map[*graph.Tensor]bool{}
	needGPU := map[*graph.Tensor]bool{}
	onHost := map[*graph.Tensor]bool{}
	lastUse := map[*graph.Tensor]int{}
	for _, t := range p.Inputs {
		pinned[t], needGPU[t] = true, true
	}
	for _, t := range p.Outputs {
		if !p.IsConst(t) {
			r := c.rootOf(t)
			pinned[r], needGPU[r] = true, r.DType == graph.Float32
		}
	}
	for i, s := range plan {
		if c.alias[i] {
			continue
		}
		for _, t := range s.In {
			if t == nil || p.IsConst(t) {
				continue
			}
			r := c.rootOf(t)
			lastUse[r] = i
			if onGPU[i] {
				needGPU[r] = true
			}
		}
		for _, t := range s.Out {
			if t == nil {
				continue
			}
			if onGPU[i] {
				needGPU[t] = true
			} else {
				onHost[t] = true
			}
		}
	}

	// 3. Buffers, bind groups and CPU ops, in plan order.
	c.dummy = c.newBuffer("dummy", 16, storageUsage)
	c.uniform = c.newBuffer("params", max(c.ncalls, 1)*uniformSlot, uniformUsage)
	c.uniforms = make([]byte, max(c.ncalls, 1)*uniformSlot)
	for i, in := range p.Inputs {
		b := c.newBuffer(p.Names.Inputs[i], 4*in.Len(), storageUsage)
		c.gpu[in] = b
		if i > 0 && in.Len() > 0 {
			c.upload(b, f32bytes(in.F))
		}
	}
	m.inBuf, m.inLen = c.gpu[p.Inputs[0]].v, p.Inputs[0].Len()
	m.inU8 = js.Global().Get("Uint8Array").New(4 * m.inLen)
	uni := 0
	for i, s := range plan {
		if c.alias[i] {
			continue
		}
		for _, t := range s.Out {
			if t != nil && needGPU[t] && t.DType == graph.Float32 {
				c.gpu[t] = c.alloc(4 * t.Len())
			}
		}
		if onGPU[i] {
			for _, cl := range calls[i] {
				a, err := c.action(cl, uni)
				if err != nil {
					return fmt.Errorf("webgpu: %s: %v", s.Node.Label(), err)
				}
				m.acts = append(m.acts, a)
				uni++
			}
		} else {
			fb, err := c.fallback(s, onHost, needGPU)
			if err != nil {
				return err
			}
			m.acts = append(m.acts, action{fb: fb})
		}
		// Free what nobody reads any more.
		for _, t := range append(append([]*graph.Tensor{}, s.In...), s.Out...) {
			if t == nil || p.IsConst(t) {
				continue
			}
			r := c.rootOf(t)
			if last, read := lastUse[r]; (!read || last == i) && !pinned[r] {
				if b, ok := c.gpu[r]; ok {
					c.free = append(c.free, b)
					delete(c.gpu, r)
				}
			}
		}
	}
	m.gpuOps = uni
	c.upload(c.uniform, c.uniforms)

	// 4. The output and the readback slots.
	out := p.Outputs[0]
	ob := c.gpu[c.rootOf(out)]
	if p.IsConst(out) {
		ob = c.constBuffer(out)
	}
	if ob == nil {
		return errors.New("webgpu: the output has no buffer")
	}
	m.outBuf, m.outLen = ob.v, out.Len()
	for i := range m.slots {
		m.slots[i] = &slot{staging: c.newBuffer(fmt.Sprintf("staging %d", i), 4*m.outLen, stagingUsage).v}
	}
	m.scratch = make([]float32, len(p.Scratch()))
	for _, a := range m.acts {
		if a.fb != nil {
			a.fb.scratch = m.scratch
		}
	}
	return nil
}

// gbuf is a GPU buffer and its size in bytes.
type gbuf struct {
	v    js.Value
	size int
}

func (c *compiler) newBuffer(label string, size, usage int) *gbuf {
	b := c.d.createBuffer(label, size, usage)
	c.m.buffers = append(c.m.buffers, b)
	return &gbuf{v: b, size: (max(size, 16) + 15) &^ 15}
}

// alloc returns a free run-time buffer of at least size bytes, the
// smallest that fits and wastes no more than half of itself, or a new one.
func (c *compiler) alloc(size int) *gbuf {
	size = (max(size, 16) + 15) &^ 15
	best := -1
	for i, b := range c.free {
		s := b.size
		if s >= size && s <= 2*size && (best < 0 || s < c.free[best].size) {
			best = i
		}
	}
	if best >= 0 {
		b := c.free[best]
		c.free = append(c.free[:best], c.free[best+1:]...)
		return b
	}
	return c.newBuffer("tensor", size, storageUsage)
}

func (c *compiler) upload(b *gbuf, data []byte) {
	if len(data) == 0 {
		return
	}
	u8 := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u8, data)
	c.d.queue.Call("writeBuffer", b.v, 0, u8)
}

func (c *compiler) constBuffer(t *graph.Tensor) *gbuf {
	if b, ok := c.consts[t]; ok {
		return b
	}
	b := c.newBuffer("const", 4*t.Len(), storageUsage)
	c.upload(b, f32bytes(t.F))
	c.consts[t] = b
	return b
}

// action creates the bind group of one call, with its Params in uniform slot uni.
func (c *compiler) action(cl call, uni int) (action, error) {
	if 4*len(cl.params) > uniformSlot {
		return action{}, fmt.Errorf("params of %s are %d bytes", cl.kernel, 4*len(cl.params))
	}
	copy(c.uniforms[uni*uniformSlot:], u32bytes(cl.params))
	lim := c.d.limits.MaxComputeWorkgroupsPerDimension
	for _, g := range cl.groups {
		if g > lim {
			return action{}, fmt.Errorf("needs %d workgroups in one dimension; the device allows %d", g, lim)
		}
	}
	pipe, err := c.d.pipeline(cl.kernel, cl.entry)
	if err != nil {
		return action{}, err
	}
	entries := []any{map[string]any{"binding": 0, "resource": map[string]any{"buffer": c.uniform.v, "offset": uni * uniformSlot, "size": uniformSlot}}}
	for i, b := range cl.binds {
		if b.skip {
			continue
		}
		var buf *gbuf
		switch {
		case b.scratch:
			key := &b.data[0]
			if buf = c.scratch[key]; buf == nil {
				buf = c.newBuffer("scratch", len(b.data), storageUsage)
				c.scratch[key] = buf
			}
		case b.data != nil:
			buf = c.newBuffer("derived", len(b.data), storageUsage)
			c.upload(buf, b.data)
		case b.t == nil:
			buf = c.dummy
		case c.p.IsConst(b.t):
			if b.t.DType != graph.Float32 {
				return action{}, fmt.Errorf("binds a %s constant", b.t.DType)
			}
			buf = c.constBuffer(b.t)
		default:
			var ok bool
			if buf, ok = c.gpu[c.rootOf(b.t)]; !ok {
				return action{}, fmt.Errorf("tensor %v has no GPU buffer", b.t.Shape)
			}
		}
		if buf.size > c.d.limits.MaxStorageBufferBindingSize {
			return action{}, fmt.Errorf("a buffer of %d bytes exceeds the device's maxStorageBufferBindingSize %d", buf.size, c.d.limits.MaxStorageBufferBindingSize)
		}
		entries = append(entries, map[string]any{"binding": i + 1, "resource": map[string]any{"buffer": buf.v}})
	}
	bg := c.d.dev.Call("createBindGroup", map[string]any{"layout": pipe.Call("getBindGroupLayout", 0), "entries": entries})
	c.d.count(func(k *Counts) { k.BindGroups++ })
	return action{pipe: pipe, bg: bg, groups: cl.groups}, nil
}

// hostOf is the host copy of a run-time tensor for CPU ops, viewed under t's shape.
func (c *compiler) hostOf(t *graph.Tensor) *graph.Tensor {
	r := c.rootOf(t)
	h, ok := c.host[r]
	if !ok {
		h = graph.New(r.DType, r.Shape)
		c.host[r] = h
	}
	return &graph.Tensor{DType: t.DType, Shape: t.Shape, F: h.F, I: h.I, B: h.B}
}

func (c *compiler) fallback(s cpu.Step, onHost, needGPU map[*graph.Tensor]bool) (*fallback, error) {
	fb := &fallback{step: s}
	seen := map[*graph.Tensor]bool{}
	for _, t := range s.In {
		switch {
		case t == nil:
			fb.in = append(fb.in, nil)
		case c.p.IsConst(t):
			fb.in = append(fb.in, t)
		default:
			r := c.rootOf(t)
			fb.in = append(fb.in, c.hostOf(t))
			if onHost[r] || seen[r] {
				continue
			}
			if r.DType != graph.Float32 {
				return nil, fmt.Errorf("webgpu: %s reads a %s tensor that nothing computed", s.Node.Label(), r.DType)
			}
			seen[r] = true
			b, ok := c.gpu[r]
			if !ok {
				return nil, fmt.Errorf("webgpu: %s reads a tensor with no GPU buffer", s.Node.Label())
			}
			fb.reads = append(fb.reads, transfer{gpu: b.v, host: c.host[r], bytes: 4 * r.Len(),
				staging: c.newBuffer("readback", 4*r.Len(), stagingUsage).v})
		}
	}
	for _, t := range s.Out {
		if t == nil {
			fb.out = append(fb.out, nil)
			continue
		}
		fb.out = append(fb.out, c.hostOf(t))
		if needGPU[t] && t.DType == graph.Float32 && t.Len() > 0 {
			fb.writes = append(fb.writes, transfer{gpu: c.gpu[t].v, host: c.host[t], bytes: 4 * t.Len(),
				u8: js.Global().Get("Uint8Array").New(4 * t.Len())})
		}
	}
	return fb, nil
}
