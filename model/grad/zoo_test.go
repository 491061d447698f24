package grad_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/grad"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
)

const shared = "../../../shared"

// zooInput is the model's first reference input (the zoo's input_0.bin),
// or, for a model without one, N(0, 1) values.
func zooInput(dir string, n int) []float32 {
	out := make([]float32, n)
	if b, err := os.ReadFile(filepath.Join(dir, "input_0.bin")); err == nil && len(b) == 4*n {
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// logits is the tensor a class score is read from: the input of the
// model's final Softmax (through aliases), else the output itself.
func logits(p *cpu.Program) *graph.Tensor {
	out := p.Outputs[0]
	plan := p.Plan()
	for t := out; ; {
		i := len(plan) - 1
		for ; i >= 0 && (len(plan[i].Out) == 0 || plan[i].Out[0] != t); i-- {
		}
		if i < 0 {
			return out
		}
		s := plan[i]
		if s.Alias {
			t = s.In[0]
			continue
		}
		if s.Node.Op == "Softmax" && s.In[0].Len() == out.Len() {
			return s.In[0]
		}
		return out
	}
}

// Every shared model (the zoo's and models/) has a gradient from its top
// logit back to its input: New succeeds (no op on the way lacks a VJP),
// and at the 8 input elements with the largest gradient, the gradient
// matches a central finite difference of the float32 program:
// |g − fd| ≤ 5e-2·|g| + 1e-2·max|g| (relative, with an absolute floor at
// 1% of the largest gradient). No one step h (in the model's normalised,
// unit-scale input units) suits every model, so steps 2e-2, 5e-3, 1e-3,
// 5e-4 and 2.5e-4 are tried in turn until one matches: a ReLU/Clip/MaxPool
// kink crossed within ±h makes the difference a blend of two slopes (in
// the ReLU networks h = 2e-2 is off by 10–40% at most of these elements,
// h = 1e-3 at about one in ten), while the float32 rounding of a logit
// (an ulp of ~1e-6, over 2h) is 15% of the ViTs' small gradients (max
// 4e-3) at h = 1e-3 but 1% at 2e-2, where the smooth ViTs match. An
// element no step matches fails, unless the differences disagree among
// themselves by more than the tolerance (a kink, or rounding): it is then
// skipped, and at most 2 of the 8 may be. A wrong gradient would need a
// step whose difference happens to land on it.
func TestZooGradients(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs every shared model")
	}
	files, _ := filepath.Glob(filepath.Join(shared, "zoo", "*", "model.onnx"))
	more, _ := filepath.Glob(filepath.Join(shared, "models", "*", "model.onnx"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Skip("shared models not available")
	}
	for _, f := range files {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t0 := time.Now()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := onnx.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := cpu.Compile(g, cpu.Options{NoReuse: true})
			if err != nil {
				t.Fatal(err)
			}
			x := p.Inputs[0]
			copy(x.F, zooInput(dir, len(x.F)))
			seed := logits(p)
			plan, err := grad.New(p, []*graph.Tensor{seed}, []*graph.Tensor{x})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Execute(); err != nil {
				t.Fatal(err)
			}
			top := 0
			for i, v := range seed.F {
				if v > seed.F[top] {
					top = i
				}
			}
			oneHot := make([]float32, len(seed.F))
			oneHot[top] = 1
			gr, err := plan.Backward(map[*graph.Tensor][]float32{seed: oneHot})
			if err != nil {
				t.Fatal(err)
			}
			gx := append([]float32(nil), gr[x]...)
			seedMap := map[*graph.Tensor][]float32{seed: oneHot}
			if allocs := testing.AllocsPerRun(1, func() { _, _ = plan.Backward(seedMap) }); allocs != 0 {
				t.Errorf("a Backward allocates %.0f times", allocs)
			}
			unfusedAgrees(t, g, x.F, top, gx)
			order := make([]int, len(gx))
			gmax := 0.0
			for i := range order {
				order[i] = i
				gmax = max(gmax, math.Abs(float64(gx[i])))
			}
			if gmax == 0 || math.IsNaN(gmax) || math.IsInf(gmax, 0) {
				t.Fatalf("the input gradient's largest magnitude is %v", gmax)
			}
			sort.Slice(order, func(a, b int) bool { return math.Abs(float64(gx[order[a]])) > math.Abs(float64(gx[order[b]])) })
			score := func() float64 {
				if err := p.Execute(); err != nil {
					t.Fatal(err)
				}
				return float64(seed.F[top])
			}
			fd := func(i int, h float32) float64 {
				v := x.F[i]
				x.F[i] = v + h
				lp := score()
				x.F[i] = v - h
				lm := score()
				x.F[i] = v
				return (lp - lm) / (2 * float64(h))
			}
			const rtol, floor = 5e-2, 1e-2
			steps := []float32{2e-2, 5e-3, 1e-3, 5e-4, 2.5e-4}
			checked, skipped, worst := 0, 0, 0.0
			for _, i := range order[:8] {
				gi := float64(gx[i])
				tol := rtol*math.Abs(gi) + floor*gmax
				// The first step whose difference matches: a kink within
				// ±h spoils the larger steps, float32 rounding the smaller.
				var ns []float64
				ok := false
				for _, hh := range steps {
					n := fd(i, hh)
					ns = append(ns, n)
					if math.Abs(gi-n) <= tol {
						ok = true
						worst = max(worst, math.Abs(gi-n)/tol)
						break
					}
				}
				if ok {
					checked++
					continue
				}
				lo, hi := slices.Min(ns), slices.Max(ns)
				if hi-lo > tol {
					skipped++
					t.Logf("input[%d]: skipped, differences %.4g at steps %g disagree (a kink), gradient %.4g", i, ns, steps, gi)
					continue
				}
				t.Errorf("input[%d]: gradient %.5g, finite differences %.5g at steps %g", i, gi, ns, steps)
			}
			if skipped > 2 {
				t.Errorf("%d of 8 elements skipped at kinks", skipped)
			}
			t.Logf("logit %d: %d backward steps, max|g| %.3g, %d checked, %d skipped, worst |g−fd| %.2g of the tolerance; %.1fs",
				top, plan.Steps, gmax, checked, skipped, worst, time.Since(t0).Seconds())
		})
	}
}

