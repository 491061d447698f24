//go:build js && wasm

// Package webgpu runs a compiled cpu.Program on the GPU through the
// browser's WebGPU API (navigator.gpu), as WGSL compute shaders: the same
// optimized graph, shapes and constants as the CPU backend, so the two give
// the same answers to within float32 summation order.
//
// Open gets a Device; Device.Compile uploads the weights and creates every
// buffer, pipeline and bind group once; Model.Run (or Submit + Wait, to keep
// two frames in flight) then records one command buffer per run and reads
// the output back once. Ops without a GPU kernel run on the CPU between GPU
// segments (Model.CPUOps lists them). Device loss and validation errors are
// reported through Device.OnFault so that the caller can fall back to the
// CPU backend.
//
// JS promises are awaited from goroutines only: a js.FuncOf callback must
// never block, and no function here is meant to be called from one.
package webgpu

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"time"
)

// ErrUnavailable means the environment has no usable WebGPU: no
// navigator.gpu, or requestAdapter() resolved to null (Chromium without
// --enable-unsafe-webgpu on Linux, a blocklisted GPU, ...).
var ErrUnavailable = errors.New("webgpu: not available")

// Limits are the device limits the kernels care about.
type Limits struct {
	MaxStorageBufferBindingSize       int
	MaxBufferSize                     int
	MaxStorageBuffersPerShaderStage   int
	MaxComputeWorkgroupStorageSize    int
	MaxComputeInvocationsPerWorkgroup int
	MaxComputeWorkgroupsPerDimension  int
}

// Counts are the GPU objects this package has created on a device, for
// tests and diagnostics: after Compile, running a model must not change them.
type Counts struct {
	Buffers, BindGroups, Pipelines, ShaderModules int
}

// Device is an open WebGPU device.
type Device struct {
	adapter, dev, queue js.Value
	name                string
	f16                 bool
	// dp4: WGSL has packed_4x8_integer_dot_product (QConv's qconv_dp4);
	// tests clear it to run the plain-integer variant.
	dp4    bool
	limits Limits

	mu      sync.Mutex
	fault   error
	lost    chan struct{} // closed when the device is lost
	onFault []func(error)
	closing bool
	created Counts
	onError js.Func

	shaders   map[string]js.Value
	pipelines map[string]js.Value
	checked   map[string]bool // shader modules whose compilation info was read
}

// limitNames maps Limits fields to WebGPU limit names.
func (l *Limits) fields() map[string]*int {
	return map[string]*int{
		"maxStorageBufferBindingSize":       &l.MaxStorageBufferBindingSize,
		"maxBufferSize":                     &l.MaxBufferSize,
		"maxStorageBuffersPerShaderStage":   &l.MaxStorageBuffersPerShaderStage,
		"maxComputeWorkgroupStorageSize":    &l.MaxComputeWorkgroupStorageSize,
		"maxComputeInvocationsPerWorkgroup": &l.MaxComputeInvocationsPerWorkgroup,
		"maxComputeWorkgroupsPerDimension":  &l.MaxComputeWorkgroupsPerDimension,
	}
}

// Open requests an adapter and a device. The device asks for the adapter's
// own maxima of the limits in Limits (models differ in what they need, and
// Open does not know the model yet); Compile then checks the model against
// them and fails with a clear error rather than at the first dispatch.
// shader-f16 is requested when the adapter has it, never required.
func Open(ctx context.Context) (*Device, error) {
	nav := js.Global().Get("navigator")
	if nav.IsUndefined() || nav.IsNull() {
		return nil, fmt.Errorf("%w: no navigator", ErrUnavailable)
	}
	gpu := nav.Get("gpu")
	if gpu.IsUndefined() || gpu.IsNull() {
		return nil, fmt.Errorf("%w: navigator.gpu is missing (no WebGPU in this browser, or not a secure context)", ErrUnavailable)
	}
	adapter, err := await(ctx, gpu.Call("requestAdapter", map[string]any{"powerPreference": "high-performance"}), nil)
	if err != nil {
		return nil, fmt.Errorf("webgpu: requestAdapter: %v", err)
	}
	if adapter.IsNull() || adapter.IsUndefined() {
		return nil, fmt.Errorf("%w: requestAdapter() found no adapter", ErrUnavailable)
	}
	d := &Device{adapter: adapter, lost: make(chan struct{}), shaders: map[string]js.Value{}, pipelines: map[string]js.Value{},
		checked: map[string]bool{}}
	d.name = adapterName(adapter)
	d.f16 = adapter.Get("features").Call("has", "shader-f16").Bool()
	if lf := gpu.Get("wgslLanguageFeatures"); lf.Type() == js.TypeObject {
		d.dp4 = lf.Call("has", "packed_4x8_integer_dot_product").Bool()
	}

	al := adapter.Get("limits")
	required := map[string]any{}
	for name, p := range d.limits.fields() {
		v := al.Get(name)
		if v.Type() == js.TypeNumber {
			*p = v.Int()
			required[name] = v.Int()
		}
	}
	desc := map[string]any{"requiredLimits": required, "label": "glimpse"}
	if d.f16 {
		desc["requiredFeatures"] = []any{"shader-f16"}
	}
	dev, err := await(ctx, adapter.Call("requestDevice", desc), nil)
	if err != nil {
		return nil, fmt.Errorf("webgpu: requestDevice: %v", err)
	}
	d.dev, d.queue = dev, dev.Get("queue")
	// Read back what the device really got.
	dl := dev.Get("limits")
	for name, p := range d.limits.fields() {
		if v := dl.Get(name); v.Type() == js.TypeNumber {
			*p = v.Int()
		}
	}

	lostP := dev.Get("lost")
	go func() {
		info, err := await(context.Background(), lostP, nil)
		msg := "device lost"
		if err == nil && info.Type() == js.TypeObject {
			msg = fmt.Sprintf("device lost (%s): %s", info.Get("reason").String(), info.Get("message").String())
		}
		d.setFault(errors.New("webgpu: "+msg), true)
	}()
	d.onError = js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "uncaptured error"
		if len(args) > 0 {
			if e := args[0].Get("error"); e.Type() == js.TypeObject {
				msg = fmt.Sprintf("%s: %s", e.Get("constructor").Get("name").String(), e.Get("message").String())
			}
		}
		// Never block in a callback: record, and notify from a goroutine.
		go d.setFault(errors.New("webgpu: "+msg), false)
		return nil
	})
	dev.Call("addEventListener", "uncapturederror", d.onError)
	return d, nil
}

