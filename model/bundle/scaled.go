package bundle

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Scaled integers: float32s that are all, bit for bit, float32(k)·s for one
// float32 scale s > 0 and integers |k| ≤ maxScaledK. A model converted from
// 8-bit TFLite weights has them: its weights' palettes are (q - zero
// point)·s, its biases int32s times the product of two scales. The
// "pal8s" and "pal8rs" encodings store such a palette as s and its k's, in
// ascending order (scaledPalette), instead of a float32 each; "i16s" stores
// such a tensor as s and an int16 a value. A decoder multiplies in float32,
// once a value: float32(k) is exact, and IEEE rounding of the product
// gives back the very float32 the encoder checked it against, on every
// platform. -0 (float32(0)·s is +0), ±Inf and NaN are never scaled: a
// tensor holding one keeps its float32s.
const maxScaledK = 32767

// scaleOf finds s > 0 and the k's, one for each of vals, such that
// float32(float32(k)*s) is vals[i] bit for bit, |k| ≤ maxScaledK; ok is
// false when there is none. Deterministic: candidates are tried in a
// fixed order, and the first that fits every value wins.
//
// The candidates: let lo be the least nonzero |v| and hi the largest. Were
// lo = m·s (m ≥ 1), hi ≤ maxScaledK·s caps m at maxScaledK·lo/hi, so s is
// about lo/m for an m up to that; hi then has the largest k, about
// hi·m/lo, and s is within 2 units in the last place of hi over that k.
// Given s, a value's k can only be the nearest integer to v/s. A candidate
// is mostly refused at its first value, or at one of the last few that
// refused a candidate (tried first), so this costs little more than a
// pass over the values.
func scaleOf(vals []float32) (s float32, ks []int16, ok bool) {
	lo, hi := math.Inf(1), 0.0
	for _, v := range vals {
		b := math.Float32bits(v)
		if b == 1<<31 || b&0x7f800000 == 0x7f800000 { // -0, ±Inf, NaN
			return 0, nil, false
		}
		if x := math.Abs(float64(v)); x != 0 {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	ks = make([]int16, len(vals))
	if hi == 0 { // all +0 (or none): any scale
		return 1, ks, true
	}
	// float64() rounds: no platform fuses this into a multiply-add.
	top := int(min(maxScaledK, float64(float64(maxScaledK)*(lo/hi)*(1+0x1p-20))+1))
	// The values that refused the last candidates, the latest first.
	var witnesses [8]int
	refused := func(s float32) bool {
		for _, i := range witnesses {
			if _, ok := fit(vals[i], s); !ok {
				return true
			}
		}
		return false
	}
	for m := 1; m <= top; m++ {
		kb := math.Round(hi / (lo / float64(m)))
		if kb < 1 || kb > maxScaledK {
			continue
		}
		s0 := math.Float32bits(float32(hi / kb))
		for _, d := range [...]int32{0, 1, -1, 2, -2} {
			s := math.Float32frombits(uint32(int32(s0) + d))
			if !(s > 0 && s <= math.MaxFloat32) || refused(s) {
				continue
			}
			i := 0
			for ; i < len(vals); i++ {
				k, ok := fit(vals[i], s)
				if !ok {
					break
				}
				ks[i] = k
			}
			if i == len(vals) {
				return s, ks, true
			}
			copy(witnesses[1:], witnesses[:])
			witnesses[0] = i
		}
	}
	return 0, nil, false
}

// fit returns the k for which float32(k)·s is v, if there is one within
// ±maxScaledK: only the nearest integer to v/s can be (|v/s - k| is at
// most |k|·2^-24 for a normal v, and v/s is an integer for a denormal).
func fit(v, s float32) (int16, bool) {
	k := math.Round(float64(v) / float64(s))
	if math.Abs(k) > maxScaledK {
		return 0, false
	}
	return int16(k), math.Float32bits(float32(float32(k)*s)) == math.Float32bits(v)
}

// scaledBy reports whether every value is float32(k)·s, bit for bit.
func scaledBy(vals []float32, ks []int16, s float32) bool {
	for i, v := range vals {
		if math.Float32bits(float32(float32(ks[i])*s)) != math.Float32bits(v) {
			return false
		}
	}
	return true
}

// checkScale refuses a scale a decoder should not use: the encoder writes
// positive finite ones only.
func checkScale(enc string, s float32) error {
	if !(s > 0 && s <= math.MaxFloat32) {
		return fmt.Errorf("%s scale %v (bits %#08x), want a positive finite float32", enc, s, math.Float32bits(s))
	}
	return nil
}

// i16s is a scaled tensor's payload: s, then its k's as int16s.
func i16s(s float32, ks []int16) []byte {
	buf := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+2*len(ks)), math.Float32bits(s))
	for _, k := range ks {
		buf = binary.LittleEndian.AppendUint16(buf, uint16(k))
	}
	return buf
}

