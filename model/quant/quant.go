// Package quant is static post-training quantization of ONNX models: it
// calibrates the value ranges of a float model's tensors on sample inputs
// (Calibrator) and rewrites the model, at the protobuf wire level, into an
// 8-bit one (Quantize) as ONNX Runtime's quantize_static writes them:
// int8 symmetric weights (per output channel or per tensor), int32
// biases with scale x_scale·w_scale, uint8 asymmetric activations, in
// QDQ form (QuantizeLinear→DequantizeLinear pairs around float ops) or
// QOperator form (QLinearConv, QGemm, QLinearMatMul, com.microsoft
// QLinearAdd/Mul/Concat/GlobalAveragePool). Everything else in the file
// (other nodes, initializers, metadata, doc strings, unknown fields) is
// kept as written. The package does no I/O: models and inputs are passed in.
package quant

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/internal/oneline"
	"github.com/glimpse/glimpse/model/onnx"
	"google.golang.org/protobuf/encoding/protowire"
)

// Format is how the quantized model is written.
type Format string

const (
	// FormatQDQ keeps the float ops and puts QuantizeLinear→DequantizeLinear
	// pairs on their activations, weights stored as int8 behind a
	// DequantizeLinear (ORT's QuantFormat.QDQ).
	FormatQDQ Format = "qdq"
	// FormatQOperator replaces the ops by quantized ones (QLinearConv,
	// QGemm, ...) on uint8 tensors (ORT's QuantFormat.QOperator).
	FormatQOperator Format = "qoperator"
)

// Range is a tensor's calibrated value range.
type Range struct{ Min, Max float32 }

// Options tunes Quantize.
type Options struct {
	Format Format // "" means FormatQDQ
	// PerChannel quantizes Conv and Gemm weights per output channel
	// (MatMul weights stay per tensor); else every weight is per tensor.
	PerChannel bool
	// Exclude names nodes to leave in float, by node name or output name
	// (ORT's nodes_to_exclude).
	Exclude []string
}

// Result is a quantized model and what was done to it.
type Result struct {
	Model []byte
	// Quantized counts the nodes quantized by op type (an activation
	// merged into the op before it, Relu or Clip(0, max), is counted
	// under "Relu"/"Clip"); Float the quantizable-kind nodes left in float.
	Quantized, Float map[string]int
	Opset            int64    // the ai.onnx opset the model imports now
	Notes            []string // what was left in float and why, opset changes
}

// ErrNothingToQuantize is returned for a model without a node Quantize can quantize.
var ErrNothingToQuantize = errors.New("the model has no op to quantize (Conv, Gemm, MatMul, Add, Mul, Concat or GlobalAveragePool with float weights and calibrated inputs)")

