// Package bundle is Glimpse's compiled model format (.glimpse): the graph a
// backend runs after shape inference, constant folding and fusion, with the
// constants it reads, the model card and the labels, in one file that loads
// without ONNX, protobuf or any third-party decoder.
//
// Layout (little-endian):
//
//	magic   "GLIMPSEB"                8 bytes
//	version uint32                    Version
//	hlen    uint32                    length of the header
//	header  JSON                      hlen bytes: the graph, card, labels, stats, tensor directory
//	data    tensor payloads           each at an offset (from the start of data) that is a multiple of 16
//	sum     CRC-32C                   4 bytes, of everything before it
//
// The checksum catches a damaged, truncated or edited file before anything
// is decoded (CRC-32C, not SHA-256: in wasm it checks a 20 MB bundle in
// 14 ms where SHA-256 takes 180). Meta.SourceSHA256 identifies the content.
// A checksum proves nothing about intent: Decode also measures the header
// before decoding it, and checks every shape, offset and length against
// the limits in limits.go and the data section before allocating.
//
// Tensors are stored as float32, float16, an 8-bit palette (at most 256
// distinct values: exact, and what a model converted from 8-bit TFLite
// weights has), scaled integers (exact), int8 per output channel with a
// scale (lossy), int64 or bool; Encode's Weights option picks. A tensor's
// directory entry names its encoding ("enc"); its payload is,
// little-endian:
//
//	f32     float32 × elements
//	f16     float16 × elements (lossy)
//	pal8    palette float32 × n, then an index byte × elements
//	pal8r   palette float32 × n, then the indices entropy-coded (version 2; rans.go):
//	        frequency uint16 × n (each ≥ 1, summing to 1<<14), the two
//	        interleaved rANS states (uint32 × 2) and their stream (uint16 words)
//	pal8s   a scaled palette, then an index byte × elements (version 2)
//	pal8rs  a scaled palette, then the indices as pal8r codes them (version 2)
//	i16s    scale float32, then k int16 × elements (version 2): element i is float32(k[i]) × scale
//	q8      scale float32 × n (the axis-0 channels), then an int8 × elements (lossy)
//	i64     int64 × elements
//	i8      int8 × elements (version 3): an integer tensor whose values all fit, such as a quantized model's int8 weights
//	i32     int32 × elements (version 3): one whose values all fit int32 (a quantized model's biases)
//	bool    a byte × elements, 0 or 1
//
// For the four palette encodings the directory's "n" is the palette's
// size. A scaled palette (scaled.go) is n values float32(k) × scale, k
// ascending:
//
//	scale   float32           positive and finite
//	first   int16             the least k
//	gaps    uvarint × (n-1)   each k minus the one before, minus 1; no k past 32767
//
// Scaled integers are exact, not an approximation: the encoder uses them
// only where float32(k) × scale, multiplied in float32 as the decoder
// does, is every value bit for bit, with |k| ≤ 32767 and the scale
// positive and finite (so never for -0, NaN or ±Inf). A model converted
// from 8-bit TFLite weights has them: its palettes are (q - zero point) ×
// scale, its biases int32s at the product of two scales.
//
// Encode writes every float constant of a graph (not an attribute's
// tensor, which stays f32) in its smallest exact encoding: the palette
// scaled where that is smaller than its float32s, the indices pal8r-coded
// where that is smaller than a byte each, and f32 or i16s where either is
// smaller than any palette. A tensor with neither a palette nor a scale,
// 64 elements or more, is what the Weights option says. Static hosts gzip
// a bundle, but deflate leaves pal8's indices above their entropy (the
// default model's: 2.79 MB by gzip -9, 2.72 of entropy), and pal8r, tables
// included, comes within 0.7% of it; scaled palettes and biases take
// another 56 KB off: that model's bundle is 118 KB smaller gzipped than
// version 1 wrote it (22% smaller raw). Version 1 bundles (pal8, no pal8r)
// still load; the other encodings need version 2, and i8 and i32 version 3.
package bundle

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/glimpse/glimpse/model/internal/oneline"
	"hash/crc32"
	"math"
	"slices"
	"sort"

	"github.com/glimpse/glimpse/model/graph"
)

// Version is the format version this build writes. Decode reads it and
// every version back to minVersion: version 2 added the pal8r, pal8rs,
// pal8s and i16s encodings, version 3 i8 and i32 (integer tensors in the
// smallest width that holds their values: a quantized model's int8 weights
// a byte each instead of eight).
const Version = 3

// minVersion is the oldest format version Decode reads.
const minVersion = 1

const magic = "GLIMPSEB"

// MaxDepth bounds nested graphs (If/Loop/Scan bodies), as the ONNX decoder does.
const MaxDepth = 32

// Weights says how Encode stores float constants.
type Weights string

