package kern

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
		y = vecActs(act, y)
		a, b := act.A, act.B
		for i, v := range y {
			y[i] = clampf(a*v+b, 0, 1)
		}
	case ActHardSwish:
		y = vecActs(act, y)
		for i, v := range y {
			y[i] = v * clampf(v*(1.0/6)+0.5, 0, 1)
		}
	case ActSigmoid, ActSiLU, ActTanh, ActExp, ActErf, ActGelu, ActGeluTanh:
		expActs(act, y) // act_exp_*.go
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
