//go:build !(js && wasm)

package simd

import (
	"encoding/binary"
	"math"
)

// A minimal WebAssembly assembler: just the instructions the kernels use,
// emitted as bytes with their binary opcodes. The kernels themselves are
// written in module.go as Go calls, one call per instruction.

type valType byte

const (
	i32  valType = 0x7f
	f32  valType = 0x7d
	v128 valType = 0x7b
)

// Scalar opcodes (WebAssembly core spec, "Binary Format / Instructions").
const (
	opBlock    = 0x02
	opLoop     = 0x03
	opIf       = 0x04
	opElse     = 0x05
	opEnd      = 0x0b
	opBr       = 0x0c
	opBrIf     = 0x0d
	opReturn   = 0x0f
	opSelect   = 0x1b
	opLocalGet = 0x20
	opLocalSet = 0x21
	opLocalTee = 0x22
	opGlobGet  = 0x23
	opGlobSet  = 0x24
	opI32Load  = 0x28
	opF32Load  = 0x2a
	opF32Store = 0x38
	opI32Const = 0x41
	opF32Const = 0x43
	opI32Eqz   = 0x45
	opI32Eq    = 0x46
	opI32Ne    = 0x47
	opI32LtS   = 0x48
	opI32LeS   = 0x4c
	opI32LtU   = 0x49
	opI32GtS   = 0x4a
	opI32GeU   = 0x4f
	opI32GeS   = 0x4e
	opI32Add   = 0x6a
	opI32Sub   = 0x6b
	opI32Mul   = 0x6c
	opI32DivU  = 0x6e
	opI32And   = 0x71
	opI32Or    = 0x72
	opI32Shl   = 0x74
	opF32Add   = 0x92
	opF32Mul   = 0x94
	opF32Min   = 0x96
	opF32Max   = 0x97

	blockEmpty = 0x40
)

// SIMD opcodes: 0xfd prefix, then a LEB128 sub-opcode (SIMD proposal,
// merged into the core spec 2.0).
const (
	simdV128Load       = 0x00
	simdV128Load32Splt = 0x09
	simdV128Store      = 0x0b
	simdI8x16Shuffle   = 0x0d
	simdF32x4Splat     = 0x13
	simdF32x4Add       = 0xe4
	simdF32x4Mul       = 0xe6
	// Relaxed SIMD: a*b+c, fused (one rounding) where the CPU has FMA.
	simdF32x4RelaxedMadd = 0x105
	simdF32x4Min         = 0xe8
	simdF32x4Max         = 0xe9
)

// local is a local variable index (parameters first).
type local uint32

// fn accumulates one function body.
type fn struct {
	params, results []valType
	locals          []valType // declared locals, after the params
	b               []byte
}

func (f *fn) newLocal(t valType) local {
	f.locals = append(f.locals, t)
	return local(len(f.params) + len(f.locals) - 1)
}

func (f *fn) op(bs ...byte)  { f.b = append(f.b, bs...) }
func (f *fn) u32(v uint32)   { f.b = binary.AppendUvarint(f.b, uint64(v)) }
func (f *fn) get(l local)    { f.op(opLocalGet); f.u32(uint32(l)) }
func (f *fn) set(l local)    { f.op(opLocalSet); f.u32(uint32(l)) }
func (f *fn) tee(l local)    { f.op(opLocalTee); f.u32(uint32(l)) }
func (f *fn) gget(g uint32)  { f.op(opGlobGet); f.u32(g) }
func (f *fn) gset(g uint32)  { f.op(opGlobSet); f.u32(g) }
func (f *fn) simd(op uint32) { f.op(0xfd); f.u32(op) }
func (f *fn) end()           { f.op(opEnd) }
func (f *fn) loop()          { f.op(opLoop, blockEmpty) }
func (f *fn) block()         { f.op(opBlock, blockEmpty) }
func (f *fn) if_()           { f.op(opIf, blockEmpty) }
func (f *fn) ifResult(t valType) {
	f.op(opIf, byte(t))
}
func (f *fn) else_()            { f.op(opElse) }
func (f *fn) brIf(depth uint32) { f.op(opBrIf); f.u32(depth) }
func (f *fn) br(depth uint32)   { f.op(opBr); f.u32(depth) }

// i32c pushes an i32 constant (signed LEB128).
func (f *fn) i32c(v int32) {
	f.op(opI32Const)
	f.b = sleb(f.b, int64(v))
}

// sleb appends v as signed LEB128 (binary.AppendVarint is zig-zag, not
// LEB128).
func sleb(out []byte, v int64) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

