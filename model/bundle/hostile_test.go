package bundle_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/graph"
)

// A forged bundle's parts, as JSON text: forgeGraph wraps a graph (JSON)
// and a data section in a header and a valid checksum.
func forgeGraph(graphJSON string, data []byte) []byte {
	hdr := fmt.Sprintf(`{"meta":{"name":"m"},"graph":%s,"data":%d}`, graphJSON, len(data))
	return forge([]byte(hdr), data)
}

// addGraph is y = Add(x, w): inputs and outputs as given, w the tensor
// directory entry.
func addGraph(inDims, w string) string {
	return `{"opset":13,"inputs":[{"name":"x","dtype":1,"dims":` + inDims + `}],"outputs":[{"name":"y","dtype":1,"dims":[2]}],` +
		`"nodes":[{"op":"Add","in":["x","w"],"out":["y"]}],"inits":{"w":` + w + `}}`
}

// nestedGraph nests graph attributes depth deep, in one pass (a level
// is the same text before and after its child).
func nestedGraph(depth int) string {
	open := `{"opset":13,"outputs":[{"name":"y","dtype":1,"dims":[]}],"nodes":[{"op":"If","in":["c"],"out":["y"],"attrs":{"then_branch":{"k":"g","g":`
	leaf := `{"opset":13,"outputs":[{"name":"x","dtype":1,"dims":[]}],"nodes":[]}`
	return strings.Repeat(open, depth) + leaf + strings.Repeat(`}}}]}`, depth)
}

// graphsGraph is a node with a GRAPHS attribute of n graphs.
func graphsGraph(n int) string {
	sub := `{"opset":13,"outputs":[{"name":"x","dtype":1,"dims":[]}],"nodes":[{"op":"Neg","in":["x"],"out":["z"]}]}`
	gs := strings.TrimSuffix(strings.Repeat(sub+",", n), ",")
	return `{"opset":13,"outputs":[{"name":"y","dtype":1,"dims":[]}],"nodes":[{"op":"Custom","in":[],"out":["y"],"attrs":{"gs":{"k":"gs","gs":[` + gs + `]}}}]}`
}

// nodesGraph is a graph of n Neg nodes.
func nodesGraph(n int) string {
	nodes := strings.TrimSuffix(strings.Repeat(`{"op":"Neg"},`, n), ",")
	return `{"opset":13,"outputs":[{"name":"y","dtype":1,"dims":[]}],"nodes":[` + nodes + `]}`
}

// pal8rTensor is a pal8r payload as Encode writes it (3000 elements of
// three values, the first the most common) and its palette's size.
func pal8rTensor() (payload []byte, n int) {
	f := make([]float32, 3000)
	for i := range f {
		switch {
		case i%3 == 0:
			f[i] = -0.25
		case i%5 == 1:
			f[i] = 2
		default:
			f[i] = 0.5
		}
	}
	g := &graph.Graph{Opset: 13, Initializers: map[string]*graph.Tensor{"w": {DType: graph.Float32, Shape: []int{3000}, F: f}}}
	b, err := bundle.Encode(g, bundle.Meta{Name: "m"}, bundle.Auto)
	if err != nil {
		panic(err)
	}
	hlen := binary.LittleEndian.Uint32(b[12:])
	var h struct {
		Graph struct {
			Inits map[string]struct {
				Enc      string
				N        int
				Off, Len int64
			}
		}
	}
	if err := json.Unmarshal(b[16:16+hlen], &h); err != nil {
		panic(err)
	}
	w := h.Graph.Inits["w"]
	if w.Enc != "pal8r" || w.N != 3 {
		panic(fmt.Sprintf("Encode wrote %s with %d values", w.Enc, w.N))
	}
	return slices.Clone(b[16+hlen:][w.Off : w.Off+w.Len]), w.N
}

// pal8rGraph is addGraph with a pal8r tensor of the given shape, payload
// and palette size, the payload the whole data section.
func pal8rGraph(shape string, p []byte, n int) []byte {
	return forgeGraph(addGraph("[2]", fmt.Sprintf(`{"dtype":1,"shape":%s,"enc":"pal8r","off":0,"len":%d,"n":%d}`, shape, len(p), n)), p)
}

// pal8rEdit is the pal8rTensor payload changed by edit, in a bundle.
func pal8rEdit(edit func(p []byte) []byte) func() []byte {
	return func() []byte {
		p, n := pal8rTensor()
		return pal8rGraph("[3000]", edit(p), n)
	}
}

