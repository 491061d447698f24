package cpu

import "github.com/glimpse/glimpse/model/graph"

// Integer element types at compile time.
//
// The engine holds every integer tensor as int64 (graph.Int64), so the
// quantized ops need to be told whether a value is uint8 or int8 (its
// saturation range, and the type of what they make). The compiler tracks
// it in Value.Elem, an ONNX element type (0: unknown, or plain int64):
//
//   - initializers and Constant nodes' outputs take it from
//     Graph.ElemTypes (the decoder records both), graph inputs from their
//     declared ValueInfo.Elem; Program.Export writes the type of every
//     integer constant it tracked back into the exported graph's
//     ElemTypes, so a bundle keeps it;
//   - QuantizeLinear, QLinearConv, QLinearMatMul and the com.microsoft
//     QLinear* ops make the type of their output zero point (uint8 when
//     there is none, or QuantizeLinear-21's output_dtype);
//     DynamicQuantizeLinear makes uint8; MatMulInteger and ConvInteger
//     make int32; Cast makes its "to" (CastLike its second input's type);
//   - data-movement ops (Reshape, Transpose, Concat, Slice, ...) pass
//     their data input's type on (inferElems).
//
// Where the type stays unknown (a zero point computed at run time, or a
// bundle written before Export kept the types), quantElem guesses from a
// constant's values (a negative one: int8, one above 127: uint8), falls
// back on another input's type and then on uint8. A graph output's
// file type is its declared ValueInfo.Elem; Program outputs hold the
// values as int64 either way.

// passElem lists the ops whose integer output has the type of their input
// 0 (for Where, input 1).
var passElem = map[string]int{
	"Identity": 0, "Reshape": 0, "Flatten": 0, "Squeeze": 0, "Unsqueeze": 0, "Transpose": 0,
	"Slice": 0, "Gather": 0, "GatherElements": 0, "GatherND": 0, "Concat": 0, "Split": 0,
	"Expand": 0, "Tile": 0, "Pad": 0, "DepthToSpace": 0, "SpaceToDepth": 0, "MaxPool": 0,
	"Resize": 0, "Where": 1, "ReduceMax": 0, "ReduceMin": 0, "Max": 0, "Min": 0,
}

// inferElems fills in the element type of the integer outputs that a
// node's preparation left unknown.
func inferElems(n *graph.Node, ins []*Value, outs []Value) {
	for i := range outs {
		o := &outs[i]
		if o.DType != graph.Int64 || o.Elem != 0 {
			continue
		}
		switch n.Op {
		case "Cast":
			o.Elem = n.Int("to", 0)
		case "CastLike":
			if len(ins) > 1 && ins[1] != nil {
				o.Elem = ins[1].Elem
			}
		default:
			if k, ok := passElem[n.Op]; ok && k < len(ins) && ins[k] != nil && ins[k].DType == graph.Int64 {
				o.Elem = ins[k].Elem
			}
		}
		if o.Elem == 7 { // int64 is the plain case
			o.Elem = 0
		}
	}
}

// quantElem is the element type of a quantized output: the first of vs
// whose type is known, else uint8.
func quantElem(vs ...*Value) int64 {
	for _, v := range vs {
		if v == nil || v.DType != graph.Int64 {
			continue
		}
		if v.Elem != 0 && v.Elem != 7 {
			return v.Elem
		}
		if v.Const != nil { // a Constant node's zero point: the decoder keeps no type
			for _, x := range v.Const.I {
				switch {
				case x < 0:
					return elemInt8
				case x > 127:
					return elemUint8
				}
			}
		}
	}
	return elemUint8
}

const (
	elemUint8  = 2
	elemInt8   = 3
	elemUint16 = 4
	elemInt16  = 5
	elemInt32  = 6
)

// qRange is the range of values of integer element type elem (uint8 for
// one the quantized ops do not produce).
func qRange(elem int64) (lo, hi int64) {
	switch elem {
	case elemInt8:
		return -128, 127
	case elemUint16:
		return 0, 65535
	case elemInt16:
		return -32768, 32767
	case elemInt32:
		return -1 << 31, 1<<31 - 1
	}
	return 0, 255
}
