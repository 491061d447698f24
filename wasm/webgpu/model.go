//go:build js && wasm

package webgpu

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/glimpse/glimpse/model/cpu"
)

// Slots is how many runs may be in flight at once (Submit before Wait):
// each has its own staging buffer for the readback. Intermediates are
// shared: the queue runs command buffers in order, and queue.writeBuffer of
// the next input is ordered after the previous run's commands too.
const Slots = 2

// uniformSlot is the bytes of uniform buffer each dispatch gets: every
// Params struct fits, and 256 is minUniformBufferOffsetAlignment.
const uniformSlot = 256

// Model is a cpu.Program compiled for one Device. It is not safe for
// concurrent use; Submit/Wait pipeline runs from one goroutine.
type Model struct {
	d    *Device
	prog *cpu.Program

	acts    []action
	buffers []js.Value // every buffer the model created, for Release
	inBuf   js.Value   // the first input
	inLen   int
	inU8    js.Value // reused upload view of the input
	outBuf  js.Value // the first output
	outLen  int
	slots   [Slots]*slot
	next    int
	cpuOps  []string
	gpuOps  int
	done    bool
	ctx     context.Context
	scratch []float32
}

// action is one dispatch, or one op run on the CPU between GPU segments.
type action struct {
	pipe, bg js.Value
	groups   [3]int
	fb       *fallback
}

type slot struct {
	staging js.Value
	pending *Pending
}

// Pending is a submitted run; Wait gives its output.
type Pending struct {
	m          *Model
	s          *slot
	mapP, errP js.Value
	done       bool
	out        []float32
	err        error
}

// CPUOps lists the nodes that run on the CPU (no GPU kernel, or a run-time
// int64/bool tensor), with the reason; empty when everything runs on the GPU.
func (m *Model) CPUOps() []string { return append([]string(nil), m.cpuOps...) }

// Dispatches is the number of compute dispatches one run records.
func (m *Model) Dispatches() int { return m.gpuOps }

// Run writes input into the model's first input, runs the model and returns
// a new slice with its first output.
func (m *Model) Run(input []float32) ([]float32, error) {
	p, err := m.Submit(input)
	if err != nil {
		return nil, err
	}
	return p.Wait()
}

// Submit starts a run and returns without waiting for the GPU (unless the
// model has CPU ops, whose inputs must be read back first, or the slot it
// needs is still busy, in which case the older run is waited for; its
// result stays available to its own Wait). At most Slots runs are in flight.
func (m *Model) Submit(input []float32) (*Pending, error) {
	if m.done {
		return nil, errors.New("webgpu: model released")
	}
	if err := m.d.Err(); err != nil {
		return nil, err
	}
	if len(input) != m.inLen {
		return nil, fmt.Errorf("webgpu: input has %d values; the model's input %v needs %d", len(input), m.prog.Inputs[0].Shape, m.inLen)
	}
	s := m.slots[m.next]
	m.next = (m.next + 1) % Slots
	if s.pending != nil && !s.pending.done {
		s.pending.finish()
	}
	dev, q := m.d.dev, m.d.queue
	js.CopyBytesToJS(m.inU8, f32bytes(input))
	q.Call("writeBuffer", m.inBuf, 0, m.inU8)

	dev.Call("pushErrorScope", "validation")
	enc := dev.Call("createCommandEncoder")
	pass := enc.Call("beginComputePass")
	for i := range m.acts {
		a := &m.acts[i]
		if a.fb == nil {
			pass.Call("setPipeline", a.pipe)
			pass.Call("setBindGroup", 0, a.bg)
			pass.Call("dispatchWorkgroups", a.groups[0], a.groups[1], a.groups[2])
			continue
		}
		pass.Call("end")
		if err := m.runFallback(a.fb, enc); err != nil {
			dev.Call("popErrorScope")
			return nil, err
		}
		enc = dev.Call("createCommandEncoder")
		pass = enc.Call("beginComputePass")
	}
	pass.Call("end")
	enc.Call("copyBufferToBuffer", m.outBuf, 0, s.staging, 0, 4*m.outLen)
	q.Call("submit", []any{enc.Call("finish")})
	p := &Pending{m: m, s: s}
	p.errP = dev.Call("popErrorScope")
	p.mapP = s.staging.Call("mapAsync", mapModeRead, 0, 4*m.outLen)
	s.pending = p
	return p, nil
}

// runFallback submits what enc holds plus the copies of the op's GPU inputs
// into staging buffers, waits for them, runs the CPU kernel and uploads its
// outputs that GPU ops read.
func (m *Model) runFallback(fb *fallback, enc js.Value) error {
	for _, t := range fb.reads {
		enc.Call("copyBufferToBuffer", t.gpu, 0, t.staging, 0, t.bytes)
	}
	m.d.queue.Call("submit", []any{enc.Call("finish")})
	for _, t := range fb.reads {
		if _, err := await(m.ctx, t.staging.Call("mapAsync", mapModeRead, 0, t.bytes), m.d.lost); err != nil {
			return fmt.Errorf("webgpu: reading back the input of %s: %v", fb.step.Node.Label(), err)
		}
		u8 := js.Global().Get("Uint8Array").New(t.staging.Call("getMappedRange", 0, t.bytes))
		js.CopyBytesToGo(f32bytes(t.host.F), u8)
		t.staging.Call("unmap")
	}
	if err := fb.step.Kernel(fb.in, fb.out, fb.scratch); err != nil {
		return fmt.Errorf("%s (on the CPU): %v", fb.step.Node.Label(), err)
	}
	for _, t := range fb.writes {
		js.CopyBytesToJS(t.u8, f32bytes(t.host.F))
		m.d.queue.Call("writeBuffer", t.gpu, 0, t.u8)
	}
	return nil
}

// Wait blocks until the run is done and returns its first output (a new
// slice). It fails, rather than hangs, when the device is lost.
func (p *Pending) Wait() ([]float32, error) {
	if !p.done {
		p.finish()
	}
	return p.out, p.err
}

func (p *Pending) finish() {
	m := p.m
	p.done = true
	if _, err := await(m.ctx, p.mapP, m.d.lost); err != nil {
		p.err = fmt.Errorf("webgpu: run failed: %v", err)
		if ferr := m.d.Err(); ferr != nil {
			p.err = ferr
		}
		return
	}
	gerr, err := await(m.ctx, p.errP, m.d.lost)
	if err == nil && gerr.Type() == js.TypeObject {
		err = fmt.Errorf("webgpu: %s", gerr.Get("message").String())
		m.d.setFault(err, false)
	}
	if err != nil {
		p.s.staging.Call("unmap")
		p.err = err
		return
	}
	out := make([]float32, m.outLen)
	u8 := js.Global().Get("Uint8Array").New(p.s.staging.Call("getMappedRange", 0, 4*m.outLen))
	js.CopyBytesToGo(f32bytes(out), u8)
	p.s.staging.Call("unmap")
	p.out = out
}

// Release destroys the model's buffers. Runs in flight are waited for.
func (m *Model) Release() {
	if m.done {
		return
	}
	for _, s := range m.slots {
		if s != nil && s.pending != nil && !s.pending.done {
			s.pending.finish()
		}
	}
	m.done = true
	for _, b := range m.buffers {
		b.Call("destroy")
	}
	m.buffers = nil
	m.acts = nil
}
