//go:build !(js && wasm)

package simd

import (
	"bytes"
	"os"
	"testing"
)

// The embedded qkernels.wasm is exactly what QModule assembles today
// (GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd rewrites it), and stays under
// the 4 KB synchronous-compile limit.
func TestQKernelsWasmIsCurrent(t *testing.T) {
	m := QModule()
	if os.Getenv("GLIMPSE_UPDATE_SIMD") == "1" {
		if err := os.WriteFile("qkernels.wasm", m, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(m, qkernelsWasm) {
		t.Fatalf("qkernels.wasm (%d bytes) is not what qgemm.go assembles (%d bytes): run GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd", len(qkernelsWasm), len(m))
	}
	if len(m) > 4096 {
		t.Fatalf("qkernels.wasm is %d bytes, over 4 KB", len(m))
	}
	t.Logf("qkernels.wasm: %d bytes", len(m))
}

// The same for qdw.wasm (qdw.go).
func TestQDWWasmIsCurrent(t *testing.T) {
	m := QDWModule()
	if os.Getenv("GLIMPSE_UPDATE_SIMD") == "1" {
		if err := os.WriteFile("qdw.wasm", m, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(m, qdwWasm) {
		t.Fatalf("qdw.wasm (%d bytes) is not what qdw.go assembles (%d bytes): run GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd", len(qdwWasm), len(m))
	}
	if len(m) >= 4096 {
		t.Fatalf("qdw.wasm is %d bytes, want < 4096", len(m))
	}
	t.Logf("qdw.wasm: %d bytes", len(m))
}