const (
	// Auto stores a float tensor as an 8-bit palette when it has at most
	// 256 distinct values, as int16s and a scale when it is integers
	// times one (both exact, where smaller), else as float32.
	Auto Weights = "auto"
	// FP32 stores float tensors as Auto does: float32, or an exact form
	// where that is smaller.
	FP32 Weights = "fp32"
	// FP16 stores float tensors as float16 (lossy), Auto's exact forms
	// where they apply.
	FP16 Weights = "fp16"
	// Int8 stores float tensors of 2 or more dimensions as int8 per output
	// channel with a float32 scale (lossy), Auto's exact forms where they
	// apply.
	Int8 Weights = "int8"
)

// ParseWeights checks a -weights value.
func ParseWeights(s string) (Weights, error) {
	switch w := Weights(s); w {
	case Auto, FP32, FP16, Int8:
		return w, nil
	case "":
		return Auto, nil
	}
	return "", fmt.Errorf("weights must be auto, fp32, fp16 or int8, not %q", s)
}

// Meta is what a bundle carries beside its graph.
type Meta struct {
	Name   string          `json:"name"`
	Card   json.RawMessage `json:"card,omitempty"`   // the resolved model card
	Labels string          `json:"labels,omitempty"` // the labels file, one per line
	// About the ONNX file it was compiled from.
	SourceBytes  int    `json:"sourceBytes"`
	SourceSHA256 string `json:"sourceSHA256"`
	SourceOps    int    `json:"sourceOps"`    // nodes in the file
	SourceParams int    `json:"sourceParams"` // float parameters in the file
	Folded       int    `json:"folded"`
	Fused        int    `json:"fused"`
	Weights      string `json:"weights"` // how floats are stored: auto, fp32, fp16, int8
	// Lossy: the largest |difference| any stored constant has from its
	// float32 value (0 when every value is exact).
	MaxWeightError float64 `json:"maxWeightError"`
	// Check is the model check (model/check's report, as JSON) the
	// importer ran on the ONNX file; Fallback is set when the optimised
	// program disagreed with the reference and the bundle holds the
	// unoptimised one, and says why.
	Check    json.RawMessage `json:"check,omitempty"`
	Fallback string          `json:"fallback,omitempty"`
}

