// Command mkconv writes single-convolution ONNX models, with inputs, for the
// three conv kinds MobileNets spend their time in, so that Glimpse and
// ONNX Runtime can be timed on exactly the same layer.
//
//	go run ./model/bench/mkconv -out DIR
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

type layer struct {
	name          string
	c, h, w, m, k int
	stride, group int
}

// Shapes taken from MobileNetV2's second and third blocks and a ResNet-style 3×3.
var layers = []layer{
	{"conv3x3", 64, 56, 56, 64, 3, 1, 1},
	{"conv1x1", 24, 56, 56, 144, 1, 1, 1},
	{"depthwise3x3", 144, 56, 56, 144, 3, 1, 144},
	{"depthwise3x3s2", 144, 56, 56, 144, 3, 2, 144},
}

func main() {
	out := flag.String("out", "", "directory to write NAME/model.onnx and NAME/input.bin into")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "mkconv: -out is required")
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range layers {
		pad := int64(l.k / 2)
		oh := (l.h+2*int(pad)-l.k)/l.stride + 1
		ow := (l.w+2*int(pad)-l.k)/l.stride + 1
		cg := l.c / l.group
		w := make([]float32, l.m*cg*l.k*l.k)
		for i := range w {
			w[i] = float32(rng.NormFloat64() * 0.1)
		}
		b := make([]float32, l.m)
		for i := range b {
			b[i] = float32(rng.NormFloat64() * 0.1)
		}
		m := onnxtest.Model{
			Inputs:  []onnxtest.Value{{Name: "input", Dims: []any{1, l.c, l.h, l.w}}},
			Outputs: []onnxtest.Value{{Name: "output", Dims: []any{1, l.m, oh, ow}}},
			Inits: []onnxtest.Init{
				{Name: "w", Dims: []int64{int64(l.m), int64(cg), int64(l.k), int64(l.k)}, Floats: w},
				{Name: "b", Dims: []int64{int64(l.m)}, Floats: b},
			},
			Nodes: []onnxtest.Node{
				{Op: "Conv", Name: l.name, Inputs: []string{"input", "w", "b"}, Outputs: []string{"conv"}, Attrs: []onnxtest.Attr{
					{Name: "kernel_shape", Ints: []int64{int64(l.k), int64(l.k)}},
					{Name: "strides", Ints: []int64{int64(l.stride), int64(l.stride)}},
					{Name: "pads", Ints: []int64{pad, pad, pad, pad}},
					{Name: "group", Int: onnxtest.I64(int64(l.group))},
				}},
				{Op: "Clip", Name: "relu6", Inputs: []string{"conv", "lo", "hi"}, Outputs: []string{"output"}},
			},
		}
		m.Inits = append(m.Inits, onnxtest.Init{Name: "lo", Floats: []float32{0}}, onnxtest.Init{Name: "hi", Floats: []float32{6}})
		dir := filepath.Join(*out, l.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fail(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "model.onnx"), m.Bytes(), 0o644); err != nil {
			fail(err)
		}
		in := make([]byte, 0, 4*l.c*l.h*l.w)
		for i := 0; i < l.c*l.h*l.w; i++ {
			in = binary.LittleEndian.AppendUint32(in, math.Float32bits(float32(rng.NormFloat64())))
		}
		if err := os.WriteFile(filepath.Join(dir, "input.bin"), in, 0o644); err != nil {
			fail(err)
		}
		flops := 2 * l.m * oh * ow * cg * l.k * l.k
		fmt.Printf("%s %d\n", l.name, flops)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mkconv:", err)
	os.Exit(1)
}
