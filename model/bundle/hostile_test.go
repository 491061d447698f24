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
// three values, the first the most common; π makes the palette one no
// scale fits) and its palette's size.
func pal8rTensor() (payload []byte, n int) {
	f := make([]float32, 3000)
	for i := range f {
		switch {
		case i%3 == 0:
			f[i] = -0.25
		case i%5 == 1:
			f[i] = 2
		default:
			f[i] = math.Pi
		}
	}
	return encoded(f, "pal8r")
}

// encoded is the payload and palette size Encode writes for a tensor of
// values f, which must be in encoding enc.
func encoded(f []float32, enc string) (payload []byte, n int) {
	g := &graph.Graph{Opset: 13, Initializers: map[string]*graph.Tensor{"w": {DType: graph.Float32, Shape: []int{len(f)}, F: f}}}
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
	if w.Enc != enc {
		panic(fmt.Sprintf("Encode wrote %s with %d values, not %s", w.Enc, w.N, enc))
	}
	return slices.Clone(b[16+hlen:][w.Off : w.Off+w.Len]), w.N
}

// pal8rGraph is addGraph with a pal8r tensor of the given shape, payload
// and palette size, the payload the whole data section.
func pal8rGraph(shape string, p []byte, n int) []byte {
	return encGraph("pal8r", shape, p, n)
}

// encGraph is addGraph with a float tensor in encoding enc, of the given
// shape, payload and palette size, the payload the whole data section.
func encGraph(enc, shape string, p []byte, n int) []byte {
	return forgeGraph(addGraph("[2]", fmt.Sprintf(`{"dtype":1,"shape":%s,"enc":%q,"off":0,"len":%d,"n":%d}`, shape, enc, len(p), n)), p)
}

// version1 makes a forged bundle a version 1 one.
func version1(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[8:], 1)
	binary.LittleEndian.PutUint32(b[len(b)-4:], bundle.Checksum(b[:len(b)-4]))
	return b
}

// The scaled encodings' test tensors: values float32(k)·s, as Encode
// writes them.
//
// pal8rsTensor: 3000 elements of -0.25, 2 and 0.5 (s = 0.25, k = -1, 8,
// 2; the palette is then 8 bytes: the scale, -1, and the gaps 2 and 5 as
// a byte each);
func pal8rsTensor() (payload []byte, n int) { return encoded(pal8rsValues(), "pal8rs") }

func pal8rsValues() []float32 {
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
	return f
}

// pal8sTensor: 1024 elements of k/8 for k = -128..127, uniform (rANS
// cannot make it smaller);
func pal8sTensor() (payload []byte, n int) { return encoded(pal8sValues(), "pal8s") }

func pal8sValues() []float32 {
	f := make([]float32, 1024)
	for i := range f {
		f[i] = float32(i%256-128) / 8
	}
	return f
}

// i16sTensor: 300 distinct multiples of 0.001 up to ±30.
func i16sTensor() []byte {
	p, _ := encoded(i16sValues(), "i16s")
	return p
}

func i16sValues() []float32 {
	f := make([]float32, 300)
	for i := range f {
		f[i] = float32(i*7919%60001-30000) * 0.001
	}
	return f
}

// i16sPayload is an i16s payload by hand.
func i16sPayload(scale float32, ks ...int16) []byte {
	p := binary.LittleEndian.AppendUint32(nil, math.Float32bits(scale))
	for _, k := range ks {
		p = binary.LittleEndian.AppendUint16(p, uint16(k))
	}
	return p
}

// pal8sPayload is a pal8s payload by hand: the scale, the least k, the
// gaps' bytes (uvarints), then the indices.
func pal8sPayload(scale float32, k0 int16, gaps []byte, idx ...byte) []byte {
	p := binary.LittleEndian.AppendUint32(nil, math.Float32bits(scale))
	p = binary.LittleEndian.AppendUint16(p, uint16(k0))
	return append(append(p, gaps...), idx...)
}

// pal8sGood is a valid pal8s tensor by hand: -0.25, 0.5 and 2 (k = -1, 2,
// 8 at 0.25) and five indices.
func pal8sGood() []byte {
	return encGraph("pal8s", "[5]", pal8sPayload(0.25, -1, []byte{2, 5}, 2, 0, 1, 1, 0), 3)
}

// scaledEdit is a tensor of encoding enc from payload, changed by edit.
func scaledEdit(enc, shape string, payload func() ([]byte, int), edit func(p []byte) []byte) func() []byte {
	return func() []byte {
		p, n := payload()
		return encGraph(enc, shape, edit(p), n)
	}
}

// setScale sets a payload's first float32, its scale.
func setScale(bits uint32) func(p []byte) []byte {
	return func(p []byte) []byte { binary.LittleEndian.PutUint32(p, bits); return p }
}

// badScales are scales a decoder refuses, and how it names them.
var badScales = []struct {
	bits uint32
	name string
}{{0x7fc00000, "NaN"}, {0x7f800000, "+Inf"}, {0xff800000, "-Inf"}, {0, "0 (bits 0x00000000)"}, {1 << 31, "-0 (bits 0x80000000)"},
	{math.Float32bits(-0.5), "-0.5"}}

