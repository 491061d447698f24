//go:build js && wasm

package simd

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/onnx"
)

// zooDir is the shared zoo (GLIMPSE_ZOO overrides).
func zooDir() string {
	if d := os.Getenv("GLIMPSE_ZOO"); d != "" {
		return d
	}
	return filepath.Join(shared, "zoo")
}

func loadZoo(t testing.TB, name string) (*cpu.Program, string, [2]float64) {
	t.Helper()
	dir := filepath.Join(zooDir(), name)
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Skipf("zoo not available: %v", err)
	}
	var meta struct {
		Tolerance struct{ Atol, Rtol float64 } `json:"tolerance_suggestion"`
	}
	mb, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &meta); err != nil || meta.Tolerance.Atol == 0 {
		t.Fatalf("meta.json: no tolerance (%v)", err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p, dir, [2]float64{meta.Tolerance.Atol, meta.Tolerance.Rtol}
}

// The zoo models whose activations go through ops.wasm (SiLU, HardSwish,
// Sigmoid gates, GELU/Erf) match ONNX Runtime within their tolerances with
// every SIMD kernel on.
func TestZooActsMatchONNXRuntime(t *testing.T) {
	needSIMD(t)
	if kern.VecAct() == nil {
		t.Fatal("ops.wasm not installed")
	}
	for _, name := range []string{"efficientnet_b0", "mobilenet_v3_small", "mnasnet0_5", "vit_tiny_p16_opset13", "vit_tiny_p16_opset17"} {
		t.Run(name, func(t *testing.T) {
			p, dir, tol := loadZoo(t, name)
			for k := range 2 {
				in := filepath.Join(dir, "input_"+string(rune('0'+k))+".bin")
				if _, err := os.Stat(in); err != nil {
					continue
				}
				out, err := p.Run(readF32(t, in))
				if err != nil {
					t.Fatal(err)
				}
				ref := readF32(t, filepath.Join(dir, "output_"+string(rune('0'+k))+".bin"))
				if len(out) != len(ref) {
					t.Fatalf("%d outputs, want %d", len(out), len(ref))
				}
				worst, ratio := 0.0, 0.0
				for i := range ref {
					d := math.Abs(float64(out[i]) - float64(ref[i]))
					lim := tol[0] + tol[1]*math.Abs(float64(ref[i]))
					if !(d <= lim) {
						t.Fatalf("input %d logit %d: got %v, ONNX Runtime %v (tolerance %g)", k, i, out[i], ref[i], lim)
					}
					worst, ratio = max(worst, d), max(ratio, d/lim)
				}
				t.Logf("input %d: max |Δ| = %.3g (atol %g, rtol %g; %.0f%% of the tolerance)", k, worst, tol[0], tol[1], 100*ratio)
			}
		})
	}
}

// BenchmarkZoo times Program.Execute of zoo models: "simd" with every
// kernel, "noact" without ops.wasm (the activations in scalar float32
// polynomials). Median and min per run, in ms.
func BenchmarkZoo(b *testing.B) {
	needSIMD(b)
	va := kern.VecAct()
	for _, name := range []string{"efficientnet_b0", "mobilenet_v3_small"} {
		p, dir, _ := loadZoo(b, name)
		if _, err := p.Run(readF32(b, filepath.Join(dir, "input_0.bin"))); err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"simd", "noact"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				if mode == "noact" {
					kern.SetVecAct(nil)
					defer kern.SetVecAct(va)
				}
				if err := p.Execute(); err != nil {
					b.Fatal(err)
				}
				times := make([]float64, 0, b.N)
				b.ResetTimer()
				for range b.N {
					t0 := time.Now()
					if err := p.Execute(); err != nil {
						b.Fatal(err)
					}
					times = append(times, float64(time.Since(t0).Microseconds())/1000)
				}
				sort.Float64s(times)
				b.ReportMetric(times[len(times)/2], "median-ms")
				b.ReportMetric(times[0], "min-ms")
			})
		}
	}
}
