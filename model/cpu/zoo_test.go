package cpu_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
)

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

func compileFile(t testing.TB, path string, opt cpu.Options) *cpu.Program {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type zooMeta struct {
	Tolerance struct {
		Atol float64 `json:"atol"`
		Rtol float64 `json:"rtol"`
	} `json:"tolerance_suggestion"`
}

var zooModels = []string{"squeezenet1_1", "shufflenet_v2_x0_5", "shufflenet_v2_x0_5_bn", "mobilenet_v3_small",
	"mnasnet0_5", "efficientnet_b0", "regnet_x_400mf", "vit_tiny_p16_opset13", "vit_tiny_p16_opset17"}

// Every zoo model, on both reference inputs, matches ONNX Runtime's outputs
// within the tolerance its meta.json suggests: |got-ref| <= atol + rtol*|ref|,
// checked on all 1000 logits, with fusion on and off.
func TestZooMatchesONNXRuntime(t *testing.T) {
	for _, name := range zooModels {
		for _, fusion := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/fusion=%v", name, fusion), func(t *testing.T) {
				dir := filepath.Join(shared, "zoo", name)
				p := compileFile(t, filepath.Join(dir, "model.onnx"), cpu.Options{NoFusion: !fusion})
				var meta zooMeta
				mb, err := os.ReadFile(filepath.Join(dir, "meta.json"))
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(mb, &meta); err != nil {
					t.Fatal(err)
				}
				if meta.Tolerance.Atol == 0 {
					t.Fatal("meta.json has no tolerance_suggestion")
				}
				worst := 0.0
				for k := 0; k < 2; k++ {
					in := readF32(t, filepath.Join(dir, fmt.Sprintf("input_%d.bin", k)))
					ref := readF32(t, filepath.Join(dir, fmt.Sprintf("output_%d.bin", k)))
					got, err := p.Run(in)
					if err != nil {
						t.Fatal(err)
					}
					// A second run on the input left in place gives the
					// same numbers, bit for bit.
					first := append([]float32(nil), got...)
					if err := p.Execute(); err != nil {
						t.Fatal(err)
					}
					if d := graph.MaxAbsDiff(first, p.Outputs[0].F); d != 0 || !slices.Equal(first, p.Outputs[0].F) {
						t.Fatalf("input_%d: the second run differs from the first by up to %g", k, d)
					}
					assertInputsKept(t, p)
					if allocs := testing.AllocsPerRun(1, func() { _ = p.Execute() }); allocs != 0 {
						t.Errorf("a run allocates %.0f times", allocs)
					}
					if len(got) != len(ref) {
						t.Fatalf("output has %d values, reference %d", len(got), len(ref))
					}
					bad := 0
					for i := range ref {
						d := math.Abs(float64(got[i]) - float64(ref[i]))
						if !(d <= meta.Tolerance.Atol+meta.Tolerance.Rtol*math.Abs(float64(ref[i]))) {
							if bad < 5 {
								t.Errorf("input_%d logit %d: got %g, ORT %g (diff %.3g)", k, i, got[i], ref[i], d)
							}
							bad++
						}
						if !(d <= worst) {
							worst = d
						}
					}
					if bad > 0 {
						t.Errorf("input_%d: %d of %d logits outside atol %g rtol %g", k, bad, len(ref), meta.Tolerance.Atol, meta.Tolerance.Rtol)
					}
				}
				t.Logf("%s fusion=%v: worst |diff| %.3g (atol %g), %d nodes run, %d folded, %d fused, arena %d KiB",
					name, fusion, worst, meta.Tolerance.Atol, len(p.Graph.Nodes), p.Folded, p.Fused, p.ArenaBytes/1024)
			})
		}
	}
}

// assertInputsKept fails when a run-time tensor of the plan shares memory
// with a graph input (other than a view of that input): a second run
// would then read a clobbered input.
func assertInputsKept(t *testing.T, p *cpu.Program) {
	t.Helper()
	span := func(x *graph.Tensor) (lo, hi uintptr) {
		if x.DType != graph.Float32 || len(x.F) == 0 {
			return 0, 0
		}
		lo = uintptr(unsafe.Pointer(unsafe.SliceData(x.F)))
		return lo, lo + 4*uintptr(len(x.F))
	}
	for _, in := range p.Inputs {
		ilo, ihi := span(in)
		if ilo == ihi {
			continue
		}
		for _, st := range p.Plan() {
			if st.Alias {
				continue
			}
			for _, o := range st.Out {
				if o == nil {
					continue
				}
				if lo, hi := span(o); lo < ihi && ilo < hi {
					t.Fatalf("%s writes %v over the graph input's memory", st.Node.Label(), o.Shape)
				}
			}
		}
	}
}
