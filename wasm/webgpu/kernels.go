//go:build js && wasm

package webgpu

import (
	"embed"
	"fmt"
	"strings"
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
	// A QConv variant (qconv_dp4, qconv_i32) defines dot4u for qconv.wgsl.
	var body []byte
	if strings.HasPrefix(name, "qconv_") {
		if body, err = kernelFS.ReadFile("kernels/qconv.wgsl"); err != nil {
			return "", err
		}
	}
	// Directives (requires ...) must precede every declaration.
	var dirs, rest []string
	for _, l := range strings.SplitAfter(string(src), "\n") {
		if strings.HasPrefix(l, "requires ") || strings.HasPrefix(l, "enable ") {
			dirs = append(dirs, l)
		} else {
			rest = append(rest, l)
		}
	}
	return strings.Join(dirs, "") + string(common) + "\n" + strings.Join(rest, "") + "\n" + string(body), nil
}

// kernelVariant is the source a kernel name compiles from on d: QConv's
// qconv is qconv_dp4 where WGSL has packed_4x8_integer_dot_product (and
// d.dp4 is set), qconv_i32 otherwise.
func (d *Device) kernelVariant(kernel string) string {
	if kernel == "qconv" {
		if d.dp4 {
			return "qconv_dp4"
		}
		return "qconv_i32"
	}
	return kernel
}

// Workgroup memory the kernels declare at most (conv and matmul: two
// 16×64 float tiles), checked against the device's limit.
const kernelWorkgroupBytes = 8192

// Storage buffers one kernel binds at most (conv.wgsl's main_1x1v4 and
// main use x or x4, w, bias, res, y; qconv.wgsl's main4/main1 w, ch, mult,
// y, xq).
const kernelStorageBuffers = 5
