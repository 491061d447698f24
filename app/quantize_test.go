//go:build !(js && wasm) || nodecli

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// splitPhotos copies the shared photos into two folders: the even ones
// (in name order) to calibrate on, the odd ones to check on.
func splitPhotos(t *testing.T) (calib, check string, n int) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(shared, "photos"))
	if err != nil {
		t.Skipf("shared photos not available: %v", err)
	}
	var names []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".png", ".bmp":
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	calib, check = t.TempDir(), t.TempDir()
	for i, name := range names {
		data, err := os.ReadFile(filepath.Join(shared, "photos", name))
		if err != nil {
			t.Fatal(err)
		}
		dir := calib
		if i%2 == 1 {
			dir = check
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return calib, check, len(names)
}

var agreeLine = regexp.MustCompile(`top-1 agreement with the float model: (\d+)/(\d+) calibration photos, (\d+)/(\d+) -eval photos`)

// glimpse quantize on the shared MobileNets, calibrated on half the shared
// photos and checked on the other half: it writes a model that loads and
// classifies, and reports size, speed and agreement.
func TestQuantizeCommand(t *testing.T) {
	needShared(t)
	v1 := []string{filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx"), "-card", filepath.Join("..", "testdata", "cards", "mobilenet_v1_0.25_128.json")}
	v2 := []string{filepath.Join(shared, "models", "mobilenet_v2_1.0_224", "model.onnx"), "-card", filepath.Join("..", "model", "card", "mobilenet_v2_1.0_224.json")}
	calib, check, n := splitPhotos(t)
	for _, c := range []struct {
		name   string
		model  []string
		format string
		slow   bool
	}{
		{"v1 qdq", v1, "qdq", false},
		{"v1 qoperator", v1, "qoperator", false},
		{"v2 qdq", v2, "qdq", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && testing.Short() {
				t.Skip("-short")
			}
			out := filepath.Join(t.TempDir(), "int8.onnx")
			args := append([]string{"quantize"}, c.model...)
			args = append(args, "-calib", calib, "-eval", check, "-o", out, "-format", c.format, "-runs", "3")
			code, stdout, stderr := run(args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			t.Logf("%s", stdout)
			for _, want := range []string{"wrote " + out + ": " + c.format, "quantized: ", "Conv ", "size: ", "speed in Glimpse here: float "} {
				if !strings.Contains(stdout, want) {
					t.Errorf("output lacks %q", want)
				}
			}
			m := agreeLine.FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("no agreement line in %q", stdout)
			}
			a1, _ := strconv.Atoi(m[1])
			a2, _ := strconv.Atoi(m[3])
			if a1+a2 < n*3/4 {
				t.Errorf("top-1 agreement %d/%d under 3/4", a1+a2, n)
			}
			// The quantized model classifies.
			labels := filepath.Join(filepath.Dir(c.model[0]), "labels.txt")
			code, stdout, stderr = run("classify", "-model", out, "-card", c.model[2], "-labels", labels, filepath.Join(shared, "photos", "parrot.jpg"))
			if code != 0 || !strings.Contains(stdout, "macaw") {
				t.Errorf("classify with the quantized model: exit %d, %q %q", code, stdout, stderr)
			}
		})
	}
}

// Bad input: each comes back as one line, with the exit status.
func TestQuantizeErrors(t *testing.T) {
	needShared(t)
	photo, err := os.ReadFile(filepath.Join(shared, "photos", "dog.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	photos := t.TempDir()
	if err := os.WriteFile(filepath.Join(photos, "dog.jpg"), photo, 0o644); err != nil {
		t.Fatal(err)
	}
	v1 := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	noOps := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 3, 8, 8}}},
		Nodes:   []onnxtest.Node{{Op: "Relu", Name: "r", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}.Bytes()
	out := filepath.Join(t.TempDir(), "q.onnx")
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not onnx", []string{write(t, "junk.onnx", []byte(strings.Repeat("garbage!", 100))), "-calib", photos, "-o", out}, 1, "junk.onnx"},
		{"empty file", []string{write(t, "empty.onnx", nil), "-calib", photos, "-o", out}, 1, "empty"},
		{"no photos", []string{v1, "-calib", t.TempDir(), "-o", out}, 1, "no photos"},
		{"missing calib dir", []string{v1, "-calib", "/nonexistent/photos", "-o", out}, 1, "no such file"},
		{"nothing to quantize", []string{write(t, "relu.onnx", noOps), "-calib", photos, "-o", out}, 1, "no op to quantize"},
		{"no -calib", []string{v1, "-o", out}, 2, "-calib DIR is required"},
		{"no -o", []string{v1, "-calib", photos}, 2, "-o FILE.onnx is required"},
		{"bad format", []string{v1, "-calib", photos, "-o", out, "-format", "int4"}, 2, "qdq or qoperator"},
		{"bad method", []string{v1, "-calib", photos, "-o", out, "-method", "entropy"}, 2, "percentile or minmax"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(append([]string{"quantize"}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit %d and one line with %q", code, stderr, stdout, c.code, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}
