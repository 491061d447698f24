package importer_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/importer"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

var pointer = regexp.MustCompile(`0x[0-9a-f]{6,}`)

// oneLineError fails unless err is a one-line *model.LoadError without
// pointers, that mentions want.
func oneLineError(t *testing.T, err error, want string) {
	t.Helper()
	var le *model.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("%v (%T), want a *model.LoadError", err, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, want) || strings.Contains(msg, "\n") || pointer.MatchString(msg) || len(msg) > 4096 {
		t.Errorf("message %.300q, want one line mentioning %q", msg, want)
	}
}

// Hostile ONNX files are refused by Compile with one-line load errors,
// fast.
func TestCompileHostile(t *testing.T) {
	whole := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 4, 4}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 3, 4, 4}}},
		Nodes:   []onnxtest.Node{{Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}.Bytes()
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"nested 300 000 deep", onnxtest.Nested(300_000), "deeper than 32"},
		{"initializer dims [0,-5]", onnxtest.Model{
			Inputs:       []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 4, 4}}},
			Outputs:      []onnxtest.Value{{Name: "y"}},
			Initializers: []onnxtest.Tensor{{Name: "w", Dims: []int64{0, -5}}},
			Nodes:        []onnxtest.Node{{Op: "Add", Inputs: []string{"x", "w"}, Outputs: []string{"y"}}},
		}.Bytes(), "negative"},
		{"input dims [1,3,-5,4]", onnxtest.Model{
			Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, -5, 4}}},
			Outputs: []onnxtest.Value{{Name: "y"}},
			Nodes:   []onnxtest.Node{{Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		}.Bytes(), "negative"},
		{"truncated", whole[:len(whole)-9], "not a valid ONNX file"},
		{"garbage", []byte(strings.Repeat("\xff\xfe not a model", 100)), "not a valid ONNX file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			b, _, err := importer.Compile(model.Files{Name: "hostile.onnx", Model: c.data}, bundle.Auto, &check.Options{Runs: -1})
			if err == nil {
				t.Fatalf("compiled a %d-byte bundle", len(b))
			}
			oneLineError(t, err, c.want)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// A panic below Compile (here in the ONNX decoder it is given) is a
// one-line load error, not a crash, and prints no Go values.
func TestCompileRecoversPanics(t *testing.T) {
	saved := model.DecodeONNX
	defer func() { model.DecodeONNX = saved }()
	type secret struct{ p *int }
	x := 1
	for _, v := range []any{
		errors.New("index out of range [3] with length 3"),
		fmt.Sprintf("at %p\ngoroutine 1 [running]:", &x),
		secret{&x},
		&cpu.UnsupportedError{},
	} {
		model.DecodeONNX = func([]byte) (*graph.Graph, error) { panic(v) }
		_, _, err := importer.Compile(model.Files{Name: "m.onnx", Model: []byte("\x08\x07")}, bundle.Auto, nil)
		oneLineError(t, err, "m.onnx: internal error while compiling: ")
		var le *model.LoadError
		if errors.As(err, &le) && le.Kind != model.KindCompile {
			t.Errorf("kind %q", le.Kind)
		}
		if strings.Contains(err.Error(), "secret{") || strings.Contains(err.Error(), "goroutine") {
			t.Errorf("message %q", err)
		}
	}
}

// A panic the model check recovers (here in Place) reaches Compile's error
// as one line.
func TestCompileCheckPanic(t *testing.T) {
	f := files(t, filepath.Join(shared, "models/mobilenet_v1_0.25_128"))
	x := 1
	opts := &check.Options{Runs: -1, Place: func(*cpu.Program) ([]check.Placement, error) {
		panic(fmt.Sprintf("placing at %p\nsecond line", &x))
	}}
	_, _, err := importer.Compile(f, bundle.Auto, opts)
	if err == nil {
		t.Skip("the check does not fail when Place panics")
	}
	oneLineError(t, err, "placing at 0x…")
}
