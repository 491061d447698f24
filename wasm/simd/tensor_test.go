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

// The embedded tensor.wasm is exactly what TensorModule assembles today
// (GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd rewrites it).
func TestTensorWasmIsCurrent(t *testing.T) {
	m := TensorModule()
	if os.Getenv("GLIMPSE_UPDATE_SIMD") == "1" {
		if err := os.WriteFile("tensor.wasm", m, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(m, tensorWasm) {
		t.Fatalf("tensor.wasm (%d bytes) is not what tensor.go assembles (%d bytes): run GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd", len(tensorWasm), len(m))
	}
}

// tensor.wasm is deterministic, under the 4 KB synchronous-compile limit,
// and valid WebAssembly with SIMD for Node.
func TestTensorModule(t *testing.T) {
	m := TensorModule()
	if !bytes.Equal(m, TensorModule()) {
		t.Fatal("TensorModule() differs between calls")
	}
	if len(m) >= 4096 {
		t.Errorf("tensor module is %d bytes, want < 4096", len(m))
	}
	t.Logf("tensor.wasm: %d bytes", len(m))
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	f := filepath.Join(t.TempDir(), "tensor.wasm")
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