// Error is why a bundle did not load: Kind is "corrupt", "version" or
// "hash" (the stored checksum does not match: a damaged or edited file).
type Error struct {
	Kind string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func corrupt(format string, args ...any) error {
	return &Error{Kind: "corrupt", Err: fmt.Errorf("not a valid Glimpse bundle: "+format, args...)}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C a bundle ends with, of the bytes before it.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// sumSize is the checksum's size at the end of a bundle.
const sumSize = 4

// IsBundle reports whether data starts like a bundle.
func IsBundle(data []byte) bool { return len(data) >= len(magic) && string(data[:len(magic)]) == magic }

// ---- the header ---------------------------------------------------------------

type header struct {
	Meta  Meta      `json:"meta"`
	Graph jsonGraph `json:"graph"`
	Data  int64     `json:"data"` // bytes of the data section
}

type jsonGraph struct {
	Name      string                `json:"name,omitempty"`
	Producer  string                `json:"producer,omitempty"`
	IRVersion int64                 `json:"irVersion,omitempty"`
	Opset     int64                 `json:"opset"`
	Opsets    map[string]int64      `json:"opsets,omitempty"`
	Inputs    []jsonValue           `json:"inputs"`
	Outputs   []jsonValue           `json:"outputs"`
	Nodes     []jsonNode            `json:"nodes"`
	Inits     map[string]jsonTensor `json:"inits,omitempty"`
	ElemTypes map[string]int64      `json:"elemTypes,omitempty"`
}

type jsonValue struct {
	Name   string   `json:"name"`
	DType  uint8    `json:"dtype"`
	Elem   int64    `json:"elem,omitempty"`
	Dims   []int64  `json:"dims"`
	Params []string `json:"params,omitempty"` // symbolic dim names, "" for fixed ones
}

type jsonNode struct {
	Name    string              `json:"name,omitempty"`
	Op      string              `json:"op"`
	Inputs  []string            `json:"in"`
	Outputs []string            `json:"out"`
	Attrs   map[string]jsonAttr `json:"attrs,omitempty"`
}

// jsonAttr holds exactly one value; floats travel as their bits so that
// every value (NaN, ±Inf, -0) survives.
type jsonAttr struct {
	Int     *int64       `json:"i,omitempty"`
	Float   *uint32      `json:"f,omitempty"`
	Str     *string      `json:"s,omitempty"`
	Ints    []int64      `json:"is,omitempty"`
	Floats  []uint32     `json:"fs,omitempty"`
	Strs    []string     `json:"ss,omitempty"`
	Tensor  *jsonTensor  `json:"t,omitempty"`
	Tensors []jsonTensor `json:"ts,omitempty"`
	Graph   *jsonGraph   `json:"g,omitempty"`
	Graphs  []jsonGraph  `json:"gs,omitempty"`
	Kind    string       `json:"k"` // i f s is fs ss t ts g gs
}

// jsonTensor locates a tensor's payload in the data section.
type jsonTensor struct {
	DType uint8  `json:"dtype"`
	Shape []int  `json:"shape"`
	Enc   string `json:"enc"` // f32 f16 pal8 pal8r pal8s pal8rs i16s q8 i64 i8 i32 bool
	Off   int64  `json:"off"`
	Len   int64  `json:"len"`
	// pal8, pal8r, pal8s, pal8rs: the palette's size (its values come
	// first in the payload); q8: the axis-0 channel count (scales come
	// first).
	N int `json:"n,omitempty"`
}

// ---- encoding ------------------------------------------------------------------

type encoder struct {
	data    bytes.Buffer
	weights Weights
	maxErr  float64
	version int // the format version written: 1 has no pal8r
}

// Encode writes g (the optimised graph and its constants, as
// cpu.Program.Export gives it) and meta as a bundle.
func Encode(g *graph.Graph, meta Meta, w Weights) ([]byte, error) {
	return encode(g, meta, w, Version)
}

// encode writes a bundle of the given format version (Version, or 1 for
// the tests that check older bundles still load).
func encode(g *graph.Graph, meta Meta, w Weights, version int) ([]byte, error) {
	if w == "" {
		w = Auto
	}
	e := &encoder{weights: w, version: version}
	jg, err := e.graph(g, 0)
	if err != nil {
		return nil, err
	}
	meta.Weights = string(w)
	meta.MaxWeightError = e.maxErr
	hdr, err := json.Marshal(header{Meta: meta, Graph: jg, Data: int64(e.data.Len())})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteString(magic)
	binary.Write(&out, binary.LittleEndian, uint32(version))
	binary.Write(&out, binary.LittleEndian, uint32(len(hdr)))
	out.Write(hdr)
	out.Write(e.data.Bytes())
	return binary.LittleEndian.AppendUint32(out.Bytes(), Checksum(out.Bytes())), nil
}

func (e *encoder) graph(g *graph.Graph, depth int) (jsonGraph, error) {
	if depth > MaxDepth {
		return jsonGraph{}, fmt.Errorf("graphs nested deeper than %d", MaxDepth)
	}
	jg := jsonGraph{Name: g.Name, Producer: g.Producer, IRVersion: g.IRVersion, Opset: g.Opset, Opsets: g.Opsets, ElemTypes: g.ElemTypes}
	for _, v := range g.Inputs {
		jg.Inputs = append(jg.Inputs, value(v))
	}
	for _, v := range g.Outputs {
		jg.Outputs = append(jg.Outputs, value(v))
	}
	names := make([]string, 0, len(g.Initializers))
	for name := range g.Initializers {
		names = append(names, name)
	}
	sort.Strings(names) // the same graph always gives the same bytes
	if len(names) > 0 {
		jg.Inits = map[string]jsonTensor{}
	}
	for _, name := range names {
		t, err := e.tensor(g.Initializers[name], true)
		if err != nil {
			return jsonGraph{}, fmt.Errorf("initializer %q: %v", name, err)
		}
		jg.Inits[name] = t
	}
	for _, n := range g.Nodes {
		jn := jsonNode{Name: n.Name, Op: n.Op, Inputs: n.Inputs, Outputs: n.Outputs}
		if jn.Inputs == nil {
			jn.Inputs = []string{}
		}
		keys := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a, err := e.attr(n.Attrs[k], depth)
			if err != nil {
				return jsonGraph{}, fmt.Errorf("%s: attribute %q: %v", n.Label(), k, err)
			}
			if jn.Attrs == nil {
				jn.Attrs = map[string]jsonAttr{}
			}
			jn.Attrs[k] = a
		}
		jg.Nodes = append(jg.Nodes, jn)
	}
	return jg, nil
}

func value(v graph.ValueInfo) jsonValue {
	jv := jsonValue{Name: v.Name, DType: uint8(v.DType), Elem: v.Elem, Dims: []int64{}}
	symbolic := false
	for _, d := range v.Dims {
		jv.Dims = append(jv.Dims, d.Value)
		jv.Params = append(jv.Params, d.Param)
		symbolic = symbolic || d.Param != ""
	}
	if !symbolic {
		jv.Params = nil
	}
	return jv
}

func bits(fs []float32) []uint32 {
	out := make([]uint32, len(fs))
	for i, f := range fs {
		out[i] = math.Float32bits(f)
	}
	return out
}

func (e *encoder) attr(v any, depth int) (jsonAttr, error) {
	switch v := v.(type) {
	case int64:
		return jsonAttr{Kind: "i", Int: &v}, nil
	case float32:
		b := math.Float32bits(v)
		return jsonAttr{Kind: "f", Float: &b}, nil
	case string:
		return jsonAttr{Kind: "s", Str: &v}, nil
	case []int64:
		return jsonAttr{Kind: "is", Ints: append([]int64{}, v...)}, nil
	case []float32:
		return jsonAttr{Kind: "fs", Floats: bits(v)}, nil
	case []string:
		return jsonAttr{Kind: "ss", Strs: append([]string{}, v...)}, nil
	case *graph.Tensor:
		t, err := e.tensor(v, false)
		return jsonAttr{Kind: "t", Tensor: &t}, err
	case []*graph.Tensor:
		a := jsonAttr{Kind: "ts", Tensors: []jsonTensor{}}
		for _, x := range v {
			t, err := e.tensor(x, false)
			if err != nil {
				return a, err
			}
			a.Tensors = append(a.Tensors, t)
		}
		return a, nil
	case *graph.Graph:
		g, err := e.graph(v, depth+1)
		return jsonAttr{Kind: "g", Graph: &g}, err
	case []*graph.Graph:
		a := jsonAttr{Kind: "gs", Graphs: []jsonGraph{}}
		for _, x := range v {
			g, err := e.graph(x, depth+1)
			if err != nil {
				return a, err
			}
			a.Graphs = append(a.Graphs, g)
		}
		return a, nil
	}
	return jsonAttr{}, fmt.Errorf("a value of type %T cannot be stored", v)
}

// tensor appends t's payload to the data section. Weights (initializers)
// follow the encoder's choice; attribute tensors stay exact.
func (e *encoder) tensor(t *graph.Tensor, weight bool) (jsonTensor, error) {
	if t == nil {
		return jsonTensor{}, errors.New("no tensor")
	}
	n := graph.NumElems(t.Shape)
	jt := jsonTensor{DType: uint8(t.DType), Shape: append([]int{}, t.Shape...)}
	if jt.Shape == nil {
		jt.Shape = []int{}
	}
	for e.data.Len()%16 != 0 {
		e.data.WriteByte(0)
	}
	jt.Off = int64(e.data.Len())
	var buf []byte
	switch t.DType {
	case graph.Float32:
		if len(t.F) != n {
			return jt, fmt.Errorf("%d values for shape %v", len(t.F), t.Shape)
		}
		buf = e.floats(t.F, t.Shape, weight, &jt)
	case graph.Int64:
		if len(t.I) != n {
			return jt, fmt.Errorf("%d values for shape %v", len(t.I), t.Shape)
		}
		lo, hi := int64(0), int64(0)
		for _, v := range t.I {
			lo, hi = min(lo, v), max(hi, v)
		}
		switch {
		case e.version >= 3 && lo >= math.MinInt8 && hi <= math.MaxInt8:
			jt.Enc = "i8"
			buf = make([]byte, n)
			for i, v := range t.I {
				buf[i] = byte(int8(v))
			}
		case e.version >= 3 && lo >= math.MinInt32 && hi <= math.MaxInt32:
			jt.Enc = "i32"
			buf = make([]byte, 4*n)
			for i, v := range t.I {
				binary.LittleEndian.PutUint32(buf[4*i:], uint32(int32(v)))
			}
		default:
			jt.Enc = "i64"
			buf = make([]byte, 8*n)
			for i, v := range t.I {
				binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
			}
		}
	case graph.Bool:
		if len(t.B) != n {
			return jt, fmt.Errorf("%d values for shape %v", len(t.B), t.Shape)
		}
		jt.Enc = "bool"
		buf = make([]byte, n)
		for i, v := range t.B {
			if v {
				buf[i] = 1
			}
		}
	default:
		return jt, fmt.Errorf("element type %v cannot be stored", t.DType)
	}
	e.data.Write(buf)
	jt.Len = int64(len(buf))
	return jt, nil
}

func f32bytes(fs []float32) []byte {
	buf := make([]byte, 4*len(fs))
	for i, f := range fs {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
	}
	return buf
}

// floats picks the encoding of a float tensor.
func (e *encoder) floats(fs []float32, shape []int, weight bool, jt *jsonTensor) []byte {
	jt.Enc = "f32"
	if !weight {
		return f32bytes(fs)
	}
	if e.version < 2 {
		return e.floats1(fs, shape, jt)
	}
	if enc, n, b, ok := exact(fs); ok {
		jt.Enc, jt.N = enc, n
		return b
	}
	if len(fs) < 64 {
		return f32bytes(fs)
	}
	return e.lossy(fs, shape, jt)
}

// floats1 is floats for a version 1 bundle, as version 1 wrote them.
func (e *encoder) floats1(fs []float32, shape []int, jt *jsonTensor) []byte {
	if len(fs) < 64 {
		return f32bytes(fs)
	}
	if pal, idx, ok := palette(fs); ok {
		jt.Enc, jt.N = "pal8", len(pal)
		return append(f32bytes(pal), idx...)
	}
	return e.lossy(fs, shape, jt)
}

// exact returns the smallest exact encoding of fs, a tensor with at most
// 256 distinct values or scaled (scaleOf): a palette (pal8, pal8r, pal8s or
// pal8rs), scaled int16s (i16s) or f32; ok is false when fs is neither
// (the Weights option then decides). Ties go to f32, then i16s. A
// palette is stored scaled where that is smaller than its float32s, then
// its indices rANS-coded where that is smaller than a byte each.
func exact(fs []float32) (enc string, pn int, payload []byte, ok bool) {
	pal, idx, palettable := palette(fs)
	var s float32
	var ks []int16
	var scaled bool
	if palettable {
		s, ks, scaled = scaleOf(pal)
	} else {
		s, ks, scaled = scaleOf(fs)
	}
	if !palettable && !scaled {
		return "", 0, nil, false
	}
	enc, size := "f32", 4*len(fs)
	if scaled && 4+2*len(fs) < size {
		enc, size = "i16s", 4+2*len(fs)
	}
	if palettable {
		// The palette (float32s or scaled), the indices (a byte each or
		// rANS-coded), and the encoding's name for each form of indices.
		head, body, n := f32bytes(pal), idx, len(pal)
		penc := [2]string{"pal8", "pal8r"}
		if scaled {
			if sp, perm := scaledPalette(s, ks); len(sp) < len(head) {
				head, penc = sp, [2]string{"pal8s", "pal8rs"}
				sorted := make([]byte, len(idx))
				for i, k := range idx {
					sorted[i] = perm[k]
				}
				body = sorted
			}
		}
		coded := 0
		if r, ok := pal8r(body, n, len(head)); ok && len(r) < len(body) {
			body, coded = r, 1
		}
		if len(head)+len(body) < size {
			enc, payload, pn = penc[coded], append(head, body...), n
		}
	}
	switch enc {
	case "f32":
		return enc, 0, f32bytes(fs), true
	case "i16s":
		if palettable { // the k's are the palette's
			all := make([]int16, len(fs))
			for i, k := range idx {
				all[i] = ks[k]
			}
			ks = all
		}
		return enc, 0, i16s(s, ks), true
	}
	return enc, pn, payload, true
}

// lossy is the Weights option's encoding of a float tensor that has no
// exact one but float32.
func (e *encoder) lossy(fs []float32, shape []int, jt *jsonTensor) []byte {
	switch e.weights {
	case FP16:
		jt.Enc = "f16"
		buf := make([]byte, 2*len(fs))
		for i, f := range fs {
			h := graph.ToFloat16(f)
			binary.LittleEndian.PutUint16(buf[2*i:], h)
			e.note(f, graph.Float16(h))
		}
		return buf
	case Int8:
		if len(shape) < 2 || shape[0] == 0 {
			break
		}
		ch := shape[0]
		per := len(fs) / ch
		scales := make([]float32, ch)
		q := make([]byte, len(fs))
		for c := range ch {
			row := fs[c*per : (c+1)*per]
			m := float32(0)
			for _, v := range row {
				m = max(m, float32(math.Abs(float64(v))))
			}
			if m == 0 || math.IsInf(float64(m), 0) || math.IsNaN(float64(m)) {
				return f32bytes(fs) // keep such tensors exact
			}
			s := m / 127
			scales[c] = s
			for i, v := range row {
				k := max(-127, min(127, int(math.Round(float64(v/s)))))
				q[c*per+i] = byte(int8(k))
				e.note(v, float32(k)*s)
			}
		}
		jt.Enc, jt.N = "q8", ch
		return append(f32bytes(scales), q...)
	}
	return f32bytes(fs)
}

func (e *encoder) note(want, got float32) {
	e.maxErr = max(e.maxErr, math.Abs(float64(want)-float64(got)))
}

// palette returns the distinct values of fs (at most 256, by their bits, so
// -0 and NaNs stay what they were) and each element's index.
func palette(fs []float32) ([]float32, []byte, bool) {
	index := map[uint32]byte{}
	var pal []float32
	idx := make([]byte, len(fs))
	for i, f := range fs {
		b := math.Float32bits(f)
		k, ok := index[b]
		if !ok {
			if len(pal) == 256 {
				return nil, nil, false
			}
			k = byte(len(pal))
			index[b] = k
			pal = append(pal, f)
		}
		idx[i] = k
	}
	return pal, idx, true
}

// ---- decoding ------------------------------------------------------------------

// Decode reads a bundle: the graph (with its constants as initializers),
// and its meta. A truncated or damaged file, another format version or a
// checksum that does not match is an *Error; so is a forged bundle that is
// over the limits (limits.go) or inconsistent. It never panics.
func Decode(data []byte) (g *graph.Graph, meta Meta, err error) {
	d := &decoder{}
	defer func() {
		if r := recover(); r != nil {
			g, meta, err = nil, Meta{}, corrupt("internal error%s: %s", d.at(), oneline.Panic(r))
		}
	}()
	if !IsBundle(data) {
		return nil, Meta{}, corrupt("it does not start with %q", magic)
	}
	if len(data) < len(magic)+8+sumSize {
		return nil, Meta{}, corrupt("the file is truncated (%d bytes)", len(data))
	}
	v := binary.LittleEndian.Uint32(data[8:])
	if v < minVersion || v > Version {
		return nil, Meta{}, &Error{Kind: "version", Err: fmt.Errorf("the bundle is format version %d; this build reads versions %d to %d: compile the model again", v, minVersion, Version)}
	}
	d.version = int(v)
	body := data[:len(data)-sumSize]
	if Checksum(body) != binary.LittleEndian.Uint32(data[len(body):]) {
		return nil, Meta{}, &Error{Kind: "hash", Err: errors.New("the bundle's checksum does not match its content: the file is damaged, truncated or was edited")}
	}
	hlen := int64(binary.LittleEndian.Uint32(data[12:]))
	if 16+hlen > int64(len(body)) {
		return nil, Meta{}, corrupt("its header runs past the end of the file")
	}
	if hlen > maxHeader {
		return nil, Meta{}, corrupt("its header is %d bytes, more than the %d Glimpse reads", hlen, maxHeader)
	}
	hdr := body[16 : 16+hlen]
	if err := checkJSON(hdr); err != nil {
		return nil, Meta{}, corrupt("%v", err)
	}
	var h header
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, Meta{}, corrupt("its header: %s", oneline.Clean(err.Error(), 200))
	}
	d.data = body[16+hlen:]
	if h.Data != int64(len(d.data)) {
		return nil, Meta{}, corrupt("the data section has %d bytes, the header says %d", len(d.data), h.Data)
	}
	g, err = d.graph(&h.Graph, 0)
	if err != nil {
		return nil, Meta{}, corrupt("%v", err)
	}
	return g, h.Meta, nil
}

