package model

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

// Load with Verify keeps the optimised program when it matches the
// reference, and falls back to the unoptimised one, saying why, when it
// does not (here: a test hook breaks the optimised program's output).
func TestVerifyFallsBack(t *testing.T) {
	dir := filepath.Join(shared, "models", "mobilenet_v1_0.25_128")
	m, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Skipf("shared model not available: %v", err)
	}
	photo, err := os.ReadFile(filepath.Join(shared, "photos", "dog.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := imagefile.Decode(photo)
	if err != nil {
		t.Fatal(err)
	}
	files := Files{Name: "v1.onnx", Model: m, Verify: true}

	good, err := Load(files)
	if err != nil {
		t.Fatal(err)
	}
	if good.Check == nil || good.Check.Verdict != check.OK || good.Fallback != "" || good.Notice() != "" {
		t.Fatalf("healthy model: check %+v, fallback %q", good.Check, good.Fallback)
	}
	if good.Program.Fused == 0 || good.Check.Unoptimised != nil {
		t.Errorf("healthy model: fused %d (want the optimised program); unoptimised program kept", good.Program.Fused)
	}
	want, _, err := good.Classify(img, 5)
	if err != nil {
		t.Fatal(err)
	}

	// The same model, its optimised program broken on purpose inside the
	// check: Verify must switch to the unoptimised one.
	files.Verify = false
	broken, err := Load(files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broken.Verify(check.Options{Runs: 1, Execute: func(p *cpu.Program) error {
		err := p.Execute()
		p.Outputs[0].F[7] += 0.5
		return err
	}}); err != nil {
		t.Fatal(err)
	}
	if broken.Check.Verdict != check.Mismatch || !strings.HasPrefix(broken.Notice(), "using the unoptimised program because output ") ||
		!strings.Contains(broken.Notice(), "differs from the reference by 0.5") {
		t.Fatalf("verdict %q, notice %q", broken.Check.Verdict, broken.Notice())
	}
	if broken.Program.Fused != 0 || len(broken.Program.Graph.Nodes) != broken.Check.Compile.PlainRuns {
		t.Fatalf("the optimised program still runs: %d fused, %d nodes", broken.Program.Fused, len(broken.Program.Graph.Nodes))
	}
	got, _, err := broken.Classify(img, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i].Index != want[i].Index || math.Abs(float64(got[i].Prob-want[i].Prob)) > 1e-4 {
			t.Errorf("rank %d: %+v with the fallback, %+v optimised", i, got[i], want[i])
		}
	}
}
