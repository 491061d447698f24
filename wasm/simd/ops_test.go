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

// The embedded ops.wasm is exactly what OpsModule assembles today
// (GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd rewrites it, with
// kernels.wasm).
func TestOpsWasmIsCurrent(t *testing.T) {
	m := OpsModule()
	if os.Getenv("GLIMPSE_UPDATE_SIMD") == "1" {
		if err := os.WriteFile("ops.wasm", m, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(m, opsWasm) {
		t.Fatalf("ops.wasm (%d bytes) is not what ops.go assembles (%d bytes): run GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd", len(opsWasm), len(m))
	}
}

// ops.wasm is deterministic, under the 4 KB synchronous-compile limit, and
// valid WebAssembly with SIMD for Node.
func TestOpsModule(t *testing.T) {
	m := OpsModule()
	if !bytes.Equal(m, OpsModule()) {
		t.Fatal("OpsModule() differs between calls")
	}
	if len(m) >= 4096 {
		t.Errorf("ops module is %d bytes, want < 4096", len(m))
	}
	t.Logf("ops.wasm: %d bytes", len(m))
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	f := filepath.Join(t.TempDir(), "ops.wasm")
	if err := os.WriteFile(f, m, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "-e", `const b = require("fs").readFileSync(process.argv[1]);
new WebAssembly.Module(b);
console.log(WebAssembly.validate(b))`, f).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		t.Fatalf("node rejects the module: %v\n%s", err, out)
	}
}