// constPal8r is a pal8r payload of one value (frequency 1<<14, which
// leaves the states where they are) with the given states: valid when
// both are 1<<16.
func constPal8r(x0, x1 uint32) []byte {
	p := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	p = binary.LittleEndian.AppendUint16(p, 1<<14)
	p = binary.LittleEndian.AppendUint32(p, x0)
	return binary.LittleEndian.AppendUint32(p, x1)
}

type hostileBundle struct {
	name string
	data func() []byte
	want string // in the message
	// slack is what decoding may allocate beyond the file's size: what
	// the header's measures cannot see (nodes, among the objects it
	// counts) costs its JSON decoding before it is refused.
	slack uint64
}

func hostileBundles() []hostileBundle {
	f32 := func(shape string, off, n int64) string {
		return fmt.Sprintf(`{"dtype":1,"shape":%s,"enc":"f32","off":%d,"len":%d}`, shape, off, n)
	}
	data := make([]byte, 1024)
	return []hostileBundle{
		// The tensor directory.
		{"shape [2^62,4]", func() []byte { return forgeGraph(addGraph("[2]", f32("[4611686018427387904,4]", 0, 0)), data) }, "too large", 0},
		{"shape [2^32,2^32,3]", func() []byte { return forgeGraph(addGraph("[2]", f32("[4294967296,4294967296,3]", 0, 0)), data) }, "too large", 0},
		{"shape [0,2^62]", func() []byte { return forgeGraph(addGraph("[2]", f32("[0,4611686018427387904]", 0, 0)), data) }, "too large", 0},
		{"shape [0,-5]", func() []byte { return forgeGraph(addGraph("[2]", f32("[0,-5]", 0, 0)), data) }, "negative", 0},
		{"shape past int64", func() []byte { return forgeGraph(addGraph("[2]", f32("[1e30]", 0, 0)), data) }, "its header", 0},
		{"100 dimensions", func() []byte {
			return forgeGraph(addGraph("[2]", f32("["+strings.TrimSuffix(strings.Repeat("1,", 100), ",")+"]", 0, 0)), data)
		}, "more than 64", 0},
		{"2.4 GB declared, 1 KB payload", func() []byte { return forgeGraph(addGraph("[2]", f32("[600000000]", 0, 1024)), data) }, "payload of 1024 bytes", 0},
		{"2 GB of int64 declared", func() []byte {
			return forgeGraph(addGraph("[2]", `{"dtype":2,"shape":[268435456],"enc":"i64","off":0,"len":16}`), data)
		}, "payload of 16 bytes", 0},
		{"payload longer than the shape", func() []byte { return forgeGraph(addGraph("[2]", f32("[2]", 0, 1024)), data) }, "payload of 1024 bytes", 0},
		{"payload past the data", func() []byte { return forgeGraph(addGraph("[2]", f32("[2]", 1020, 8)), data) }, "outside the data section", 0},
		{"offset past the data", func() []byte { return forgeGraph(addGraph("[2]", f32("[2]", 1<<40, 8)), data) }, "outside the data section", 0},
		{"offset and length overflow", func() []byte {
			return forgeGraph(addGraph("[2]", f32("[2]", 1<<62, 1<<62)), data)
		}, "outside the data section", 0},
		{"negative length", func() []byte { return forgeGraph(addGraph("[2]", f32("[2]", 8, -8)), data) }, "outside the data section", 0},
		{"negative offset", func() []byte { return forgeGraph(addGraph("[2]", f32("[2]", -8, 8)), data) }, "outside the data section", 0},
		{"palette of 100 000", func() []byte {
			return forgeGraph(addGraph("[2]", `{"dtype":1,"shape":[2],"enc":"pal8","off":0,"len":1000,"n":100000}`), data)
		}, "a palette of 100000 values", 0},

		// pal8r payloads (the palette's 3 values take 12 bytes; then the
		// frequencies, 6; then the states, 8; then the stream).
		{"pal8r frequencies summing to 16383", pal8rEdit(func(p []byte) []byte { p[12]--; return p }), "frequencies sum to 16383, not 16384", 0},
		{"pal8r frequencies summing past 16384", pal8rEdit(func(p []byte) []byte { p[12]++; return p }), "frequencies sum to more than 16384", 0},
		{"pal8r frequency 0 for a symbol the stream uses", pal8rEdit(func(p []byte) []byte {
			f0, f1 := binary.LittleEndian.Uint16(p[12:]), binary.LittleEndian.Uint16(p[14:])
			binary.LittleEndian.PutUint16(p[12:], f0+f1)
			binary.LittleEndian.PutUint16(p[14:], 0)
			return p
		}), "frequency 0 for palette entry 1", 0},
		// Symbols index the frequency table, n entries: a stream cannot
		// name one past the palette. The nearest mistake, a table longer
		// than the directory's palette, misreads the table.
		{"pal8r table for more symbols than the palette", func() []byte {
			p, _ := pal8rTensor()
			return pal8rGraph("[3000]", slices.Delete(p, 8, 12), 2)
		}, "frequencies sum to", 0},
		{"pal8r stream a byte short", pal8rEdit(func(p []byte) []byte { return p[:len(p)-1] }), "pal8r stream ends at element", 0},
		{"pal8r stream a word short", pal8rEdit(func(p []byte) []byte { return p[:len(p)-2] }), "pal8r stream ends at element", 0},
		{"pal8r stream cut by a quarter", pal8rEdit(func(p []byte) []byte { return p[:len(p)*3/4] }), "pal8r stream ends at element", 0},
		{"pal8r stream with garbage after it", pal8rEdit(func(p []byte) []byte { return append(p, 0xaa, 0x55) }), "pal8r stream goes on for 2 bytes after its last element", 0},
		{"pal8r stream with a word changed", pal8rEdit(func(p []byte) []byte { p[len(p)/2] ^= 0x21; return p }), "pal8r stream", 0},
		{"pal8r state changed", pal8rEdit(func(p []byte) []byte { p[20]++; return p }), "pal8r stream", 0},
		{"pal8r states not back at the start", func() []byte { return pal8rGraph("[64]", constPal8r(1<<16, 1<<16+1), 1) },
			"pal8r stream ends in states 0x10000 and 0x10001, not 0x10000", 0},
		{"pal8r state below its range", func() []byte { return pal8rGraph("[64]", constPal8r(1<<16, 1<<16-1), 1) }, "want at least 0x10000", 0},
		{"pal8r payload without its states", func() []byte { return pal8rGraph("[64]", constPal8r(1<<16, 1<<16)[:10], 1) }, "want at least 14", 0},
		{"pal8r 1 GB declared in 14 bytes", func() []byte { return pal8rGraph("[1073741824]", constPal8r(1<<16, 1<<16), 1) }, "more than 8 elements a byte", 0},
		{"pal8r palette of 0", func() []byte { return pal8rGraph("[64]", constPal8r(1<<16, 1<<16), 0) }, "a palette of 0 values", 0},
		{"pal8r palette of 300", func() []byte { return pal8rGraph("[2]", make([]byte, 2000), 300) }, "a palette of 300 values", 0},
		{"pal8r for an int64 tensor", func() []byte {
			return forgeGraph(addGraph("[2]", `{"dtype":2,"shape":[64],"enc":"pal8r","off":0,"len":14,"n":1}`), constPal8r(1<<16, 1<<16))
		}, "pal8r payload for a int64 tensor", 0},
		{"pal8r in a version 1 bundle", func() []byte {
			p, n := pal8rTensor()
			b := pal8rGraph("[3000]", p, n)
			binary.LittleEndian.PutUint32(b[8:], 1)
			binary.LittleEndian.PutUint32(b[len(b)-4:], bundle.Checksum(b[:len(b)-4]))
			return b
		}, "pal8r payload in a version 1 bundle", 0},
		{"int8 scales for the wrong channels", func() []byte {
			return forgeGraph(addGraph("[2]", `{"dtype":1,"shape":[2,2],"enc":"q8","off":0,"len":12,"n":3}`), data)
		}, "int8 scales for 3 channels", 0},
		{"encoding for another type", func() []byte {
			return forgeGraph(addGraph("[2]", `{"dtype":2,"shape":[2],"enc":"f32","off":0,"len":8}`), data)
		}, "f32 payload for a int64 tensor", 0},
		{"unknown encoding", func() []byte {
			return forgeGraph(addGraph("[2]", `{"dtype":1,"shape":[2],"enc":"zip","off":0,"len":8}`), data)
		}, `unknown encoding "zip"`, 0},
		{"a 1 MB name", func() []byte {
			return forgeGraph(`{"opset":13,"inits":{"`+strings.Repeat("w", 1<<20)+`":`+f32("[-1]", 0, 0)+`}}`, data)
		}, `initializer "wwww`, 0},

		// Graph inputs and outputs.
		{"input dims [1,-5]", func() []byte { return forgeGraph(addGraph("[1,-5]", f32("[2]", 0, 8)), data) }, `input "x": dimension 1 is negative`, 0},
		{"input dims [2^62,4]", func() []byte { return forgeGraph(addGraph("[4611686018427387904,4]", f32("[2]", 0, 8)), data) }, "exceed", 0},
		{"input with 100 dims", func() []byte {
			return forgeGraph(addGraph("["+strings.TrimSuffix(strings.Repeat("1,", 100), ",")+"]", f32("[2]", 0, 8)), data)
		}, "more than 64", 0},

		// Nesting and counts.
		{"nested 100 000 deep", func() []byte { return forgeGraph(nestedGraph(100_000), nil) }, "nests deeper than 256", 0},
		{"nested 40 deep", func() []byte { return forgeGraph(nestedGraph(40), nil) }, "nested deeper than 32", 0},
		{"5000 graph attributes", func() []byte { return forgeGraph(graphsGraph(5000), nil) }, "more than 4096 graph attributes", 8 << 20},
		{"70 000 nodes", func() []byte { return forgeGraph(nodesGraph(70_000), nil) }, "more than 65536 nodes", 48 << 20},
		{"140 000 nodes", func() []byte { return forgeGraph(nodesGraph(140_000), nil) }, "more than 131072 objects", 0},
		{"1 100 000 values", func() []byte {
			return forgeGraph(`{"opset":13,"nodes":[{"op":"Pad","attrs":{"pads":{"k":"is","is":[`+strings.TrimSuffix(strings.Repeat("0,", 1_100_000), ",")+`]}}}]}`, nil)
		}, "more than 1048576 values", 0},
		{"a 17 MB header", func() []byte { return forgeGraph(nodesGraph(1)+strings.Repeat(" ", 17<<20), nil) }, "more than the 16777216", 0},

		// The header and the data section.
		{"header past the end", func() []byte {
			b := forgeGraph(nodesGraph(1), nil)
			binary.LittleEndian.PutUint32(b[12:], 1<<30) // the header's length
			binary.LittleEndian.PutUint32(b[len(b)-4:], bundle.Checksum(b[:len(b)-4]))
			return b
		}, "runs past the end", 0},
		{"data section shorter than the header says", func() []byte {
			return forge([]byte(`{"meta":{"name":"m"},"graph":`+nodesGraph(1)+`,"data":99999999}`), nil)
		}, "the header says 99999999", 0},
		{"not JSON", func() []byte { return forge([]byte("{\"graph\": [}\n"), nil) }, "its header", 0},
		{"attribute without its value", func() []byte {
			return forgeGraph(`{"opset":13,"nodes":[{"op":"If","attrs":{"then_branch":{"k":"g"}}}]}`, nil)
		}, `kind "g" without its value`, 0},
	}
}

