//go:build !(js && wasm) || nodecli

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type topResult struct {
	File string `json:"file"`
	Top  []struct {
		Index int     `json:"index"`
		Prob  float64 `json:"prob"`
	} `json:"top"`
}

func classifyJSON(t *testing.T, args ...string) []topResult {
	t.Helper()
	code, out, errs := run(append([]string{"classify", "-json", "-top", "5"}, args...)...)
	if code != 0 {
		t.Fatalf("classify %v: exit %d: %s", args, code, errs)
	}
	var rs []topResult
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r topResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// A compiled bundle classifies every photo exactly as its ONNX file does
// (auto weights are exact), and carries its labels and card; fp16 and
// int8 bundles are smaller and stay close; bad use is a one-line error.
func TestCompile(t *testing.T) {
	needShared(t)
	dir := filepath.Join(shared, "models", "mobilenet_v1_0.25_128")
	src := filepath.Join(dir, "model.onnx")
	photos, _ := filepath.Glob(filepath.Join(shared, "photos", "*.jpg"))
	if len(photos) == 0 {
		t.Skip("no photos")
	}
	want := classifyJSON(t, append([]string{"-model", src, "-verify=false"}, photos...)...)
	out := filepath.Join(t.TempDir(), "v1.glimpse")
	code, stdout, stderr := run("compile", src, "-o", out)
	if code != 0 || !strings.Contains(stdout, "weights auto") {
		t.Fatalf("compile: exit %d, %q %q", code, stdout, stderr)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	onnxInfo, _ := os.Stat(src)
	t.Logf("%s", strings.TrimSpace(stdout))
	// The bundle elsewhere, without labels.txt beside it: they are inside.
	got := classifyJSON(t, append([]string{"-model", out}, photos...)...)
	for i := range want {
		for k := range want[i].Top {
			if got[i].Top[k] != want[i].Top[k] {
				t.Fatalf("%s: bundle top-5 %+v, ONNX %+v", want[i].File, got[i].Top, want[i].Top)
			}
		}
	}
	t.Logf("auto: %d bytes, ONNX %d", info.Size(), onnxInfo.Size())
	// Lossy weights, on a model whose float weights are not palettes (the
	// zoo's SqueezeNet has random float32 weights): smaller, and it says
	// how far the weights moved.
	sq := filepath.Join(shared, "zoo", "squeezenet1_1", "model.onnx")
	sqInfo, err := os.Stat(sq)
	if err != nil {
		t.Skip("no zoo")
	}
	for _, c := range []struct {
		w     string
		ratio float64
	}{{"fp16", 1.9}, {"int8", 3.5}} {
		p := filepath.Join(t.TempDir(), c.w+".glimpse")
		code, stdout, stderr := run("compile", "-weights", c.w, "-o", p, sq)
		if code != 0 || !strings.Contains(stdout, "moved by up to") {
			t.Fatalf("compile -weights %s: exit %d, %q %q", c.w, code, stdout, stderr)
		}
		small, _ := os.Stat(p)
		if float64(sqInfo.Size())/float64(small.Size()) < c.ratio {
			t.Errorf("%s bundle %d bytes, ONNX %d: want at least %.1f× smaller", c.w, small.Size(), sqInfo.Size(), c.ratio)
		}
		if code, _, stderr := run("classify", "-model", p, photos[0]); code != 0 {
			t.Errorf("classify with the %s bundle: %s", c.w, stderr)
		}
		t.Logf("%s", strings.TrimSpace(stdout))
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"compile", "-weights", "int4", src}, 2, "weights must be auto, fp32, fp16 or int8"},
		{[]string{"compile"}, 2, "give one ONNX model"},
		{[]string{"compile", out, "-o", filepath.Join(t.TempDir(), "x.glimpse")}, 1, "already a compiled bundle"},
		{[]string{"compile", filepath.Join(t.TempDir(), "missing.onnx")}, 1, "missing.onnx"},
	} {
		code, _, stderr := run(c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	// A damaged bundle: a one-line error naming the problem.
	data, _ := os.ReadFile(out)
	data[len(data)/2] ^= 1
	bad := write(t, "bad.glimpse", data)
	code, _, stderr = run("classify", "-model", bad, photos[0])
	if code != 1 || !strings.Contains(stderr, "checksum") {
		t.Errorf("damaged bundle: exit %d, %q", code, stderr)
	}
}
