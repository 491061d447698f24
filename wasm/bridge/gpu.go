//go:build js && wasm

package bridge

import (
	"context"
	"fmt"
	"github.com/glimpse/glimpse/wasm/jsval"
	"strings"
	"syscall/js"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/vision"
	"github.com/glimpse/glimpse/wasm/webgpu"
)

// The WebGPU side of the bridge. The preference (auto, webgpu, cpu) is kept
// in the page's localStorage (glimpse.js; the host hands it over at start). "auto" uses a hardware adapter when there is
// one and the model compiles for it; a software fallback adapter (SwiftShader
// and the like) is slower than the CPU path, so auto leaves it alone and only
// "webgpu" forces it. Any fault — a lost device, a validation error, running
// out of memory — switches to the CPU with a notice, and the frame that was
// in flight is re-run on the CPU rather than dropped.
type gpuState struct {
	pref   string
	dev    *webgpu.Device
	m      *webgpu.Model
	cl     *model.Classifier // the classifier m was compiled for
	reason string            // why the GPU is not in use, for info()
}

func (g *gpuState) active(cl *model.Classifier) bool { return g.m != nil && g.cl == cl }

// drop stops using the GPU (keeping the device unless it faulted).
func (g *gpuState) drop(reason string, faulted bool) {
	if g.m != nil {
		g.m.Release()
		g.m, g.cl = nil, nil
	}
	if faulted && g.dev != nil {
		g.dev = nil // a lost or broken device is not reused; a later setBackend opens a new one
	}
	g.reason = reason
}

// ensure opens the device if needed and compiles the page's model for it.
// It runs inside an actor job, so the model it compiles cannot change
// while it awaits the device.
func (g *gpuState) ensure(force bool) error {
	if st.cl == nil {
		return coded(CodeNoModel, "no model is loaded")
	}
	if g.dev == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		dev, err := webgpu.Open(ctx)
		cancel()
		if err != nil {
			return err
		}
		if !force && strings.HasSuffix(dev.Name(), "(fallback)") {
			dev.Close()
			return fmt.Errorf("only a software adapter (%s) is available, and the CPU path is faster", dev.Name())
		}
		dev.OnFault(func(err error) { onFault(dev, err) })
		g.dev = dev
	}
	if g.active(st.cl) {
		return nil
	}
	if g.m != nil {
		g.m.Release()
		g.m, g.cl = nil, nil
	}
	m, err := g.dev.Compile(st.cl.Program)
	if err != nil {
		return err
	}
	g.m, g.cl, g.reason = m, st.cl, ""
	return nil
}

// onFault queues the handling of a device fault: the device reports it on
// a goroutine of its own, outside the actor. A job that sees the fault
// itself (runGPU) calls gpuFault directly.
func onFault(dev *webgpu.Device, err error) {
	select {
	case jobs <- job{name: "fault", fn: func() (any, error) { gpuFault(dev, err); return nil, nil }, resolve: noop(), reject: noop()}:
	default: // the queue is full: the next GPU run fails and reports it
	}
}

// noop is a JS function that does nothing: Function.prototype, which is
// callable. (Not new Function(""): that evaluates a string, which the
// site's Content-Security-Policy forbids.)
func noop() js.Value { return js.Global().Get("Function").Get("prototype") }

func gpuFault(dev *webgpu.Device, err error) {
	if st.gpu.dev != dev {
		return // an old device
	}
	st.gpu.drop("WebGPU failed: "+err.Error(), true)
	emit("notice", map[string]any{"message": "WebGPU stopped working (" + err.Error() + "). Glimpse switched to the CPU; results continue."})
	emit("model", info())
}

// useGPU applies the preference after the page's model changed.
func useGPU() {
	if st.gpu.pref == "cpu" {
		st.gpu.drop("the CPU was chosen in the settings", false)
		return
	}
	if err := st.gpu.ensure(st.gpu.pref == "webgpu"); err != nil {
		st.gpu.drop(err.Error(), false)
		if st.gpu.pref == "webgpu" {
			emit("notice", map[string]any{"message": "WebGPU is not available here (" + err.Error() + "); using the CPU."})
		}
	}
}

// setBackend(pref) → info(); pref is auto, webgpu or cpu.
func setBackend(args []js.Value) (any, error) {
	pref := "auto"
	if len(args) > 0 && args[0].Type() == js.TypeString {
		pref = args[0].String()
	}
	switch pref {
	case "auto", "webgpu", "cpu":
	default:
		return nil, coded(CodeBackend, "backend must be auto, webgpu or cpu, not %q", pref)
	}
	st.gpu.pref = pref
	if f := host().Get("_savePref"); f.Type() == js.TypeFunction {
		f.Invoke(pref)
	}
	useGPU()
	return info(), nil
}

// injectFault(kind) makes the device fail ("lost" or "validation"), to test
// the switch to the CPU.
func injectFault(args []js.Value) (any, error) {
	if st.gpu.dev == nil {
		return nil, coded(CodeBackend, "WebGPU is not in use")
	}
	kind := "lost"
	if len(args) > 0 {
		kind = args[0].String()
	}
	if err := st.gpu.dev.InjectFault(kind); err != nil {
		return nil, &Error{Code: CodeBadArgument, Err: err}
	}
	return map[string]any{"ok": true}, nil
}

// runGPU runs the preprocessed input of the page's classifier on the GPU
// and waits for the result — an actor job, so ops without a GPU kernel can
// map their inputs back and run on the CPU in between; on a fault it
// re-runs on the CPU.
func runGPU(cl *model.Classifier, k int, t0 time.Time, raw bool) (any, error) {
	// The actor runs one job at a time, so the classifier's input stays as
	// it is until this job ends: a CPU re-run after a fault reads it again.
	pend, err := st.gpu.m.Submit(cl.Input())
	var out []float32
	if err == nil {
		out, err = pend.Wait()
	}
	backend := "webgpu"
	if err != nil {
		if st.gpu.m != nil && st.gpu.dev != nil {
			gpuFault(st.gpu.dev, err)
		}
		if err := cl.Program.Execute(); err != nil {
			return nil, &Error{Code: CodeClassify, Err: err}
		}
		out, backend = cl.Program.Outputs[0].F, "cpu"
	}
	ms := float64(time.Since(t0).Microseconds()) / 1000
	if raw {
		return map[string]any{"backend": backend, "ms": ms, "output": jsval.Float32Array(out)}, nil
	}
	return map[string]any{"backend": backend, "ms": ms, "top": results(cl.TopK(out, k))}, nil
}

func results(top []vision.Result) []any {
	list := make([]any, len(top))
	for i, r := range top {
		list[i] = map[string]any{"index": r.Index, "label": r.Label, "prob": float64(r.Prob)}
	}
	return list
}

func gpuInfo(m map[string]any) {
	m["backendPref"] = st.gpu.pref
	if st.gpu.active(st.cl) {
		m["backend"] = "webgpu"
		m["adapter"] = st.gpu.dev.Name()
		ops := st.gpu.m.CPUOps()
		list := make([]any, len(ops))
		for i, o := range ops {
			list[i] = o
		}
		m["cpuOps"] = list
	} else if st.gpu.reason != "" {
		m["gpuReason"] = st.gpu.reason
	}
}
