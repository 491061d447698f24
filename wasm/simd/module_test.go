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

// The module is assembled natively; the engine embeds the result.
// SIMD_WASM_OUT=FILE also writes it out, to read with wabt's wasm2wat.

// The embedded kernels.wasm is exactly what the assembler writes today.
func TestKernelsWasmIsCurrent(t *testing.T) {
	m := Module()
	if os.Getenv("GLIMPSE_UPDATE_SIMD") == "1" {
		if err := os.WriteFile("kernels.wasm", m, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(m, kernelsWasm) {
		t.Fatalf("kernels.wasm (%d bytes) is not what module.go assembles (%d bytes): run GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd", len(kernelsWasm), len(m))
	}
}

func TestModuleIsDeterministicAndSmall(t *testing.T) {
	m := Module()
	if !bytes.Equal(m, Module()) {
		t.Fatal("Module() differs between calls")
	}
	// Browsers refuse to compile a module of 4 KB or more synchronously on
	// the main thread, and Init compiles synchronously.
	if len(m) >= 4096 {
		t.Errorf("module is %d bytes, want < 4096", len(m))
	}
	if out := os.Getenv("SIMD_WASM_OUT"); out != "" {
		if err := os.WriteFile(out, m, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Node (when installed) accepts the module as valid WebAssembly with SIMD.
func TestModuleValidates(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	f := filepath.Join(t.TempDir(), "kernels.wasm")
	if err := os.WriteFile(f, Module(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "-e", `const b = require("fs").readFileSync(process.argv[1]);
new WebAssembly.Module(b); // throws with the reason if invalid
console.log(WebAssembly.validate(b))`, f).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		t.Fatalf("node rejects the module: %v\n%s", err, out)
	}
}
