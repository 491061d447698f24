//go:build !(js && wasm)

package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

var pointer = regexp.MustCompile(`0x[0-9a-f]{6,}`)

// Every hostile model ends the CLI with exit status 1 and one line that
// names the problem, within seconds, without a crash, a fatal
// out-of-memory or a Go value dump; and the process's heap stays small.
func TestHostileModels(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	photo := photo(t, filepath.Join(t.TempDir(), "p.png"), reddish)
	for _, m := range onnxtest.HostileModels() {
		t.Run(m.Name, func(t *testing.T) {
			f := write(t, m.Name+".onnx", m.Data)
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			t0 := time.Now()
			code, stdout, stderr := run("classify", "-model", f, "-verify=false", photo)
			took := time.Since(t0)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if m.Loads {
				if code != 0 {
					t.Errorf("exit %d, want 0 (a heavy but valid model); stderr %q", code, stderr)
				}
				t.Logf("%v: %.200s", took.Round(time.Millisecond), stdout)
				return
			}
			if code != 1 {
				t.Errorf("exit %d, want 1; stdout %q stderr %q", code, stdout, stderr)
			}
			msg := strings.TrimRight(stderr, "\n")
			if strings.Count(msg, "\n") != 0 || msg == "" || len(msg) > 400 {
				t.Errorf("stderr is not one short line: %.500q", stderr)
			}
			for _, bad := range []string{"panic", "goroutine", "runtime error", "&{"} {
				if strings.Contains(msg, bad) {
					t.Errorf("stderr looks like a crash or a dump (%q): %q", bad, msg)
				}
			}
			if pointer.MatchString(msg) {
				t.Errorf("stderr shows a pointer: %q", msg)
			}
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
			// The most the run may have allocated: the file itself, decoded,
			// plus slack; a refused model never gets near its declared size.
			if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 256<<20+16*int64(len(m.Data)) {
				t.Errorf("allocated %d MB for a %d-byte file", grew>>20, len(m.Data))
			}
			t.Logf("%v, %d KB allocated: %s", took.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>10, msg)
		})
	}
}

// The same files through the built binary under a 4 GB address-space
// limit, as a stranger would run it: no fatal error (exit 2), exit 1.
func TestHostileModelsUnderMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	bin := filepath.Join(t.TempDir(), "glimpse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	photo := photo(t, filepath.Join(t.TempDir(), "p.png"), reddish)
	for _, m := range onnxtest.HostileModels() {
		f := write(t, m.Name+".onnx", m.Data)
		cmd := exec.Command("bash", "-c", `ulimit -v 4194304 && exec "$0" classify -verify=false -model "$1" "$2"`, bin, f, photo)
		out, err := cmd.CombinedOutput()
		code := 0
		if e, ok := err.(*exec.ExitError); ok {
			code = e.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 1, true: 0}[m.Loads]; code != want {
			t.Errorf("%s: exit %d under a 4 GB limit, want %d: %.300s", m.Name, code, want, out)
		}
	}
}

// -max-memory sets the budget: the small MobileNetV1 (1.9 MB of weights
// plus its working memory) is refused under 1 MB with one line that names
// the budget, and loads under 256 MB.
func TestMaxMemoryFlag(t *testing.T) {
	needShared(t)
	v1 := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	p := photo(t, filepath.Join(t.TempDir(), "p.png"), reddish)
	code, _, stderr := run("classify", "-verify=false", "-max-memory", "1MB", "-model", v1, p)
	if code != 1 || !strings.Contains(stderr, "memory budget") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("under 1MB: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run("classify", "-verify=false", "-max-memory", "256MB", "-model", v1, p); code != 0 {
		t.Errorf("under 256MB: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run("classify", "-max-memory", "lots", "-model", v1, p); code == 0 || !strings.Contains(stderr, "max-memory") {
		t.Errorf("-max-memory lots: exit %d, stderr %q", code, stderr)
	}
}