// Ops are the op types Quantize quantizes.
var Ops = []string{"Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "GlobalAveragePool"}

// node is a NodeProto as read from the file.
type node struct {
	raw             []byte
	inputs, outputs []string
	op, domain      string
	name            string
	attrs           []attr
	other           [][]byte // raw fields other than input and output, in order
	graphs          bool     // it has graph attributes (If, Loop, Scan)
}

func (n *node) attr(name string) (attr, bool) {
	for _, a := range n.attrs {
		if a.name == name {
			return a, true
		}
	}
	return attr{}, false
}

func (n *node) intAttr(name string, def int64) int64 {
	if a, ok := n.attr(name); ok {
		return a.i
	}
	return def
}

func (n *node) floatAttr(name string, def float32) float32 {
	if a, ok := n.attr(name); ok {
		return a.f
	}
	return def
}

func (n *node) in(i int) string {
	if i < len(n.inputs) {
		return n.inputs[i]
	}
	return ""
}

func parseNode(b []byte) (*node, error) {
	fs, err := fields(b)
	if err != nil {
		return nil, err
	}
	n := &node{raw: b}
	for _, f := range fs {
		if f.typ != protowire.BytesType {
			n.other = append(n.other, f.raw)
			continue
		}
		switch f.num {
		case nodeInput:
			n.inputs = append(n.inputs, string(f.b))
			continue
		case nodeOutput:
			n.outputs = append(n.outputs, string(f.b))
			continue
		case nodeOpType:
			n.op = string(f.b)
		case nodeDomain:
			n.domain = string(f.b)
		case nodeName:
			n.name = string(f.b)
		case nodeAttribute:
			a := parseAttr(f)
			n.attrs = append(n.attrs, a)
			sub, _ := fields(f.b)
			for _, x := range sub {
				if x.num == 6 || x.num == 11 { // g, graphs
					n.graphs = true
				}
			}
		}
		n.other = append(n.other, f.raw)
	}
	if n.domain == "ai.onnx" {
		n.domain = ""
	}
	return n, nil
}

// withInputs is the node's bytes with its inputs replaced.
func (n *node) withInputs(ins []string) []byte {
	same := len(ins) == len(n.inputs)
	for i := range ins {
		if same && ins[i] != n.inputs[i] {
			same = false
		}
	}
	if same {
		return n.raw
	}
	var b []byte
	for _, in := range ins {
		b = strField(b, nodeInput, in)
	}
	for _, o := range n.outputs {
		b = strField(b, nodeOutput, o)
	}
	for _, o := range n.other {
		b = append(b, o...)
	}
	return b
}

// model is the parsed file.
type model struct {
	top       []field // the ModelProto's fields
	graph     []field // the GraphProto's fields (repeated graph fields merged)
	irVersion int64
	opset     int64
	msOpset   int64 // com.microsoft, 0 when not imported
	nodes     []*node
	inits     map[string][]byte // initializer name → TensorProto bytes
	inputs    map[string]bool   // graph inputs that are not initializers
	outputs   map[string]bool
}

func parseModel(data []byte) (*model, error) {
	if len(data) == 0 {
		return nil, errors.New("not an ONNX file: it is empty")
	}
	top, err := fields(data)
	if err != nil {
		return nil, fmt.Errorf("not an ONNX file: %v", err)
	}
	m := &model{top: top, inits: map[string][]byte{}, inputs: map[string]bool{}, outputs: map[string]bool{}, opset: -1}
	var g []byte
	hasGraph := false
	for _, f := range top {
		switch {
		case f.num == modelIRVersion && f.typ == protowire.VarintType:
			m.irVersion = int64(f.v)
		case f.num == modelGraph && f.typ == protowire.BytesType:
			g, hasGraph = append(g, f.b...), true
		case f.num == modelOpsetImport && f.typ == protowire.BytesType:
			fs, err := fields(f.b)
			if err != nil {
				return nil, fmt.Errorf("not an ONNX file: %v", err)
			}
			domain, version := "", int64(0)
			for _, x := range fs {
				if x.num == opsetDomain && x.typ == protowire.BytesType {
					domain = string(x.b)
				}
				if x.num == opsetVersion && x.typ == protowire.VarintType {
					version = int64(x.v)
				}
			}
			switch domain {
			case "", "ai.onnx":
				m.opset = version
			case "com.microsoft":
				m.msOpset = version
			}
		}
	}
	if !hasGraph {
		return nil, errors.New("not an ONNX file: it holds no graph")
	}
	if m.opset < 0 {
		return nil, errors.New("not an ONNX file: it imports no ai.onnx opset")
	}
	if m.graph, err = fields(g); err != nil {
		return nil, fmt.Errorf("not an ONNX file: %v", err)
	}
	var inputs []string
	for _, f := range m.graph {
		if f.typ != protowire.BytesType {
			continue
		}
		switch f.num {
		case graphNode:
			n, err := parseNode(f.b)
			if err != nil {
				return nil, fmt.Errorf("not an ONNX file: node %d: %v", len(m.nodes), err)
			}
			m.nodes = append(m.nodes, n)
		case graphInitializer:
			m.inits[stringOf(f.b, tensorName)] = f.b
		case graphInput:
			inputs = append(inputs, stringOf(f.b, valueName))
		case graphOutput:
			m.outputs[stringOf(f.b, valueName)] = true
		}
	}
	for _, in := range inputs {
		if _, ok := m.inits[in]; !ok {
			m.inputs[in] = true
		}
	}
	if len(m.nodes) == 0 {
		return nil, errors.New("not an ONNX file: its graph has no nodes")
	}
	return m, nil
}

// floatInit decodes a float32 initializer; nil when name is not one.
func (m *model) floatInit(name string) *graph.Tensor {
	b, ok := m.inits[name]
	for depth := 0; !ok && name != "" && depth < 8; depth++ {
		// An exporter's Identity in front of an initializer (PyTorch
		// writes biases so): the same constant.
		src := m.identitySource(name)
		if src == "" {
			break
		}
		name = src
		b, ok = m.inits[name]
	}
	if !ok || name == "" {
		return nil
	}
	t, elem, _, err := onnx.DecodeTensor(b)
	if err != nil || elem != elemFloat || t.DType != graph.Float32 {
		return nil
	}
	return t
}

// identitySource is the input of the Identity node that writes name, or
// "" when no Identity does.
func (m *model) identitySource(name string) string {
	for _, n := range m.nodes {
		if n.op == "Identity" && n.domain == "" && len(n.outputs) == 1 && n.outputs[0] == name && len(n.inputs) == 1 {
			return n.inputs[0]
		}
	}
	return ""
}

// qparams are an activation's uint8 scale and zero point.
type qparams struct {
	scale float32
	zp    uint8
}

// ActivationParams is ORT's uint8 asymmetric scale and zero point for a
// range: the range is widened to hold 0, scale = (max-min)/255 and
// zp = round(-min/scale) (scale 1, zp 0 for an empty range).
func ActivationParams(r Range) (scale float32, zp uint8) {
	lo, hi := min(r.Min, 0), max(r.Max, 0)
	scale = (hi - lo) / 255
	if !(scale > 0) || math.IsInf(float64(scale), 0) {
		return 1, 0
	}
	z := math.RoundToEven(float64(-lo / scale))
	return scale, uint8(max(0, min(255, z)))
}

// QuantizeWeights quantizes w to int8 symmetrically ([-127, 127], zero
// point 0): per index along axis when perChannel, else per tensor. It
// returns the values and the scales: absmax/127 (ORT's; 1 where all are
// 0), or, for weights that already lie on a grid of multiples of a step
// s with at most 127 steps either side of 0 (a model converted from an
// 8-bit one), s itself, which keeps them exactly.
func QuantizeWeights(w *graph.Tensor, axis int, perChannel bool) ([]int8, []float32) {
	outer, dim, inner := 1, 1, len(w.F)
	if perChannel && axis < len(w.Shape) {
		outer, dim, inner = graph.NumElems(w.Shape[:axis]), w.Shape[axis], graph.NumElems(w.Shape[axis+1:])
	}
	absmax := make([]float32, dim)
	for o := 0; o < outer; o++ {
		for d := 0; d < dim; d++ {
			for _, v := range w.F[(o*dim+d)*inner : (o*dim+d+1)*inner] {
				absmax[d] = max(absmax[d], float32(math.Abs(float64(v))))
			}
		}
	}
	scales := make([]float32, dim)
	for d, a := range absmax {
		scales[d] = 2 * a / 254
		if !(scales[d] > 0) {
			scales[d] = 1
		}
	}
	// Weights already on a uniform grid {k·s} (a model converted from an
	// 8-bit one) keep it when |k| ≤ 127: the int8 values are exact.
	tensorStep := gridStep(w.F, 0)
	var ch []float32
	for d := range scales {
		ch = ch[:0]
		for o := 0; o < outer; o++ {
			ch = append(ch, w.F[(o*dim+d)*inner:(o*dim+d+1)*inner]...)
		}
		if s := gridStep(ch, tensorStep); s > 0 && absmax[d]/s <= 127.01 && s > scales[d]/2 {
			scales[d] = s
		}
	}
	q := make([]int8, len(w.F))
	for o := 0; o < outer; o++ {
		for d := 0; d < dim; d++ {
			base := (o*dim + d) * inner
			for i, v := range w.F[base : base+inner] {
				r := math.RoundToEven(float64(v / scales[d]))
				q[base+i] = int8(max(-127, min(127, r)))
			}
		}
	}
	return q, scales
}

// gridStep is the step s of a uniform grid {k·s, k integer} all of vs lie
// on (to float32 rounding): try, when positive, else the smallest gap
// between distinct values; 0 when they lie on no such grid.
func gridStep(vs []float32, try float32) float32 {
	if len(vs) == 0 {
		return 0
	}
	on := func(s float32) bool {
		if !(s > 0) {
			return false
		}
		for _, v := range vs {
			k := float64(v / s)
			if math.Abs(k-math.RoundToEven(k)) > 1e-3 || math.Abs(k) > 1<<20 {
				return false
			}
		}
		return true
	}
	if on(try) {
		return try
	}
	u := append([]float32(nil), vs...)
	sort.Slice(u, func(i, j int) bool { return u[i] < u[j] })
	gap := float32(0)
	for i := 1; i < len(u); i++ {
		if d := u[i] - u[i-1]; d > 0 && (gap == 0 || d < gap) {
			gap = d
		}
	}
	// The gap is k·s to rounding; snap it to the values' own step.
	if on(gap) {
		return gap
	}
	return 0
}

// QuantizeBias is a bias as int32 with scale xScale·wScale[c] (one w
// scale: per tensor), and those scales.
func QuantizeBias(b []float32, xScale float32, wScales []float32) ([]int32, []float32) {
	q := make([]int32, len(b))
	scales := make([]float32, len(wScales))
	for i := range scales {
		scales[i] = xScale * wScales[i]
		if scales[i] == 0 {
			scales[i] = 1
		}
	}
	for i, v := range b {
		s := scales[0]
		if len(scales) > 1 {
			s = scales[i]
		}
		r := math.RoundToEven(float64(v / s))
		q[i] = int32(max(math.MinInt32, min(math.MaxInt32, r)))
	}
	return q, scales
}

// plan is how one node is quantized.
type plan struct {
	acts       []int  // indices of the activation inputs
	weight     int    // index of the weight input, -1: none
	bias       int    // index of the bias input, -1: none
	axis       int    // the weight's output-channel axis
	perChannel bool   // weights per channel
	out        string // the tensor whose range the output takes (a merged activation's output)
	merged     int    // the merged Relu/Clip node, -1: none
}

// bumpSafe are the ops whose meaning is the same at opset 10 to 12 and at 13,
// for raising a QDQ model's opset to 13 (per-axis DequantizeLinear).
var bumpSafe = map[string]bool{
	"Conv": true, "Relu": true, "Add": true, "Mul": true, "Sub": true, "Div": true,
	"GlobalAveragePool": true, "AveragePool": true, "MaxPool": true, "Concat": true,
	"Gemm": true, "MatMul": true, "Reshape": true, "Flatten": true, "Transpose": true,
	"Sigmoid": true, "BatchNormalization": true, "Identity": true, "Tanh": true,
	"QuantizeLinear": true, "DequantizeLinear": true,
}

// Quantize rewrites an ONNX model with the tensors' calibrated ranges
// (Calibrator.Ranges): every Conv, Gemm, MatMul (with a float weight
// initializer), Add, Mul, Concat and GlobalAveragePool whose activation
// inputs and output have a range is quantized; a Relu or Clip(0, max)
// that alone reads such a node's output is merged into it, the output
// taking the activation's range (the uint8 range then does the clipping,
// as in ORT). Other nodes stay float. Errors are one line; it never panics.
func Quantize(data []byte, ranges map[string]Range, opt Options) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("quantize: internal error: %s", oneline.Panic(r))
		}
	}()
	switch opt.Format {
	case "":
		opt.Format = FormatQDQ
	case FormatQDQ, FormatQOperator:
	default:
		return nil, fmt.Errorf("quantize: format %s is not qdq or qoperator", oneline.Quote(string(opt.Format)))
	}
	m, err := parseModel(data)
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	res, err = m.quantize(ranges, opt)
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	return res, nil
}