// scaledHostile are the forged bundles of the scaled encodings.
func scaledHostile() []hostileBundle {
	var hs []hostileBundle
	i16s := func() ([]byte, int) { return i16sPayload(0.5, 1, -2, 3, -4), 0 }
	pal8s := func() ([]byte, int) { return pal8sPayload(0.25, -1, []byte{2, 5}, 2, 0, 1, 1, 0), 3 }
	for _, sc := range badScales {
		hs = append(hs,
			hostileBundle{"i16s scale " + sc.name, scaledEdit("i16s", "[4]", i16s, setScale(sc.bits)), "i16s scale " + sc.name, 0},
			hostileBundle{"pal8s scale " + sc.name, scaledEdit("pal8s", "[5]", pal8s, setScale(sc.bits)), "pal8s scale " + sc.name, 0},
			hostileBundle{"pal8rs scale " + sc.name, scaledEdit("pal8rs", "[3000]", pal8rsTensor, setScale(sc.bits)), "pal8rs scale " + sc.name, 0})
	}
	return append(hs, []hostileBundle{
		// i16s: the scale, then an int16 an element.
		{"i16s payload a byte short", scaledEdit("i16s", "[4]", i16s, func(p []byte) []byte { return p[:len(p)-1] }),
			"i16s payload of 11 bytes for shape [4], want 12", 0},
		{"i16s payload a value long", scaledEdit("i16s", "[4]", i16s, func(p []byte) []byte { return append(p, 5, 0) }),
			"i16s payload of 14 bytes for shape [4], want 12", 0},
		{"i16s without its scale", func() []byte { return encGraph("i16s", "[0]", nil, 0) }, "i16s payload of 0 bytes for shape [0], want 4", 0},
		{"i16s 1 GB declared in 12 bytes", scaledEdit("i16s", "[1073741824]", i16s, func(p []byte) []byte { return p }),
			"i16s payload of 12 bytes for shape [1073741824], want 2147483652", 0},
		{"i16s for an int64 tensor", func() []byte {
			return forgeGraph(addGraph("[2]", `{"dtype":2,"shape":[4],"enc":"i16s","off":0,"len":12}`), i16sPayload(0.5, 1, 2, 3, 4))
		}, "i16s payload for a int64 tensor", 0},
		{"i16s in a version 1 bundle", func() []byte { return version1(encGraph("i16s", "[4]", i16sPayload(0.5, 1, 2, 3, 4), 0)) },
			"i16s payload in a version 1 bundle", 0},

		// pal8s: the scale, the least k, the gaps, an index byte an element.
		{"pal8s index past the palette", scaledEdit("pal8s", "[5]", pal8s, func(p []byte) []byte { p[len(p)-2] = 3; return p }),
			"palette index 3 of 3", 0},
		{"pal8s an index short", scaledEdit("pal8s", "[5]", pal8s, func(p []byte) []byte { return p[:len(p)-1] }),
			"4 index bytes after the palette, want 5", 0},
		{"pal8s an index long", scaledEdit("pal8s", "[5]", pal8s, func(p []byte) []byte { return append(p, 0) }),
			"6 index bytes after the palette, want 5", 0},
		{"pal8s 1 GB declared", scaledEdit("pal8s", "[1073741824]", pal8s, func(p []byte) []byte { return p }),
			"5 index bytes after the palette, want 1073741824", 0},
		{"pal8s payload shorter than its palette", func() []byte { return encGraph("pal8s", "[0]", pal8sPayload(0.25, -1, []byte{2}), 3) },
			"pal8s payload of 7 bytes for a scaled palette of 3 values, want at least 8", 0},
		{"pal8s palette cut in a gap", func() []byte { return encGraph("pal8s", "[0]", pal8sPayload(0.25, -1, []byte{2, 0x80}), 3) },
			"pal8s palette ends at value 2 of 3", 0},
		{"pal8s palette past 32767", func() []byte { return encGraph("pal8s", "[0]", pal8sPayload(0.25, 32767, []byte{0}), 2) },
			"pal8s palette value 1 of 2 is past 32767", 0},
		{"pal8s gap past 32767", func() []byte {
			return encGraph("pal8s", "[0]", pal8sPayload(0.25, -32768, binary.AppendUvarint(nil, 65535)), 2)
		}, "pal8s palette value 1 of 2 is past 32767", 0},
		{"pal8s gap overflowing 64 bits", func() []byte {
			return encGraph("pal8s", "[0]", pal8sPayload(0.25, 0, append(slices.Repeat([]byte{0xff}, 10), 1)), 2)
		}, "pal8s palette value 1 of 2 is past 32767", 0},
		{"pal8s palette of 0", func() []byte { return encGraph("pal8s", "[0]", pal8sPayload(0.25, 0, nil), 0) }, "a palette of 0 values", 0},
		{"pal8s palette of 257", func() []byte { return encGraph("pal8s", "[0]", pal8sPayload(0.25, 0, make([]byte, 256)), 257) },
			"a palette of 257 values", 0},
		{"pal8s for an int64 tensor", func() []byte {
			p, _ := pal8s()
			return forgeGraph(addGraph("[2]", fmt.Sprintf(`{"dtype":2,"shape":[5],"enc":"pal8s","off":0,"len":%d,"n":3}`, len(p))), p)
		}, "pal8s payload for a int64 tensor", 0},
		{"pal8s in a version 1 bundle", func() []byte { return version1(pal8sGood()) }, "pal8s payload in a version 1 bundle", 0},

		// pal8rs: the scaled palette (8 bytes here), then pal8r's
		// frequencies (6), states (8) and stream.
		{"pal8rs frequencies summing to 16383", scaledEdit("pal8rs", "[3000]", pal8rsTensor, func(p []byte) []byte { p[8]--; return p }),
			"frequencies sum to 16383, not 16384", 0},
		{"pal8rs stream a word short", scaledEdit("pal8rs", "[3000]", pal8rsTensor, func(p []byte) []byte { return p[:len(p)-2] }),
			"pal8r stream ends at element", 0},
		{"pal8rs stream with garbage after it", scaledEdit("pal8rs", "[3000]", pal8rsTensor, func(p []byte) []byte { return append(p, 1, 2) }),
			"pal8r stream goes on for 2 bytes after its last element", 0},
		{"pal8rs palette of 2 for a table of 3", scaledEdit("pal8rs", "[3000]", func() ([]byte, int) { p, _ := pal8rsTensor(); return p, 2 },
			func(p []byte) []byte { return p }), "frequencies sum to", 0},
		{"pal8rs without its rANS part", scaledEdit("pal8rs", "[16]", pal8rsTensor, func(p []byte) []byte { return p[:8] }),
			"pal8r payload of 0 bytes after a palette of 3 values, want at least 14", 0},
		{"pal8rs payload shorter than its palette", scaledEdit("pal8rs", "[16]", pal8rsTensor, func(p []byte) []byte { return p[:7] }),
			"pal8rs payload of 7 bytes for a scaled palette of 3 values, want at least 8", 0},
		{"pal8rs 1 GB declared", scaledEdit("pal8rs", "[1073741824]", pal8rsTensor, func(p []byte) []byte { return p }),
			"more than 8 elements a byte", 0},
		{"pal8rs in a version 1 bundle", func() []byte {
			p, n := pal8rsTensor()
			return version1(encGraph("pal8rs", "[3000]", p, n))
		}, "pal8rs payload in a version 1 bundle", 0},
	}...)
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
	return append(scaledHostile(), []hostileBundle{
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
			return version1(pal8rGraph("[3000]", p, n))
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
	}...)
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
			// A guard against work that grows with what the file claims
			// (a refusal takes milliseconds), not a speed measurement: the
			// bound leaves room for a loaded 2-core machine running wasm.
			if took > 5*time.Second {
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
		want := float32(math.Pi)
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

// The forged scaled payloads TestDecodeHostile edits load unedited, bit
// for bit; so do the extremes of the k's range.
func TestScaledForged(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want []float32
	}{
		{"pal8s", pal8sGood(), []float32{2, -0.25, 0.5, 0.5, -0.25}},
		{"i16s", encGraph("i16s", "[4]", i16sPayload(0.5, 1, -2, 3, -4), 0), []float32{0.5, -1, 1.5, -2}},
		{"i16s of 0 elements", encGraph("i16s", "[0]", i16sPayload(0.5), 0), []float32{}},
		{"i16s, k 0 is +0, extremes", encGraph("i16s", "[3]", i16sPayload(0.5, 0, -32768, 32767), 0), []float32{0, -16384, 16383.5}},
		{"i16s, a denormal scale", encGraph("i16s", "[2]", i16sPayload(math.Float32frombits(1), 3, -1), 0),
			[]float32{math.Float32frombits(3), -math.Float32frombits(1)}},
		{"pal8s from -32768 to 32767", encGraph("pal8s", "[3]", pal8sPayload(1, -32768, binary.AppendUvarint(nil, 65534), 1, 0, 1), 2),
			[]float32{32767, -32768, 32767}},
		{"pal8s of one value", encGraph("pal8s", "[2]", pal8sPayload(1, 0, nil, 0, 0), 1), []float32{0, 0}},
	} {
		g, _, err := bundle.Decode(c.data)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got := g.Initializers["w"].F
		if !slices.EqualFunc(got, c.want, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		enc    string
		values []float32
	}{{"pal8rs", pal8rsValues()}, {"pal8s", pal8sValues()}, {"i16s", i16sValues()}} {
		p, n := encoded(c.values, c.enc)
		g, _, err := bundle.Decode(encGraph(c.enc, fmt.Sprint([]int{len(c.values)}), p, n))
		if err != nil || !slices.Equal(g.Initializers["w"].F, c.values) {
			t.Errorf("%s: %v", c.enc, err)
		}
	}
}