// unfusedAgrees checks the gradient of the same logit through the program
// compiled without fusion (unfused Relu, Clip, BatchNormalization, Add,
// Sigmoid, …): ‖g − g_unfused‖₂ ≤ 1e-2·‖g‖₂. The two programs compute the
// same function up to float32 rounding, which can flip a ReLU whose input
// is near 0, so a few elements may differ more than rounding would.
func unfusedAgrees(t *testing.T, g *graph.Graph, in []float32, top int, want []float32) {
	t.Helper()
	p, err := cpu.Compile(g, cpu.Options{NoReuse: true, NoFusion: true})
	if err != nil {
		t.Fatal(err)
	}
	x := p.Inputs[0]
	copy(x.F, in)
	seed := logits(p)
	plan, err := grad.New(p, []*graph.Tensor{seed}, []*graph.Tensor{x})
	if err != nil {
		t.Fatalf("without fusion: %v", err)
	}
	if err := p.Execute(); err != nil {
		t.Fatal(err)
	}
	oneHot := make([]float32, len(seed.F))
	oneHot[top] = 1
	gr, err := plan.Backward(map[*graph.Tensor][]float32{seed: oneHot})
	if err != nil {
		t.Fatal(err)
	}
	var d2, n2 float64
	for i, v := range gr[x] {
		d := float64(v) - float64(want[i])
		d2 += d * d
		n2 += float64(want[i]) * float64(want[i])
	}
	if r := math.Sqrt(d2 / n2); !(r <= 1e-2) {
		t.Errorf("without fusion (%d backward steps) the gradient differs by %.3g of its norm", plan.Steps, r)
	} else {
		t.Logf("without fusion: %d backward steps, relative difference %.2g", plan.Steps, r)
	}
}