func (m *model) quantize(ranges map[string]Range, opt Options) (*Result, error) {
	if m.opset < 10 {
		return nil, fmt.Errorf("the model's ai.onnx opset is %d; QuantizeLinear needs 10 or later", m.opset)
	}
	res := &Result{Quantized: map[string]int{}, Float: map[string]int{}, Opset: m.opset}
	consumers := map[string][]int{}
	graphs := false
	for i, n := range m.nodes {
		for _, in := range n.inputs {
			consumers[in] = append(consumers[in], i)
		}
		graphs = graphs || n.graphs
	}
	if graphs && opt.Format == FormatQOperator {
		return nil, errors.New("-format qoperator does not handle models with If, Loop or Scan; use qdq")
	}
	perChannel := opt.PerChannel
	if perChannel && opt.Format == FormatQDQ && m.opset < 13 {
		bump := true
		for _, n := range m.nodes {
			if n.domain != "" || !bumpSafe[n.op] && !(n.op == "Clip" && m.opset >= 11) {
				bump = false
			}
		}
		if bump {
			res.Notes = append(res.Notes, fmt.Sprintf("opset raised from %d to 13 for per-channel DequantizeLinear (every op in the model means the same at 13)", m.opset))
			res.Opset = 13
		} else {
			perChannel = false
			res.Notes = append(res.Notes, fmt.Sprintf("weights per tensor: per-channel DequantizeLinear needs opset 13 and the model's opset %d cannot be raised safely", m.opset))
		}
	}
	has := func(name string) bool { _, ok := ranges[name]; return name != "" && ok }
	isAct := func(name string) bool { // a run-time tensor, not a weight
		_, init := m.inits[name]
		return name != "" && !init
	}

	// Plan each node.
	plans := make([]*plan, len(m.nodes))
	merged := map[int]bool{}
	why := map[string]bool{}
	for i, n := range m.nodes {
		if n.domain != "" || len(n.outputs) != 1 || merged[i] || contains(opt.Exclude, n.name) || contains(opt.Exclude, n.outputs[0]) {
			continue
		}
		p := &plan{weight: -1, bias: -1, merged: -1, out: n.outputs[0]}
		reason := ""
		switch n.op {
		case "Conv":
			p.acts, p.weight, p.bias, p.axis, p.perChannel = []int{0}, 1, 2, 0, perChannel
		case "Gemm":
			p.acts, p.weight, p.bias, p.perChannel = []int{0}, 1, 2, perChannel
			p.axis = 1
			if n.intAttr("transB", 0) != 0 {
				p.axis = 0
			}
			if n.intAttr("transA", 0) != 0 || n.floatAttr("alpha", 1) != 1 || n.floatAttr("beta", 1) != 1 {
				reason = "Gemm with transA, alpha or beta"
			}
		case "MatMul":
			p.acts, p.weight, p.axis = []int{0}, 1, 1
		case "Add", "Mul":
			p.acts = []int{0, 1}
		case "Concat":
			for k := range n.inputs {
				p.acts = append(p.acts, k)
			}
		case "GlobalAveragePool":
			p.acts = []int{0}
		default:
			continue
		}
		if len(n.inputs) < len(p.acts) || p.weight >= 0 && len(n.inputs) <= p.weight {
			reason = "missing inputs"
		}
		for _, k := range p.acts {
			if reason == "" && (!isAct(n.in(k)) || !has(n.in(k))) {
				reason = "an input that is a constant or was not calibrated"
			}
		}
		var w *graph.Tensor
		if reason == "" && p.weight >= 0 {
			if w = m.floatInit(n.in(p.weight)); w == nil {
				reason = "a weight that is not a float initializer"
			} else if n.op != "Conv" && len(w.Shape) != 2 {
				reason = "a weight that is not a matrix"
			} else if n.op == "Conv" && len(w.Shape) < 3 {
				reason = "a weight of rank < 3"
			}
		}
		if reason == "" && p.bias >= 0 && n.in(p.bias) != "" {
			b := m.floatInit(n.in(p.bias))
			nout := w.Shape[p.axis]
			if b == nil || len(b.Shape) != 1 || b.Shape[0] != nout {
				reason = "a bias that is not a float vector initializer"
			}
		}
		if reason == "" && p.bias >= 0 && n.in(p.bias) == "" {
			p.bias = -1
		}
		if n.op == "Gemm" && n.in(2) == "" {
			p.bias = -1
		}
		// A Relu or Clip(0, max) alone reading the output merges.
		out := n.outputs[0]
		if cs := consumers[out]; reason == "" && len(cs) == 1 && !m.outputs[out] {
			c := m.nodes[cs[0]]
			if c.domain == "" && len(c.outputs) == 1 && has(c.outputs[0]) && m.zeroFloor(c) && !m.outputs[c.outputs[0]] {
				p.out, p.merged = c.outputs[0], cs[0]
			}
		}
		if reason == "" && !has(p.out) {
			reason = "an output that was not calibrated"
		}
		if reason != "" {
			res.Float[n.op]++
			why[n.op+" ("+reason+")"] = true
			continue
		}
		if p.merged >= 0 {
			merged[p.merged] = true
		}
		plans[i] = p
	}
	for _, w := range sortedKeys(why) {
		res.Notes = append(res.Notes, "left in float: "+w)
	}
	if !anyPlan(plans) {
		return nil, ErrNothingToQuantize
	}

	e := &emitter{m: m, ranges: ranges, taken: map[string]bool{}, rename: map[string]string{},
		qname: map[string]string{}, floatOK: map[string]bool{}, params: map[string]qparams{}, paramNames: map[string][2]string{}}
	for _, n := range m.nodes {
		e.take(n.name)
		for _, s := range [][]string{n.inputs, n.outputs} {
			for _, x := range s {
				e.take(x)
			}
		}
	}
	for name := range m.inits {
		e.take(name)
		e.floatOK[name] = true
	}
	for name := range m.inputs {
		e.take(name)
		e.floatOK[name] = true
	}
	for name := range m.outputs {
		e.take(name)
	}
	for i, n := range m.nodes {
		p := plans[i]
		switch {
		case merged[i]:
			continue
		case p == nil:
			e.floatNode(n, opt.Format)
			continue
		}
		res.Quantized[n.op]++
		if p.merged >= 0 {
			res.Quantized[m.nodes[p.merged].op]++
		}
		if opt.Format == FormatQDQ {
			e.qdqNode(n, p)
		} else {
			e.qopNode(n, p)
		}
	}
	if opt.Format == FormatQOperator {
		for name := range m.outputs {
			e.needFloat(name)
		}
	}
	res.Model = e.write(res.Opset, opt.Format == FormatQOperator && e.msOps, graphs)
	return res, nil
}