// adapterName is a human name such as "swiftshader (fallback)" or
// "nvidia ampere": adapter.info's vendor and architecture (Chromium 156
// has adapter.info, not requestAdapterInfo()), else its description.
func adapterName(adapter js.Value) string {
	info := adapter.Get("info")
	str := func(v js.Value, k string) string {
		if v.Type() != js.TypeObject {
			return ""
		}
		if s := v.Get(k); s.Type() == js.TypeString {
			return strings.TrimSpace(s.String())
		}
		return ""
	}
	var parts []string
	for _, k := range []string{"vendor", "architecture"} {
		if s := str(info, k); s != "" && !contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		if s := str(info, "description"); s != "" {
			parts = append(parts, s)
		} else if s := str(info, "device"); s != "" {
			parts = append(parts, s)
		}
	}
	name := strings.Join(parts, " ")
	if name == "" {
		name = "unknown adapter"
	}
	fallback := adapter.Get("isFallbackAdapter")
	if info.Type() == js.TypeObject && info.Get("isFallbackAdapter").Type() == js.TypeBoolean {
		fallback = info.Get("isFallbackAdapter")
	}
	if fallback.Type() == js.TypeBoolean && fallback.Bool() {
		name += " (fallback)"
	}
	return name
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Name is the adapter's human name, e.g. "swiftshader (fallback)".
func (d *Device) Name() string { return d.name }

// F16 reports whether the device has shader-f16 (unused by the kernels so far).
func (d *Device) F16() bool { return d.f16 }

// PackedDot reports whether QConv uses WGSL's packed_4x8_integer_dot_product
// (dot4U8Packed) on this device, rather than plain integer multiply-adds.
func (d *Device) PackedDot() bool { return d.dp4 }

// Limits are the device's limits.
func (d *Device) Limits() Limits { return d.limits }

// Created counts the GPU objects created so far on this device.
func (d *Device) Created() Counts {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.created
}

// OnFault registers fn to be called (from a goroutine of its own) once, when
// the device is lost or reports an error nobody captured. After a fault
// every Run fails; the caller should switch to the CPU backend. If a fault
// has already happened, fn is called at once.
func (d *Device) OnFault(fn func(error)) {
	d.mu.Lock()
	err := d.fault
	if err == nil {
		d.onFault = append(d.onFault, fn)
	}
	d.mu.Unlock()
	if err != nil {
		go fn(err)
	}
}

// Err is the first fault, or nil.
func (d *Device) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fault
}

func (d *Device) setFault(err error, lost bool) {
	d.mu.Lock()
	if lost {
		select {
		case <-d.lost:
		default:
			close(d.lost)
		}
	}
	if d.fault != nil || d.closing {
		d.mu.Unlock()
		return
	}
	d.fault = err
	fns := d.onFault
	d.onFault = nil
	d.mu.Unlock()
	for _, fn := range fns {
		fn(err)
	}
}

// Close destroys the device (and with it every buffer of its models). It is
// not a fault: OnFault callbacks are not called.
func (d *Device) Close() {
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	d.dev.Call("destroy")
	// Let device.lost settle while Go still runs (its callback would find
	// the program gone at exit otherwise).
	select {
	case <-d.lost:
	case <-time.After(2 * time.Second):
	}
}