type decoder struct {
	data          []byte
	version       int        // the bundle's format version
	rans          *ransTable // pal8r's slot table, made for the first pal8r tensor
	graphs, nodes int        // graph attributes and nodes decoded so far
	// Where the decoder is, for the message of a panic.
	atInit, atAttr string
	atNode         *graph.Node
}

// at says where the decoder was, for a panic's message.
func (d *decoder) at() string {
	switch {
	case d.atInit != "":
		return " in initializer " + oneline.Quote(d.atInit)
	case d.atNode != nil:
		return fmt.Sprintf(" in node %s (%s) attribute %s", oneline.Quote(d.atNode.DisplayName()), oneline.QuoteOp(d.atNode.Op), oneline.Quote(d.atAttr))
	}
	return ""
}

func (d *decoder) graph(jg *jsonGraph, depth int) (*graph.Graph, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("graphs nested deeper than %d", MaxDepth)
	}
	if depth > 0 {
		if d.graphs++; d.graphs > maxGraphs {
			return nil, fmt.Errorf("more than %d graph attributes", maxGraphs)
		}
	}
	if d.nodes += len(jg.Nodes); d.nodes > maxNodes {
		return nil, fmt.Errorf("more than %d nodes", maxNodes)
	}
	d.atInit, d.atNode = "", nil
	g := &graph.Graph{Name: jg.Name, Producer: jg.Producer, IRVersion: jg.IRVersion, Opset: jg.Opset, Opsets: jg.Opsets,
		ElemTypes: jg.ElemTypes, Initializers: make(map[string]*graph.Tensor, len(jg.Inits))}
	for _, v := range jg.Inputs {
		vi, err := valueInfo(v)
		if err != nil {
			return nil, fmt.Errorf("input %s: %v", oneline.Quote(v.Name), err)
		}
		g.Inputs = append(g.Inputs, vi)
	}
	for _, v := range jg.Outputs {
		vi, err := valueInfo(v)
		if err != nil {
			return nil, fmt.Errorf("output %s: %v", oneline.Quote(v.Name), err)
		}
		g.Outputs = append(g.Outputs, vi)
	}
	for name, jt := range jg.Inits {
		d.atInit = name
		t, err := d.tensor(jt)
		if err != nil {
			return nil, fmt.Errorf("initializer %s: %v", oneline.Quote(name), err)
		}
		g.Initializers[name] = t
	}
	d.atInit = ""
	if len(jg.Nodes) > 0 {
		g.Nodes = make([]*graph.Node, 0, len(jg.Nodes))
	}
	for i, jn := range jg.Nodes {
		if jn.Op == "" {
			return nil, fmt.Errorf("node %d has no op", i)
		}
		n := &graph.Node{Name: jn.Name, Op: jn.Op, Inputs: jn.Inputs, Outputs: jn.Outputs, Attrs: make(map[string]any, len(jn.Attrs))}
		if n.Inputs == nil {
			n.Inputs = []string{}
		}
		for k, a := range jn.Attrs {
			d.atNode, d.atAttr = n, k
			v, err := d.attr(a, depth)
			if err != nil {
				return nil, fmt.Errorf("node %s (%s): attribute %s: %v", oneline.Quote(n.DisplayName()), oneline.QuoteOp(n.Op), oneline.Quote(k), err)
			}
			n.Attrs[k] = v
		}
		g.Nodes = append(g.Nodes, n)
	}
	d.atNode = nil
	return g, nil
}

