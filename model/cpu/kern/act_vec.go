package kern

// Activations beyond the conv epilogues' set, for the elementwise ops
// (model/cpu) to run through the same kernels: exp-based ones take the
// polynomial forms (act_poly.go) and, under wasm with SIMD, the vector
// kernel wasm/simd installs with SetVecAct.
const (
	ActTanh     ActKind = ActLeakyRelu + 1 + iota // tanh(x)
	ActExp                                        // e^x
	ActErf                                        // erf(x)
	ActGelu                                       // 0.5x(1+erf(x/√2))
	ActGeluTanh                                   // 0.5x(1+tanh(√(2/π)(x+0.044715x³)))
)

// ActKernel computes dst[i] = act(src[i]) for len(src) elements, a
// multiple of 4, with the polynomial forms (bitwise those of act_poly.go).
// dst may be src. The kinds it takes: the exp family (Sigmoid, SiLU, Tanh,
// Exp, Erf, Gelu, GeluTanh) and HardSigmoid, HardSwish.
type ActKernel func(act Act, dst, src []float32)

var vecAct ActKernel

// SetVecAct installs (nil removes) the vector activation kernel. Not safe
// to call while kernels run.
func SetVecAct(k ActKernel) { vecAct = k }

// vecActMin is the shortest slice handed to vecAct: below it the JS call
// costs more than the scalar polynomial.
const vecActMin = 32

// ActInto computes dst[i] = act(src[i]); dst may be src. PolyActs says
// which forms it uses.
func ActInto(act Act, dst, src []float32) {
	if len(src) == 0 {
		return
	}
	dst = dst[:len(src)]
	if &dst[0] != &src[0] {
		copy(dst, src)
	}
	applyAct(act, dst)
}

// vecActs runs the 4-aligned bulk of y through vecAct when it is installed
// and takes act, and returns the rest for the caller's scalar loop.
func vecActs(act Act, y []float32) []float32 {
	if len(y) < vecActMin || !vecActKind(act) {
		return y
	}
	n := len(y) &^ 3
	vecAct(act, y[:n], y[:n])
	return y[n:]
}

// vecActKind reports whether vecAct is installed and takes act.
func vecActKind(act Act) bool {
	if vecAct == nil {
		return false
	}
	switch act.Kind {
	case ActSigmoid, ActSiLU, ActTanh, ActExp, ActErf, ActGelu, ActGeluTanh, ActHardSigmoid, ActHardSwish:
		return true
	}
	return false
}

// VecAct returns the installed vector activation kernel (nil if none).
func VecAct() ActKernel { return vecAct }
