//go:build js && wasm

package webgpu

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// The shared models are read from disk: under Node directly, in the browser
// through wasmbrowsertest's file-system bridge. Where they are missing, the
// tests that need them skip.
const shared = "../../../shared"

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func compileFile(t testing.TB, path string) (*cpu.Program, *Model) {
	t.Helper()
	d := needDevice(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("model file not readable here: %v", err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	m, err := d.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Release)
	checkPlace(t, p, m)
	t.Logf("GPU compile %v: %d dispatches, CPU ops %q", time.Since(t0).Round(time.Millisecond), m.Dispatches(), m.CPUOps())
	if len(m.CPUOps()) != 0 {
		t.Errorf("ops on the CPU: %q", m.CPUOps())
	}
	return p, m
}

var zooModels = []string{"squeezenet1_1", "shufflenet_v2_x0_5", "shufflenet_v2_x0_5_bn", "mobilenet_v3_small",
	"mnasnet0_5", "efficientnet_b0", "regnet_x_400mf", "vit_tiny_p16_opset13", "vit_tiny_p16_opset17"}

// Every zoo model on both reference inputs: the GPU against ONNX Runtime
// within meta.json's tolerance_suggestion (|got−ref| ≤ atol + rtol·|ref|,
// unchanged: no relaxation was needed), and against the CPU backend within
// the same bound.
func TestZoo(t *testing.T) {
	for _, name := range zooModels {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(shared, "zoo", name)
			p, m := compileFile(t, filepath.Join(dir, "model.onnx"))
			var meta struct {
				Tol struct{ Atol, Rtol float64 } `json:"tolerance_suggestion"`
			}
			mb, err := os.ReadFile(filepath.Join(dir, "meta.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(mb, &meta); err != nil || meta.Tol.Atol == 0 {
				t.Fatalf("meta.json: no tolerance_suggestion (%v)", err)
			}
			var worstORT, worstCPU float64
			for k := 0; k < 2; k++ {
				in := readF32(t, filepath.Join(dir, fmt.Sprintf("input_%d.bin", k)))
				ref := readF32(t, filepath.Join(dir, fmt.Sprintf("output_%d.bin", k)))
				t0 := time.Now()
				got, err := m.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				dt := time.Since(t0)
				want, err := p.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				worstORT = max(worstORT, compare(t, fmt.Sprintf("input_%d vs ORT", k), got, ref, meta.Tol.Atol, meta.Tol.Rtol))
				worstCPU = max(worstCPU, compare(t, fmt.Sprintf("input_%d vs CPU", k), got, want, meta.Tol.Atol, meta.Tol.Rtol))
				t.Logf("input_%d: GPU run %v", k, dt.Round(time.Millisecond))
			}
			t.Logf("%s: max |gpu−ORT| %.3g, max |gpu−cpu| %.3g (atol %g rtol %g)", name, worstORT, worstCPU, meta.Tol.Atol, meta.Tol.Rtol)
		})
	}
}