// valueInfo checks a graph input's or output's dimensions as the ONNX
// decoder does: none negative, the fixed ones at most maxElems elements
// together; symbolic ones (named in Params) are fine.
func valueInfo(v jsonValue) (graph.ValueInfo, error) {
	vi := graph.ValueInfo{Name: v.Name, DType: graph.DType(v.DType), Elem: v.Elem}
	if len(v.Dims) > maxRank {
		return vi, fmt.Errorf("%d dimensions, more than %d", len(v.Dims), maxRank)
	}
	n := int64(1)
	for i, x := range v.Dims {
		dim := graph.Dim{Value: x}
		if i < len(v.Params) {
			dim.Param = v.Params[i]
		}
		switch {
		case dim.Param != "" || x == 0:
		case x < 0:
			return vi, fmt.Errorf("dimension %d is negative (%d)", i, x)
		case n > maxElems/x:
			return vi, fmt.Errorf("its dimensions exceed %d elements", maxElems)
		default:
			n *= x
		}
		vi.Dims = append(vi.Dims, dim)
	}
	return vi, nil
}

func floats(b []uint32) []float32 {
	out := make([]float32, len(b))
	for i, x := range b {
		out[i] = math.Float32frombits(x)
	}
	return out
}

func (d *decoder) attr(a jsonAttr, depth int) (any, error) {
	switch a.Kind {
	case "i":
		if a.Int != nil {
			return *a.Int, nil
		}
	case "f":
		if a.Float != nil {
			return math.Float32frombits(*a.Float), nil
		}
	case "s":
		if a.Str != nil {
			return *a.Str, nil
		}
	case "is":
		return slices.Clone(a.Ints), nil
	case "fs":
		return floats(a.Floats), nil
	case "ss":
		return slices.Clone(a.Strs), nil
	case "t":
		if a.Tensor != nil {
			return d.tensor(*a.Tensor)
		}
	case "ts":
		var ts []*graph.Tensor
		for _, jt := range a.Tensors {
			t, err := d.tensor(jt)
			if err != nil {
				return nil, err
			}
			ts = append(ts, t)
		}
		return ts, nil
	case "g":
		if a.Graph != nil {
			return d.graph(a.Graph, depth+1)
		}
	case "gs":
		var gs []*graph.Graph
		for i := range a.Graphs {
			g, err := d.graph(&a.Graphs[i], depth+1)
			if err != nil {
				return nil, err
			}
			gs = append(gs, g)
		}
		return gs, nil
	}
	return nil, fmt.Errorf("kind %q without its value", a.Kind)
}