func anyPlan(ps []*plan) bool {
	for _, p := range ps {
		if p != nil {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// zeroFloor says whether a node is Relu or a Clip with min 0 (constant).
func (m *model) zeroFloor(n *node) bool {
	switch n.op {
	case "Relu":
		return true
	case "Clip":
		if m.opset < 11 {
			a, ok := n.attr("min")
			return ok && a.f == 0
		}
		t := m.floatInit(n.in(1))
		if t == nil || len(t.F) != 1 || t.F[0] != 0 {
			return false
		}
		if n.in(2) != "" && m.floatInit(n.in(2)) == nil {
			return false
		}
		return true
	}
	return false
}

// emitter builds the new graph's nodes and initializers.
type emitter struct {
	m          *model
	ranges     map[string]Range
	taken      map[string]bool
	nodes      [][]byte
	inits      [][]byte
	rename     map[string]string // QDQ: a tensor → its DequantizeLinear output
	qname      map[string]string // QOperator: a tensor → its uint8 tensor
	floatOK    map[string]bool   // QOperator: the tensor exists in float
	params     map[string]qparams
	paramNames map[string][2]string // a tensor → its scale and zero point initializers
	msOps      bool
}

func (e *emitter) take(name string) { e.taken[name] = true }

// unique is base, or base_N when that is taken.
func (e *emitter) unique(base string) string {
	name := base
	for i := 1; e.taken[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	e.taken[name] = true
	return name
}

func (e *emitter) node(op, domain, name string, ins, outs []string, attrs ...[]byte) {
	var b []byte
	for _, in := range ins {
		b = strField(b, nodeInput, in)
	}
	for _, o := range outs {
		b = strField(b, nodeOutput, o)
	}
	b = strField(b, nodeName, e.unique(name))
	b = strField(b, nodeOpType, op)
	for _, a := range attrs {
		if a != nil {
			b = msgField(b, nodeAttribute, a)
		}
	}
	if domain != "" {
		b = strField(b, nodeDomain, domain)
		e.msOps = true
	}
	e.nodes = append(e.nodes, b)
}

func (e *emitter) init(name string, elem int64, dims []int, raw []byte) {
	e.inits = append(e.inits, tensorProto(name, elem, dims, raw))
}

// actParams are the scale and zero point initializers of an activation.
func (e *emitter) actParams(t string) (scale, zp string, p qparams) {
	if names, ok := e.paramNames[t]; ok {
		return names[0], names[1], e.params[t]
	}
	p.scale, p.zp = ActivationParams(e.ranges[t])
	scale, zp = e.unique(t+"_scale"), e.unique(t+"_zero_point")
	e.init(scale, elemFloat, nil, floatsRaw([]float32{p.scale}))
	e.init(zp, elemUint8, nil, []byte{p.zp})
	e.paramNames[t], e.params[t] = [2]string{scale, zp}, p
	return scale, zp, p
}

// qdqPair puts QuantizeLinear→DequantizeLinear on src with the params of
// the tensor rangeOf, and returns the DequantizeLinear's output.
func (e *emitter) qdqPair(src, rangeOf string) string {
	scale, zp, _ := e.actParams(rangeOf)
	q, dq := e.unique(src+"_QuantizeLinear_Output"), e.unique(src+"_DequantizeLinear_Output")
	e.node("QuantizeLinear", "", src+"_QuantizeLinear", []string{src, scale, zp}, []string{q})
	e.node("DequantizeLinear", "", src+"_DequantizeLinear", []string{q, scale, zp}, []string{dq})
	return dq
}

// weight writes a quantized weight (int8, zero point 0) and returns its
// tensor, scale and zero point names and its scales.
func (e *emitter) weight(name string, p *plan) (q, scale, zp string, scales []float32, axisAttr []byte) {
	w := e.m.floatInit(name)
	vals, scales := QuantizeWeights(w, p.axis, p.perChannel)
	q, scale, zp = e.unique(name+"_quantized"), e.unique(name+"_scale"), e.unique(name+"_zero_point")
	e.init(q, elemInt8, w.Shape, int8sRaw(vals))
	var dims []int
	if len(scales) > 1 || p.perChannel {
		dims = []int{len(scales)}
		axisAttr = intAttr("axis", int64(p.axis))
	}
	e.init(scale, elemFloat, dims, floatsRaw(scales))
	e.init(zp, elemInt8, dims, make([]byte, len(scales)))
	return q, scale, zp, scales, axisAttr
}

// bias writes a quantized bias (int32, zero point 0, scale x·w).
func (e *emitter) bias(name string, xScale float32, wScales []float32, perChannel bool) (q, scale, zp string) {
	b := e.m.floatInit(name)
	vals, scales := QuantizeBias(b.F, xScale, wScales)
	q, scale, zp = e.unique(name+"_quantized"), e.unique(name+"_quantized_scale"), e.unique(name+"_quantized_zero_point")
	e.init(q, elemInt32, b.Shape, int32sRaw(vals))
	var dims []int
	if perChannel {
		dims = []int{len(scales)}
	}
	e.init(scale, elemFloat, dims, floatsRaw(scales))
	e.init(zp, elemInt32, dims, make([]byte, 4*len(scales)))
	return q, scale, zp
}

// floatNode emits a node that stays float.
func (e *emitter) floatNode(n *node, f Format) {
	ins := make([]string, len(n.inputs))
	for k, in := range n.inputs {
		if f == FormatQDQ {
			if r, ok := e.rename[in]; ok {
				in = r
			}
		} else if in != "" {
			e.needFloat(in)
		}
		ins[k] = in
	}
	e.nodes = append(e.nodes, n.withInputs(ins))
	for _, o := range n.outputs {
		e.floatOK[o] = true
	}
}

// qdqNode emits a quantized node in QDQ form.
func (e *emitter) qdqNode(n *node, p *plan) {
	ins := append([]string(nil), n.inputs...)
	for _, k := range p.acts {
		x := n.inputs[k]
		if r, ok := e.rename[x]; ok {
			ins[k] = r
			continue
		}
		dq := e.qdqPair(x, x)
		e.rename[x], ins[k] = dq, dq
	}
	if p.weight >= 0 {
		wq, ws, wz, scales, axis := e.weight(n.inputs[p.weight], p)
		wdq := e.unique(n.inputs[p.weight] + "_DequantizeLinear_Output")
		e.node("DequantizeLinear", "", n.inputs[p.weight]+"_DequantizeLinear", []string{wq, ws, wz}, []string{wdq}, axis)
		ins[p.weight] = wdq
		if p.bias >= 0 {
			_, _, xp := e.actParams(n.inputs[p.acts[0]])
			bq, bs, bz := e.bias(n.inputs[p.bias], xp.scale, scales, len(scales) > 1 || p.perChannel)
			bdq := e.unique(n.inputs[p.bias] + "_DequantizeLinear_Output")
			var ax []byte
			if len(scales) > 1 || p.perChannel {
				ax = intAttr("axis", 0)
			}
			e.node("DequantizeLinear", "", n.inputs[p.bias]+"_DequantizeLinear", []string{bq, bs, bz}, []string{bdq}, ax)
			ins[p.bias] = bdq
		}
	}
	e.nodes = append(e.nodes, n.withInputs(ins))
	// The output, or the merged activation's, through Q→DQ.
	e.rename[p.out] = e.qdqPair(n.outputs[0], p.out)
}

// needFloat makes sure a tensor exists in float (QOperator): a
// DequantizeLinear of its uint8 tensor, under its own name.
func (e *emitter) needFloat(x string) {
	if e.floatOK[x] {
		return
	}
	q, ok := e.qname[x]
	if !ok {
		return // produced by a float node later, or a graph input
	}
	scale, zp, _ := e.actParams(x)
	e.node("DequantizeLinear", "", x+"_DequantizeLinear", []string{q, scale, zp}, []string{x})
	e.floatOK[x] = true
}

// needQuant is the uint8 tensor of x (QOperator), quantizing it first if
// it exists only in float.
func (e *emitter) needQuant(x string) (q, scale, zp string, p qparams) {
	scale, zp, p = e.actParams(x)
	if q, ok := e.qname[x]; ok {
		return q, scale, zp, p
	}
	q = e.unique(x + "_quantized")
	e.node("QuantizeLinear", "", x+"_QuantizeLinear", []string{x, scale, zp}, []string{q})
	e.qname[x] = q
	return q, scale, zp, p
}

// qopNode emits a quantized node in QOperator form.
func (e *emitter) qopNode(n *node, p *plan) {
	type qin struct{ q, scale, zp string }
	var acts []qin
	var xp qparams
	for j, k := range p.acts {
		q, s, z, pp := e.needQuant(n.inputs[k])
		if j == 0 {
			xp = pp
		}
		acts = append(acts, qin{q, s, z})
	}
	ys, yz, _ := e.actParams(p.out)
	y := e.unique(p.out + "_quantized")
	e.qname[p.out] = y
	keep := func(drop ...string) [][]byte { // the node's attributes, less some
		var as [][]byte
		for _, a := range n.attrs {
			if !contains(drop, a.name) {
				_, body, _ := cutTag(a.raw)
				as = append(as, body)
			}
		}
		return as
	}
	name := n.name
	if name == "" {
		name = n.outputs[0]
	}
	name += "_quant"
	switch n.op {
	case "Conv", "Gemm", "MatMul":
		wq, ws, wz, scales, _ := e.weight(n.inputs[p.weight], p)
		ins := []string{acts[0].q, acts[0].scale, acts[0].zp, wq, ws, wz}
		var bq string
		if p.bias >= 0 {
			bq, _, _ = e.bias(n.inputs[p.bias], xp.scale, scales, len(scales) > 1 || p.perChannel)
		}
		switch n.op {
		case "Conv":
			ins = append(ins, ys, yz)
			if bq != "" {
				ins = append(ins, bq)
			}
			e.node("QLinearConv", "", name, ins, []string{y}, keep()...)
		case "Gemm":
			ins = append(ins, bq, ys, yz)
			e.node("QGemm", "com.microsoft", name, ins, []string{y}, keep("beta")...)
		case "MatMul":
			ins = append(ins, ys, yz)
			e.node("QLinearMatMul", "", name, ins, []string{y})
		}
	case "Add", "Mul":
		ins := []string{acts[0].q, acts[0].scale, acts[0].zp, acts[1].q, acts[1].scale, acts[1].zp, ys, yz}
		e.node("QLinear"+n.op, "com.microsoft", name, ins, []string{y})
	case "GlobalAveragePool":
		ins := []string{acts[0].q, acts[0].scale, acts[0].zp, ys, yz}
		e.node("QLinearGlobalAveragePool", "com.microsoft", name, ins, []string{y}, intAttr("channels_last", 0))
	case "Concat":
		ins := []string{ys, yz}
		for _, a := range acts {
			ins = append(ins, a.q, a.scale, a.zp)
		}
		e.node("QLinearConcat", "com.microsoft", name, ins, []string{y}, keep()...)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// cutTag splits a length-delimited field into its tag and payload.
func cutTag(raw []byte) (protowire.Number, []byte, bool) {
	num, _, n := protowire.ConsumeTag(raw)
	if n < 0 {
		return 0, nil, false
	}
	b, m := protowire.ConsumeBytes(raw[n:])
	return num, b, m >= 0
}

// write assembles the model: the original fields with the graph rebuilt
// (nodes replaced where the first node was, unused initializers and
// value infos dropped, the new initializers after the others) and the
// opset imports updated.
func (e *emitter) write(opset int64, ms bool, keepInits bool) []byte {
	used := map[string]bool{}
	produced := map[string]bool{}
	for _, b := range e.nodes {
		n, _ := parseNode(b)
		for _, in := range n.inputs {
			used[in] = true
		}
		for _, o := range n.outputs {
			produced[o] = true
		}
	}
	for name := range e.m.outputs {
		used[name] = true
	}
	var g []byte
	nodesDone := false
	for _, f := range e.m.graph {
		if f.typ == protowire.BytesType {
			switch f.num {
			case graphNode:
				if !nodesDone {
					for _, n := range e.nodes {
						g = msgField(g, graphNode, n)
					}
					nodesDone = true
				}
				continue
			case graphInitializer:
				if !keepInits && !used[stringOf(f.b, tensorName)] {
					continue
				}
			case graphInput:
				name := stringOf(f.b, valueName)
				if _, init := e.m.inits[name]; init && !keepInits && !used[name] {
					continue
				}
			case graphValueInfo:
				if !produced[stringOf(f.b, valueName)] {
					continue
				}
			}
		}
		g = append(g, f.raw...)
	}
	for _, t := range e.inits {
		if used[stringOf(t, tensorName)] {
			g = msgField(g, graphInitializer, t)
		}
	}
	var out []byte
	graphDone, msDone := false, !ms || e.m.msOpset > 0
	for _, f := range e.m.top {
		switch {
		case f.num == modelGraph && f.typ == protowire.BytesType:
			if !graphDone {
				out = msgField(out, modelGraph, g)
				graphDone = true
			}
			continue
		case f.num == modelIRVersion && f.typ == protowire.VarintType && opset >= 13 && f.v < 7:
			out = varintField(out, modelIRVersion, 7)
			continue
		case f.num == modelOpsetImport && f.typ == protowire.BytesType:
			d := stringOf(f.b, opsetDomain)
			if (d == "" || d == "ai.onnx") && opset != e.m.opset {
				o := strField(nil, opsetDomain, d)
				out = msgField(out, modelOpsetImport, varintField(o, opsetVersion, uint64(opset)))
				continue
			}
			out = append(out, f.raw...)
			if !msDone {
				o := strField(nil, opsetDomain, "com.microsoft")
				out = msgField(out, modelOpsetImport, varintField(o, opsetVersion, 1))
				msDone = true
			}
			continue
		}
		out = append(out, f.raw...)
	}
	return out
}

// Describe is a one-line account of a Result's counts: "Conv 52, Clip 35, ...".
func (r *Result) Describe() string {
	var parts []string
	for _, op := range sortedKeys(r.Quantized) {
		parts = append(parts, fmt.Sprintf("%s %d", op, r.Quantized[op]))
	}
	return strings.Join(parts, ", ")
}
