//go:build !(js && wasm)

package simd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The embedded ops2.wasm is exactly what Ops2Module assembles today
// (GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd rewrites it).
func TestOps2WasmIsCurrent(t *testing.T) {
	for _, c := range []struct {
		file     string
		m, embed []byte
	}{{"ops2.wasm", Ops2Module(), ops2Wasm}, {"ops3.wasm", Ops3Module(), ops3Wasm}} {
		if os.Getenv("GLIMPSE_UPDATE_SIMD") == "1" {
			if err := os.WriteFile(c.file, c.m, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !bytes.Equal(c.m, c.embed) {
			t.Fatalf("%s (%d bytes) is not what is assembled (%d bytes): run GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd", c.file, len(c.embed), len(c.m))
		}
	}
}

// ops2.wasm is deterministic, under the 4 KB synchronous-compile limit, and
// valid WebAssembly with SIMD for Node.
func TestOps2Module(t *testing.T) {
	testModule(t, "ops2.wasm", Ops2Module)
	testModule(t, "ops3.wasm", Ops3Module)
}

func testModule(t *testing.T, name string, mod func() []byte) {
	m := mod()
	if !bytes.Equal(m, mod()) {
		t.Fatalf("%s differs between calls", name)
	}
	if len(m) >= 4096 {
		t.Errorf("%s is %d bytes, want < 4096", name, len(m))
	}
	t.Logf("%s: %d bytes", name, len(m))
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, m, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "-e", `const b = require("fs").readFileSync(process.argv[1]);
new WebAssembly.Module(b);
console.log(WebAssembly.validate(b))`, f).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		t.Fatalf("node rejects %s: %v\n%s", name, err, out)
	}
}