func (d *decoder) tensor(jt jsonTensor) (*graph.Tensor, error) {
	if len(jt.Shape) > maxRank {
		return nil, fmt.Errorf("%d dimensions, more than %d", len(jt.Shape), maxRank)
	}
	// Each dimension is checked, whatever its neighbours: [0, 2^62] holds
	// no elements but would still overflow stride arithmetic later.
	n, empty := 1, false
	for _, s := range jt.Shape {
		if s < 0 || s > maxElems || (s > 0 && n > maxElems/s) {
			return nil, fmt.Errorf("shape %v is negative or too large", jt.Shape)
		}
		if s == 0 {
			empty = true
			continue
		}
		n *= s
	}
	if empty {
		n = 0
	}
	if jt.Off < 0 || jt.Len < 0 || jt.Off > int64(len(d.data)) || jt.Len > int64(len(d.data))-jt.Off {
		return nil, fmt.Errorf("payload [%d, +%d) is outside the data section (%d bytes)", jt.Off, jt.Len, len(d.data))
	}
	p := d.data[jt.Off : jt.Off+jt.Len]
	need := func(b int64) error {
		if jt.Len != b {
			return fmt.Errorf("%s payload of %d bytes for shape %v, want %d", jt.Enc, jt.Len, jt.Shape, b)
		}
		return nil
	}
	t := &graph.Tensor{DType: graph.DType(jt.DType), Shape: slices.Clone(jt.Shape)}
	if t.Shape == nil {
		t.Shape = []int{}
	}
	f32 := func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
	switch jt.Enc {
	case "f32", "f16", "pal8", "pal8r", "pal8s", "pal8rs", "i16s", "q8":
		if d.version < 2 && (jt.Enc == "pal8r" || jt.Enc == "pal8s" || jt.Enc == "pal8rs" || jt.Enc == "i16s") {
			return nil, fmt.Errorf("%s payload in a version %d bundle", jt.Enc, d.version)
		}
		if t.DType != graph.Float32 {
			return nil, fmt.Errorf("%s payload for a %v tensor", jt.Enc, t.DType)
		}
	case "i64", "i8", "i32":
		if t.DType != graph.Int64 {
			return nil, fmt.Errorf("%s payload for a %v tensor", jt.Enc, t.DType)
		}
		if d.version < 3 && jt.Enc != "i64" {
			return nil, fmt.Errorf("%s payload in a version %d bundle", jt.Enc, d.version)
		}
	case "bool":
		if t.DType != graph.Bool {
			return nil, fmt.Errorf("%s payload for a %v tensor", jt.Enc, t.DType)
		}
	default:
		return nil, fmt.Errorf("unknown encoding %q", jt.Enc)
	}
	// A palette's values, and the payload after them.
	var pal [256]float32
	switch jt.Enc {
	case "pal8", "pal8r", "pal8s", "pal8rs":
		if jt.N < 1 || jt.N > 256 {
			return nil, fmt.Errorf("a palette of %d values", jt.N)
		}
		switch jt.Enc {
		case "pal8":
			if err := need(4*int64(jt.N) + int64(n)); err != nil {
				return nil, err
			}
		case "pal8r":
			if jt.Len < 6*int64(jt.N)+8 {
				return nil, fmt.Errorf("pal8r payload of %d bytes for a palette of %d values, want at least %d", jt.Len, jt.N, 6*jt.N+8)
			}
		}
		if jt.Enc == "pal8" || jt.Enc == "pal8r" {
			for i := range jt.N {
				pal[i] = f32(p[4*i:])
			}
			p = p[4*jt.N:]
		} else {
			var err error
			if p, err = decodeScaledPalette(jt.Enc, pal[:jt.N], p); err != nil {
				return nil, err
			}
		}
	}
	switch jt.Enc {
	case "f32":
		if err := need(4 * int64(n)); err != nil {
			return nil, err
		}
		t.F = make([]float32, n)
		for i := range t.F {
			t.F[i] = f32(p[4*i:])
		}
	case "f16":
		if err := need(2 * int64(n)); err != nil {
			return nil, err
		}
		t.F = make([]float32, n)
		for i := range t.F {
			t.F[i] = graph.Float16(binary.LittleEndian.Uint16(p[2*i:]))
		}
	case "i16s":
		if err := need(4 + 2*int64(n)); err != nil {
			return nil, err
		}
		var err error
		if t.F, err = decodeI16s(p); err != nil {
			return nil, err
		}
	case "pal8", "pal8s":
		if len(p) != n {
			return nil, fmt.Errorf("%s payload of %d bytes for shape %v: %d index bytes after the palette, want %d", jt.Enc, jt.Len, jt.Shape, len(p), n)
		}
		t.F = make([]float32, n)
		for i, k := range p {
			if int(k) >= jt.N {
				return nil, fmt.Errorf("palette index %d of %d", k, jt.N)
			}
			t.F[i] = pal[k]
		}
	case "pal8r", "pal8rs":
		if int64(n) > ransMaxElemsPerByte*jt.Len {
			return nil, fmt.Errorf("%s payload of %d bytes for shape %v: more than %d elements a byte", jt.Enc, jt.Len, jt.Shape, ransMaxElemsPerByte)
		}
		if d.rans == nil {
			d.rans = new(ransTable)
		}
		t.F = make([]float32, n)
		if err := ransDecode(t.F, pal[:jt.N], p, d.rans); err != nil {
			return nil, err
		}
	case "q8":
		if len(t.Shape) < 2 || jt.N != t.Shape[0] || jt.N == 0 {
			return nil, fmt.Errorf("int8 scales for %d channels, shape %v", jt.N, t.Shape)
		}
		if err := need(4*int64(jt.N) + int64(n)); err != nil {
			return nil, err
		}
		q := p[4*jt.N:]
		per := n / jt.N
		t.F = make([]float32, n)
		for c := range jt.N {
			s := f32(p[4*c:])
			for i := c * per; i < (c+1)*per; i++ {
				t.F[i] = float32(int8(q[i])) * s
			}
		}
	case "i64":
		if err := need(8 * int64(n)); err != nil {
			return nil, err
		}
		t.I = make([]int64, n)
		for i := range t.I {
			t.I[i] = int64(binary.LittleEndian.Uint64(p[8*i:]))
		}
	case "i8":
		if err := need(int64(n)); err != nil {
			return nil, err
		}
		t.I = make([]int64, n)
		for i := range t.I {
			t.I[i] = int64(int8(p[i]))
		}
	case "i32":
		if err := need(4 * int64(n)); err != nil {
			return nil, err
		}
		t.I = make([]int64, n)
		for i := range t.I {
			t.I[i] = int64(int32(binary.LittleEndian.Uint32(p[4*i:])))
		}
	case "bool":
		if err := need(int64(n)); err != nil {
			return nil, err
		}
		t.B = make([]bool, n)
		for i := range t.B {
			t.B[i] = p[i] != 0
		}
	}
	return t, nil
}