// decodeI16s decodes an i16s payload p of 4+2n bytes (checked).
func decodeI16s(p []byte) ([]float32, error) {
	s := math.Float32frombits(binary.LittleEndian.Uint32(p))
	if err := checkScale("i16s", s); err != nil {
		return nil, err
	}
	q := p[4:]
	out := make([]float32, len(q)/2)
	for i := range out {
		out[i] = float32(float32(int16(binary.LittleEndian.Uint16(q[2*i:]))) * s)
	}
	return out, nil
}

// scaledPalette returns the scaled form of a palette whose values are
// float32(ks[i])·s: the palette sorted by k, as pal8s and pal8rs store it,
//
//	scale   float32           s, positive and finite
//	first   int16             the least k
//	gaps    uvarint × (n-1)   each k minus the one before it, minus 1
//
// and perm, each old palette index's new one. The k's are distinct (the
// palette's values are), so a gap is at least 1; a quantized weight's
// palette is nearly every k of a range, so the gaps are mostly 0 bytes,
// which gzip all but removes, and a gap up to 128 takes one byte.
func scaledPalette(s float32, ks []int16) (payload []byte, perm []byte) {
	order := make([]int, len(ks))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(ks[a]) - int(ks[b]) })
	perm = make([]byte, len(ks))
	payload = binary.LittleEndian.AppendUint32(make([]byte, 0, 6+len(ks)), math.Float32bits(s))
	for j, i := range order {
		perm[i] = byte(j)
		if j == 0 {
			payload = binary.LittleEndian.AppendUint16(payload, uint16(ks[i]))
		} else {
			payload = binary.AppendUvarint(payload, uint64(int(ks[i])-int(ks[order[j-1]])-1))
		}
	}
	return payload, perm
}

// decodeScaledPalette reads the scaled palette of len(pal) values at the
// start of p (a pal8s or pal8rs payload) into pal and returns the rest.
func decodeScaledPalette(enc string, pal []float32, p []byte) (rest []byte, err error) {
	n := len(pal)
	if len(p) < 6+n-1 {
		return nil, fmt.Errorf("%s payload of %d bytes for a scaled palette of %d values, want at least %d", enc, len(p), n, 6+n-1)
	}
	s := math.Float32frombits(binary.LittleEndian.Uint32(p))
	if err := checkScale(enc, s); err != nil {
		return nil, err
	}
	k := int(int16(binary.LittleEndian.Uint16(p[4:])))
	pal[0] = float32(float32(k) * s)
	at := 6
	for i := 1; i < n; i++ {
		g, w := binary.Uvarint(p[at:])
		switch {
		case w == 0:
			return nil, fmt.Errorf("%s palette ends at value %d of %d", enc, i, n)
		case w < 0 || g > uint64(maxScaledK-k-1) || k == maxScaledK:
			return nil, fmt.Errorf("%s palette value %d of %d is past %d", enc, i, n, maxScaledK)
		}
		at += w
		k += int(g) + 1
		pal[i] = float32(float32(k) * s)
	}
	return p[at:], nil
}
