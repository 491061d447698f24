//go:build js && wasm

package webgpu

import (
	"embed"
	"fmt"
)

// The WGSL kernels, one file per op family; common.wgsl is prepended to each.
//
//go:embed kernels/*.wgsl
var kernelFS embed.FS

// kernelSource returns the full WGSL of one kernel file (without .wgsl).
func kernelSource(name string) (string, error) {
	common, err := kernelFS.ReadFile("kernels/common.wgsl")
	if err != nil {
		return "", err
	}
	src, err := kernelFS.ReadFile("kernels/" + name + ".wgsl")
	if err != nil {
		return "", fmt.Errorf("webgpu: no kernel %q", name)
	}
	return string(common) + "\n" + string(src), nil
}

// Workgroup memory the kernels declare at most (conv and matmul: two
// 16×64 float tiles), checked against the device's limit.
const kernelWorkgroupBytes = 8192

// Storage buffers one kernel binds at most (conv.wgsl's main_1x1v4 and
// main use x or x4, w, bias, res, y).
const kernelStorageBuffers = 5