// Both MobileNets (the app's models) against the CPU backend: logits within
// 1e-4 + 1e-4·|cpu|... these graphs end in Softmax, so the outputs are
// probabilities and the bound is 1e-5 absolute; the top class must agree.
func TestMobileNets(t *testing.T) {
	for _, name := range []string{"mobilenet_v2_1.0_224", "mobilenet_v1_0.25_128"} {
		t.Run(name, func(t *testing.T) {
			p, m := compileFile(t, filepath.Join(shared, "models", name, "model.onnx"))
			r := rand.New(rand.NewSource(12))
			for k := 0; k < 2; k++ {
				in := randVec(r, p.Inputs[0].Len(), -1, 1)
				want, err := p.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				want = append([]float32(nil), want...)
				t0 := time.Now()
				got, err := m.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				dt := time.Since(t0)
				worst := compare(t, "probabilities", got, want, 1e-5, 0)
				if a, b := argmax(got), argmax(want); a != b {
					t.Errorf("top class %d on the GPU, %d on the CPU", a, b)
				}
				t.Logf("run %d: GPU %v, max |gpu−cpu| %.3g, top p %.4f", k, dt.Round(time.Millisecond), worst, want[argmax(want)])
			}
		})
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// smallModel is a conv, pool, gemm and softmax classifier for the tests of
// the run machinery.
func smallModel() onnxtest.Model {
	r := rand.New(rand.NewSource(13))
	return tiny([]int{1, 3, 16, 16}, 13, []onnxtest.Init{randInit(r, "w", []int{8, 3, 3, 3}, -1, 1), randInit(r, "b", []int{8}, -1, 1),
		randInit(r, "g", []int{8, 10}, -1, 1)},
		n1("Conv", []string{"x", "w", "b"}, "c", ints("pads", 1, 1, 1, 1)), n1("Relu", []string{"c"}, "a"),
		n1("GlobalAveragePool", []string{"a"}, "p"), n1("Flatten", []string{"p"}, "f"),
		n1("Gemm", []string{"f", "g"}, "l"), n1("Softmax", []string{"l"}, "y"))
}

// Running creates no GPU object: 1000 runs of a small model leave the
// device's creation counts where Compile left them.
func TestNoGrowth(t *testing.T) {
	p, m := compileBoth(t, smallModel(), cpu.Options{})
	d := m.d
	in := randVec(rand.New(rand.NewSource(14)), p.Inputs[0].Len(), -1, 1)
	if _, err := m.Run(in); err != nil {
		t.Fatal(err)
	}
	before := d.Created()
	t0 := time.Now()
	for i := 0; i < 1000; i++ {
		if _, err := m.Run(in); err != nil {
			t.Fatal(err)
		}
	}
	after := d.Created()
	if after != before {
		t.Errorf("1000 runs created GPU objects: before %+v, after %+v", before, after)
	}
	t.Logf("1000 runs in %v; created %+v", time.Since(t0).Round(time.Millisecond), after)
}

// Two runs in flight (Submit, Submit, Wait, Wait) give each its own result.
func TestPipelined(t *testing.T) {
	p, m := compileBoth(t, smallModel(), cpu.Options{})
	r := rand.New(rand.NewSource(15))
	var ins, wants [][]float32
	for k := 0; k < 5; k++ {
		in := randVec(r, p.Inputs[0].Len(), -1, 1)
		want, err := p.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		ins, wants = append(ins, in), append(wants, append([]float32(nil), want...))
	}
	var pend []*Pending
	for k, in := range ins {
		pd, err := m.Submit(in)
		if err != nil {
			t.Fatal(err)
		}
		pend = append(pend, pd)
		if k >= 1 { // keep two in flight: wait for the older one
			got, err := pend[k-1].Wait()
			if err != nil {
				t.Fatal(err)
			}
			compare(t, fmt.Sprintf("run %d", k-1), got, wants[k-1], 1e-6, 1e-5)
		}
	}
	got, err := pend[len(pend)-1].Wait()
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "last run", got, wants[len(wants)-1], 1e-6, 1e-5)
	// Submitting past the slots waits for the oldest; every result survives.
	a, _ := m.Submit(ins[0])
	b, _ := m.Submit(ins[1])
	c, _ := m.Submit(ins[2])
	for i, pd := range []*Pending{a, b, c} {
		got, err := pd.Wait()
		if err != nil {
			t.Fatal(err)
		}
		compare(t, fmt.Sprintf("overlapped %d", i), got, wants[i], 1e-6, 1e-5)
	}
}

// A device of its own for the fault tests: they break it.
func openOwn(t *testing.T) *Device {
	needDevice(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func compileOn(t *testing.T, d *Device) (*cpu.Program, *Model) {
	g, err := onnx.Decode(smallModel().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, m
}

// withTimeout runs f and fails the test if it has not returned in 20 s.
func withTimeout(t *testing.T, what string, f func()) {
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s hangs", what)
	}
}

// Losing the device (here device.destroy(), as a driver reset would) calls
// the fault callback with a useful error, and Run fails instead of hanging,
// both for a run in flight and for the next one.
func TestDeviceLost(t *testing.T) {
	d := openOwn(t)
	p, m := compileOn(t, d)
	in := randVec(rand.New(rand.NewSource(16)), p.Inputs[0].Len(), -1, 1)
	if _, err := m.Run(in); err != nil {
		t.Fatal(err)
	}
	faults := make(chan error, 4)
	d.OnFault(func(err error) { faults <- err })
	pend, err := m.Submit(in)
	if err != nil {
		t.Fatal(err)
	}
	d.dev.Call("destroy")
	withTimeout(t, "Wait after device loss", func() {
		if _, err := pend.Wait(); err != nil {
			t.Logf("run in flight: %v", err)
		} // it may also have finished before the loss
	})
	select {
	case err := <-faults:
		if !strings.Contains(err.Error(), "lost") {
			t.Errorf("fault %q does not say the device was lost", err)
		}
		t.Logf("fault: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no fault callback after device.destroy()")
	}
	withTimeout(t, "Run after device loss", func() {
		if _, err := m.Run(in); err == nil {
			t.Error("Run on a lost device succeeded")
		} else {
			t.Logf("Run after loss: %v", err)
		}
	})
	m.Release()
}

// An invalid command (a buffer with usages WebGPU forbids together) raises
// an uncaptured validation error: the fault callback gets it, and the next
// Run reports it instead of returning results of unknown worth.
func TestValidationErrorFault(t *testing.T) {
	d := openOwn(t)
	defer d.Close()
	p, m := compileOn(t, d)
	defer m.Release()
	faults := make(chan error, 4)
	d.OnFault(func(err error) { faults <- err })
	d.dev.Call("createBuffer", map[string]any{"size": 16, "usage": usageMapRead | usageStorage})
	in := randVec(rand.New(rand.NewSource(17)), p.Inputs[0].Len(), -1, 1)
	// Chromium reports the error once its commands are flushed: a run
	// flushes them (and may itself still succeed).
	withTimeout(t, "Run after an invalid command", func() { m.Run(in) })
	select {
	case err := <-faults:
		if !strings.Contains(err.Error(), "Validation") && !strings.Contains(err.Error(), "usage") {
			t.Errorf("fault %q is not the validation error", err)
		}
		t.Logf("fault: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no fault callback after an invalid createBuffer")
	}
	withTimeout(t, "Run after a fault", func() {
		if _, err := m.Run(in); err == nil {
			t.Error("Run after a fault succeeded")
		}
	})
}

// Compile fails clearly, and leaves the device usable, when a model needs
// more than the device allows.
func TestLimitError(t *testing.T) {
	d := needDevice(t)
	g, err := onnx.Decode(smallModel().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	saved := d.limits
	d.limits.MaxStorageBufferBindingSize = 256
	_, err = d.Compile(p)
	d.limits = saved
	if err == nil || !strings.Contains(err.Error(), "maxStorageBufferBindingSize") {
		t.Fatalf("Compile with a 256-byte binding limit: %v", err)
	}
	t.Logf("Compile: %v", err)
	if d.Err() != nil {
		t.Fatalf("the device faulted: %v", d.Err())
	}
}

// corpus is the small differential corpus (make corpus), from the package directory.
const corpus = "../../.cache/corpus/small"

// torchvision's Swin from the differential corpus, on both reference
// inputs, against ONNX Runtime within meta.json's tolerance (|got−ref| ≤
// atol + rtol·|ref|). Each attention and MLP block ends in a Dropout whose
// mask output is named; the GPU once zeroed those outputs (a CPU fallback
// uploaded a data output the CPU kernel never writes), off by 0.2. Pad has
// no GPU kernel and stays on the CPU; nothing else may.
func TestCorpusSwin(t *testing.T) {
	for _, name := range []string{"swin_s_op17_dyn", "dropout_swin_s_op17_dyn"} {
		t.Run(name, func(t *testing.T) {
			d := needDevice(t)
			dir := filepath.Join(corpus, name)
			data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Skipf("no corpus model here (make corpus writes .cache/corpus): %v", err)
			}
			var meta struct {
				NumCases  int `json:"num_cases"`
				Tolerance struct{ Atol, Rtol float64 }
			}
			mb, err := os.ReadFile(filepath.Join(dir, "meta.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(mb, &meta); err != nil || meta.Tolerance.Atol == 0 || meta.NumCases == 0 {
				t.Fatalf("meta.json: no tolerance or cases (%v)", err)
			}
			g, err := onnx.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := cpu.Compile(g, cpu.Options{})
			if err != nil {
				t.Fatal(err)
			}
			m, err := d.Compile(p)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Release()
			checkPlace(t, p, m)
			for _, op := range m.CPUOps() {
				if !strings.Contains(op, "(Pad)") {
					t.Errorf("on the CPU: %s", op)
				}
			}
			worst := 0.0
			for k := 0; k < meta.NumCases; k++ {
				in := readF32(t, filepath.Join(dir, fmt.Sprintf("input_%d.bin", k)))
				ref := readF32(t, filepath.Join(dir, fmt.Sprintf("output_%d.bin", k)))
				got, err := m.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				worst = max(worst, compare(t, fmt.Sprintf("input_%d vs ORT", k), got, ref, meta.Tolerance.Atol, meta.Tolerance.Rtol))
			}
			t.Logf("%s: %d dispatches, %d ops on the CPU, max |gpu−ORT| %.3g (atol %g rtol %g)",
				name, m.Dispatches(), len(m.CPUOps()), worst, meta.Tolerance.Atol, meta.Tolerance.Rtol)
		})
	}
}
