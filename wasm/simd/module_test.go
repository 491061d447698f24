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

// The embedded kernels.wasm and kernels_relaxed.wasm are exactly what the
// assembler writes today.
func TestKernelsWasmIsCurrent(t *testing.T) {
	for _, c := range []struct {
		file       string
		got, embed []byte
	}{{"kernels.wasm", Module(), kernelsWasm}, {"kernels_relaxed.wasm", RelaxedModule(), kernelsRelaxedWasm}} {
		if os.Getenv("GLIMPSE_UPDATE_SIMD") == "1" {
			if err := os.WriteFile(c.file, c.got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !bytes.Equal(c.got, c.embed) {
			t.Fatalf("%s (%d bytes) is not what module.go assembles (%d bytes): run GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd", c.file, len(c.embed), len(c.got))
		}
	}
}

func TestModuleIsDeterministicAndSmall(t *testing.T) {
	for _, mk := range []func() []byte{Module, RelaxedModule} {
		m := mk()
		if !bytes.Equal(m, mk()) {
			t.Fatal("the module differs between calls")
		}
		// Browsers refuse to compile a module of 4 KB or more synchronously on
		// the main thread, and Init compiles synchronously.
		if len(m) >= 4096 {
			t.Errorf("module is %d bytes, want < 4096", len(m))
		}
	}
	if out := os.Getenv("SIMD_WASM_OUT"); out != "" {
		if err := os.WriteFile(out, Module(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Node (when installed) accepts the modules as valid WebAssembly with SIMD
// (and relaxed SIMD, behind its flag in Node 20).
func TestModuleValidates(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	for _, c := range []struct {
		name  string
		m     []byte
		flags []string
	}{{"kernels.wasm", Module(), nil}, {"kernels_relaxed.wasm", RelaxedModule(), []string{"--experimental-wasm-relaxed-simd"}}} {
		f := filepath.Join(t.TempDir(), c.name)
		if err := os.WriteFile(f, c.m, 0o644); err != nil {
			t.Fatal(err)
		}
		args := append(c.flags, "-e", `const b = require("fs").readFileSync(process.argv[1]);
new WebAssembly.Module(b); // throws with the reason if invalid
console.log(WebAssembly.validate(b))`, f)
		out, err := exec.Command(node, args...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "true" {
			t.Fatalf("node rejects %s: %v\n%s", c.name, err, out)
		}
	}
}
