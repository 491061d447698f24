package kern

import "math"

// ApplyAct applies act in place. It is the unfused form of the epilogue, for
// callers (e.g. a standalone Relu node) that have no kernel to fuse into.
func ApplyAct(act Act, y []float32) {
	applyAct(act, y)
}

// epilogue computes y[i] = act(y[i] + res[i]) for one output row segment
// while it is still in L1 (the bias is already in y). res may be nil.
func epilogue(y []float32, res []float32, act Act) {
	if res != nil {
		res = res[:len(y)]
		for i, r := range res {
			y[i] += r
		}
	}
	applyAct(act, y)
}

// applyAct runs one tight loop per activation kind, so the switch is paid
// once per row segment rather than once per element.
func applyAct(act Act, y []float32) {
	switch act.Kind {
	case ActNone:
	case ActRelu:
		for i, v := range y {
			y[i] = relu(v)
		}
	case ActClip:
		lo, hi := act.A, act.B
		for i, v := range y {
			y[i] = clampf(v, lo, hi)
		}
	case ActHardSigmoid:
		a, b := act.A, act.B
		for i, v := range y {
			y[i] = clampf(a*v+b, 0, 1)
		}
	case ActHardSwish:
		for i, v := range y {
			y[i] = v * clampf(v*(1.0/6)+0.5, 0, 1)
		}
	case ActSigmoid:
		for i, v := range y {
			y[i] = sigmoid(v)
		}
	case ActSiLU:
		for i, v := range y {
			y[i] = v * sigmoid(v)
		}
	case ActLeakyRelu:
		a := act.A
		for i, v := range y {
			if v < 0 {
				y[i] = a * v
			}
		}
	default:
		panic("kern: unknown activation kind")
	}
}

// sigmoid is 1/(1+e^-x) evaluated so that exp never sees a large positive
// argument: for x < 0 it uses e^x/(1+e^x), so neither branch overflows.
func sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}