func (d *Device) count(f func(c *Counts)) {
	d.mu.Lock()
	f(&d.created)
	d.mu.Unlock()
}

// createBuffer makes a buffer of at least size bytes (rounded up to 16, so
// that vec4 views cover it).
func (d *Device) createBuffer(label string, size, usage int) js.Value {
	size = (max(size, 16) + 15) &^ 15
	d.count(func(c *Counts) { c.Buffers++ })
	return d.dev.Call("createBuffer", map[string]any{"label": label, "size": size, "usage": usage})
}

// pipeline returns the compute pipeline of one kernel entry point, creating
// the shader module and the pipeline on first use.
func (d *Device) pipeline(kernel, entry string) (js.Value, error) {
	kernel = d.kernelVariant(kernel)
	key := kernel + ":" + entry
	if p, ok := d.pipelines[key]; ok {
		return p, nil
	}
	mod, ok := d.shaders[kernel]
	if !ok {
		src, err := kernelSource(kernel)
		if err != nil {
			return js.Value{}, err
		}
		mod = d.dev.Call("createShaderModule", map[string]any{"label": kernel, "code": src})
		d.count(func(c *Counts) { c.ShaderModules++ })
		d.shaders[kernel] = mod
	}
	p := d.dev.Call("createComputePipeline", map[string]any{
		"label":   key,
		"layout":  "auto",
		"compute": map[string]any{"module": mod, "entryPoint": entry},
	})
	d.count(func(c *Counts) { c.Pipelines++ })
	d.pipelines[key] = p
	return p, nil
}

// checkShaders reports the first WGSL compilation error of the modules
// created since the last check (getCompilationInfo), so that a broken
// kernel fails Compile with its message instead of an opaque validation
// error later.
func (d *Device) checkShaders(ctx context.Context) error {
	for name, mod := range d.shaders {
		if d.checked[name] {
			continue
		}
		d.checked[name] = true
		info, err := await(ctx, mod.Call("getCompilationInfo"), d.lost)
		if err != nil {
			return err
		}
		msgs := info.Get("messages")
		for i := 0; i < msgs.Length(); i++ {
			m := msgs.Index(i)
			if m.Get("type").String() == "error" {
				return fmt.Errorf("webgpu: kernel %s.wgsl line %d: %s", name, m.Get("lineNum").Int(), m.Get("message").String())
			}
		}
	}
	return nil
}

// GPUBufferUsage and GPUMapMode flags (numeric, so that no global lookup is needed).
const (
	usageMapRead  = 0x0001
	usageCopySrc  = 0x0004
	usageCopyDst  = 0x0008
	usageUniform  = 0x0040
	usageStorage  = 0x0080
	mapModeRead   = 0x0001
	storageUsage  = usageStorage | usageCopySrc | usageCopyDst
	stagingUsage  = usageMapRead | usageCopyDst
	uniformUsage  = usageUniform | usageCopyDst
	errNotPending = "webgpu: Wait called twice"
)

// await blocks the calling goroutine until the promise p settles, ctx is
// done or abort is closed. It must not run inside a js.FuncOf callback.
func await(ctx context.Context, p js.Value, abort <-chan struct{}) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var then, catch js.Func
	then = js.FuncOf(func(this js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch = js.FuncOf(func(this js.Value, args []js.Value) any {
		var e js.Value
		if len(args) > 0 {
			e = args[0]
		}
		ch <- result{err: jsError(e)}
		return nil
	})
	p.Call("then", then, catch)
	select {
	case r := <-ch:
		then.Release()
		catch.Release()
		return r.v, r.err
	case <-ctx.Done():
		// The callbacks stay alive: the promise may still settle.
		return js.Undefined(), ctx.Err()
	case <-abort:
		return js.Undefined(), errors.New("webgpu: device lost")
	}
}

func jsError(e js.Value) error {
	if e.Type() == js.TypeObject {
		if m := e.Get("message"); m.Type() == js.TypeString {
			return errors.New(m.String())
		}
	}
	if e.Type() == js.TypeUndefined {
		return errors.New("promise rejected")
	}
	return errors.New(e.String())
}

// InjectFault simulates what a driver reset or a bad command does, for the
// app's fallback tests: "lost" destroys the device behind the backend's back
// (unlike Close, this counts as a fault); "validation" issues a command
// WebGPU rejects, which surfaces as an uncaptured validation error.
func (d *Device) InjectFault(kind string) error {
	switch kind {
	case "lost":
		d.dev.Call("destroy")
	case "validation":
		d.dev.Call("createBuffer", map[string]any{"size": 16, "usage": usageMapRead | usageStorage}) // forbidden together
		d.queue.Call("submit", []any{})
	default:
		return fmt.Errorf("webgpu: unknown fault %q", kind)
	}
	return nil
}