// Forged bundles (a valid checksum around any header) are refused with a
// one-line *Error, fast, and without allocating what their directory
// declares.
func TestDecodeHostile(t *testing.T) {
	for _, c := range hostileBundles() {
		t.Run(c.name, func(t *testing.T) {
			data := c.data()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			g, _, err := bundle.Decode(data)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("decoded %d nodes", len(g.Nodes))
			}
			var be *bundle.Error
			if !errors.As(err, &be) {
				t.Errorf("%T, not a *bundle.Error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "internal error") || len(msg) > 4096 {
				t.Errorf("message %.300q, want one line mentioning %q", msg, c.want)
			}
			if took > time.Second/2 {
				t.Errorf("took %v", took)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > uint64(len(data))+4<<20+c.slack {
				t.Errorf("allocated %d KB for a bundle of %d KB", alloc>>10, len(data)>>10)
			}
			if testing.Verbose() {
				t.Logf("%d KB refused in %v with %d KB allocated: %.100s", len(data)>>10, took, alloc>>10, msg)
			}
		})
	}
}

// The forged pal8r payloads TestDecodeHostile edits load unedited: what
// it refuses is the edit.
func TestPal8rForged(t *testing.T) {
	p, n := pal8rTensor()
	g, _, err := bundle.Decode(pal8rGraph("[3000]", p, n))
	if err != nil {
		t.Fatal(err)
	}
	w := g.Initializers["w"].F
	for i, v := range w {
		want := float32(0.5)
		switch {
		case i%3 == 0:
			want = -0.25
		case i%5 == 1:
			want = 2
		}
		if v != want {
			t.Fatalf("element %d is %g, want %g", i, v, want)
		}
	}
	g, _, err = bundle.Decode(pal8rGraph("[64]", constPal8r(1<<16, 1<<16), 1))
	if err != nil || !slices.Equal(g.Initializers["w"].F, slices.Repeat([]float32{1.5}, 64)) {
		t.Fatalf("one value: %v", err)
	}
}