func (f *fn) f32c(v float32) {
	f.op(opF32Const)
	f.b = binary.LittleEndian.AppendUint32(f.b, math.Float32bits(v))
}

// mem emits a memory instruction's immediate: alignment exponent (a hint)
// and constant byte offset.
func (f *fn) memarg(align, off uint32) { f.u32(align); f.u32(off) }

func (f *fn) i32Load(off uint32)  { f.op(opI32Load); f.memarg(2, off) }
func (f *fn) f32Load(off uint32)  { f.op(opF32Load); f.memarg(2, off) }
func (f *fn) f32Store(off uint32) { f.op(opF32Store); f.memarg(2, off) }

// v128 loads and stores only promise 4-byte alignment (Go float32 slices).
func (f *fn) vLoad(off uint32)      { f.simd(simdV128Load); f.memarg(2, off) }
func (f *fn) vStore(off uint32)     { f.simd(simdV128Store); f.memarg(2, off) }
func (f *fn) vLoadSplat(off uint32) { f.simd(simdV128Load32Splt); f.memarg(2, off) }

// shuffle emits i8x16.shuffle picking float lanes: lanes 0-3 of the first
// operand, 4-7 of the second.
func (f *fn) shuffle(l0, l1, l2, l3 byte) {
	f.simd(simdI8x16Shuffle)
	for _, l := range []byte{l0, l1, l2, l3} {
		f.op(4*l, 4*l+1, 4*l+2, 4*l+3)
	}
}

// addTo emits l += k (i32).
func (f *fn) addTo(l local, k int32) {
	f.get(l)
	f.i32c(k)
	f.op(opI32Add)
	f.set(l)
}

// addLocal emits l += m (i32).
func (f *fn) addLocal(l, m local) {
	f.get(l)
	f.get(m)
	f.op(opI32Add)
	f.set(l)
}

// body encodes the function's code entry: local declarations and code.
func (f *fn) body() []byte {
	var out []byte
	// One declaration group per local keeps this simple; the kernels have
	// few locals.
	out = binary.AppendUvarint(out, uint64(len(f.locals)))
	for _, t := range f.locals {
		out = append(out, 1, byte(t))
	}
	out = append(out, f.b...)
	out = append(out, opEnd)
	return append(binary.AppendUvarint(nil, uint64(len(out))), out...)
}

// export is a function exported under name.
type export struct {
	name string
	f    *fn
}

func vec(out []byte, n int) []byte { return binary.AppendUvarint(out, uint64(n)) }

func name(out []byte, s string) []byte { return append(vec(out, len(s)), s...) }

func section(out []byte, id byte, content []byte) []byte {
	out = append(out, id)
	out = vec(out, len(content))
	return append(out, content...)
}

// assemble builds a module that imports env.mem (the host's memory, here
// Go's), has nGlobals mutable i32 globals initialised to 0, and exports
// funcs in order.
func assemble(funcs []export, nGlobals int) []byte {
	out := []byte{0x00, 'a', 's', 'm', 1, 0, 0, 0}

	var types []byte // one type per function, no deduplication needed
	types = vec(types, len(funcs))
	for _, e := range funcs {
		types = append(types, 0x60)
		types = vec(types, len(e.f.params))
		for _, t := range e.f.params {
			types = append(types, byte(t))
		}
		types = vec(types, len(e.f.results))
		for _, t := range e.f.results {
			types = append(types, byte(t))
		}
	}
	out = section(out, 1, types)

	var imports []byte
	imports = vec(imports, 1)
	imports = name(imports, "env")
	imports = name(imports, "mem")
	imports = append(imports, 0x02, 0x00, 0x00) // memory, limits {min 0, no max}
	out = section(out, 2, imports)

	var fsec []byte
	fsec = vec(fsec, len(funcs))
	for i := range funcs {
		fsec = vec(fsec, i)
	}
	out = section(out, 3, fsec)

	if nGlobals > 0 {
		var gsec []byte
		gsec = vec(gsec, nGlobals)
		for range nGlobals {
			gsec = append(gsec, byte(i32), 0x01, opI32Const, 0x00, opEnd)
		}
		out = section(out, 6, gsec)
	}

	var exp []byte
	exp = vec(exp, len(funcs))
	for i, e := range funcs {
		exp = name(exp, e.name)
		exp = append(exp, 0x00)
		exp = vec(exp, i)
	}
	out = section(out, 7, exp)

	var code []byte
	code = vec(code, len(funcs))
	for _, e := range funcs {
		code = append(code, e.f.body()...)
	}
	return section(out, 10, code)
}
