//go:build js && wasm

// The tests run compiled to wasm with a real WebGPU implementation:
//
//   - under Node with Dawn (npm webgpu@0.6.2, testdata/node-gpu.mjs) on
//     SwiftShader: every test, including the shared zoo and MobileNets,
//     which are read from ../../../shared, and the corpus Swins from
//     ../../.cache/corpus (see the Makefile's test-webgpu-node);
//   - inside headless Chromium through wasmbrowsertest (make test-webgpu):
//     with --enable-unsafe-webgpu every test, the model files read through
//     wasmbrowsertest's file-system bridge; without it, TestNoAdapter checks
//     that Open reports ErrUnavailable, the CPU-fallback path.
//
// GLIMPSE_WEBGPU=1 says an adapter must exist (the tests fail instead of
// skipping); GLIMPSE_WEBGPU=0 says none may exist.
package webgpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

var (
	dev    *Device
	devErr error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	dev, devErr = Open(ctx)
	cancel()
	if dev != nil {
		fmt.Printf("webgpu: adapter %q, f16 %v, packed dot %v, limits %+v\n", dev.Name(), dev.F16(), dev.PackedDot(), dev.Limits())
	} else {
		fmt.Printf("webgpu: no device: %v\n", devErr)
	}
	code := m.Run()
	if dev != nil {
		dev.Close()
	}
	os.Exit(code)
}

// needDevice skips (or, with GLIMPSE_WEBGPU=1, fails) without a device.
func needDevice(t testing.TB) *Device {
	t.Helper()
	if dev == nil {
		if os.Getenv("GLIMPSE_WEBGPU") == "1" {
			t.Fatalf("GLIMPSE_WEBGPU=1 but no device: %v", devErr)
		}
		t.Skipf("no WebGPU device: %v", devErr)
	}
	if err := dev.Err(); err != nil {
		t.Fatalf("the shared device has faulted: %v", err)
	}
	return dev
}

// Without an adapter (Chromium without --enable-unsafe-webgpu), Open must
// say so with ErrUnavailable, which is what sends the app to the CPU.
func TestNoAdapter(t *testing.T) {
	switch os.Getenv("GLIMPSE_WEBGPU") {
	case "0":
		if dev != nil {
			t.Fatalf("GLIMPSE_WEBGPU=0 but Open found %q", dev.Name())
		}
		if !errors.Is(devErr, ErrUnavailable) {
			t.Fatalf("Open: %v, want ErrUnavailable", devErr)
		}
		t.Logf("Open without an adapter: %v", devErr)
	default:
		if dev == nil && !errors.Is(devErr, ErrUnavailable) {
			t.Fatalf("Open failed with something other than ErrUnavailable: %v", devErr)
		}
		t.Skip("an adapter is expected here (GLIMPSE_WEBGPU != 0)")
	}
}

// compileBoth decodes an onnxtest model and compiles it for the CPU and
// for the GPU.
func compileBoth(t testing.TB, mb onnxtest.Model, opt cpu.Options) (*cpu.Program, *Model) {
	t.Helper()
	d := needDevice(t)
	g, err := onnx.Decode(mb.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, opt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Release)
	checkPlace(t, p, m)
	return p, m
}

// checkPlace checks that Place, which needs no device, made the decisions
// Compile made: the same nodes on the CPU for the same reasons, and the
// same number of dispatches.
func checkPlace(t testing.TB, p *cpu.Program, m *Model) {
	t.Helper()
	places, err := Place(p)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	var onCPU []string
	n := 0
	for _, pl := range places {
		if pl.Where == "cpu" {
			onCPU = append(onCPU, pl.Node.Label()+": "+pl.Why)
		}
		n += pl.Dispatches
	}
	if strings.Join(onCPU, "\n") != strings.Join(m.CPUOps(), "\n") || n != m.Dispatches() {
		t.Errorf("Place: CPU ops %q and %d dispatches; Compile: %q and %d", onCPU, n, m.CPUOps(), m.Dispatches())
	}
}

func randVec(r *rand.Rand, n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float32()
	}
	return v
}

// compare checks |got-want| <= atol + rtol·|want| elementwise (NaN matches
// NaN) and returns the largest difference.
func compare(t testing.TB, what string, got, want []float32, atol, rtol float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst, bad := 0.0, 0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(w) || math.IsNaN(g) {
			if math.IsNaN(w) != math.IsNaN(g) {
				if bad < 5 {
					t.Errorf("%s[%d]: got %g, want %g", what, i, g, w)
				}
				bad++
			}
			continue
		}
		d := math.Abs(g - w)
		if math.IsInf(w, 0) && g == w {
			d = 0
		}
		if d > worst {
			worst = d
		}
		if !(d <= atol+rtol*math.Abs(w)) {
			if bad < 5 {
				t.Errorf("%s[%d]: got %g, want %g (diff %.3g)", what, i, g, w, d)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside atol %g rtol %g (worst %.3g)", what, bad, len(want), atol, rtol, worst)
	}
	return worst
}

// runBoth runs both backends on one input and compares.
func runBoth(t testing.TB, p *cpu.Program, m *Model, in []float32, atol, rtol float64) float64 {
	t.Helper()
	want, err := p.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	want = append([]float32(nil), want...)
	got, err := m.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return compare(t, "output", got, want, atol, rtol)
}
