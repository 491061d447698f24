package bundle

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// The "pal8r" encoding: a palette's indices entropy-coded with rANS (Duda's
// range variant of asymmetric numeral systems) under a static frequency
// table per tensor. Its payload is the pal8 palette, then
//
//	freq    uint16 × n      each palette entry's frequency, ≥ 1, summing to ransScale
//	state   uint32 × 2      the coder's two final states, where the decoder starts
//	stream  uint16 × k      the renormalisation words, in the order the decoder reads them
//
// Element i is coded with state i mod 2: two interleaved states decode
// about twice as fast as one (each element's table look-up waits on the
// one before it in its own state only). A state is 32 bits, kept in
// [ransLow, 1<<32) between elements and renormalised a 16-bit word at a
// time: decoding an element leaves the state at 4 or more, so one word
// always brings it back, and the decoder reads it without a branch. The
// encoder starts both states at ransLow and codes the elements last to
// first; the decoder emits them first to last and ends, with every word
// read, in the states the encoder started from: anything else (a short or
// long stream, a state out of range or not back at ransLow) is corrupt.
//
// A payload holds at most ransMaxElemsPerByte elements a byte (limits.go);
// the encoder writes pal8 (or pal8s) for a tensor that would be over it (a
// constant one: gzip shrinks its indices as well). pal8rs is pal8r with
// a scaled palette (scaled.go) instead of float32s; what follows the
// palette is the same, and so are the errors about it (they say pal8r).
const (
	ransBits  = 14 // the frequencies' scale: 12 bits cost the default model 6 KB more
	ransScale = 1 << ransBits
	ransLow   = 1 << 16
)

// ransFreqs normalises the counts of symbols 0..len(counts)-1 to
// frequencies summing to ransScale, each at least 1 (a count of 0 too),
// close to proportional. Integer arithmetic only, so that every platform
// writes the same bytes.
func ransFreqs(counts []int) []uint16 {
	total := uint64(0)
	for _, c := range counts {
		total += uint64(c)
	}
	if total == 0 { // no elements: any table will do
		counts = slices.Repeat([]int{1}, len(counts))
		total = uint64(len(counts))
	}
	f := make([]uint64, len(counts))
	sum := uint64(0)
	for s, c := range counts {
		f[s] = max(1, uint64(c)*ransScale/total)
		sum += f[s]
	}
	// Move the difference one unit at a time, where it costs the least
	// bits: an element of symbol s costs log2(ransScale/f[s]) bits, so a
	// unit more for s saves about counts[s]/f[s] elements' worth; a unit
	// less costs about that. Ties go to the lower symbol.
	for sum < ransScale {
		best := -1
		for s := range f {
			if best < 0 || uint64(counts[s])*f[best] > uint64(counts[best])*f[s] {
				best = s
			}
		}
		f[best]++
		sum++
	}
	for sum > ransScale {
		best := -1
		for s := range f {
			if f[s] > 1 && (best < 0 || uint64(counts[s])*f[best] < uint64(counts[best])*f[s]) {
				best = s
			}
		}
		f[best]--
		sum--
	}
	out := make([]uint16, len(f))
	for s, v := range f {
		out[s] = uint16(v)
	}
	return out
}

// ransEncode appends to dst idx (each below len(freq)) coded under freq
// (as ransFreqs gives it): the states and the stream, as the decoder reads
// them.
func ransEncode(dst, idx []byte, freq []uint16) []byte {
	var cum [257]uint32
	for s, f := range freq {
		cum[s+1] = cum[s] + uint32(f)
	}
	rev := make([]byte, 0, len(idx)+16) // the stream's bytes, last first
	xs := [2]uint32{ransLow, ransLow}
	for i := len(idx) - 1; i >= 0; i-- {
		x := &xs[i&1]
		s := idx[i]
		f := uint32(freq[s])
		// Once is enough: *x>>16 is below the least bound, 1<<18. The
		// bound is 1<<32 for a frequency of 1<<14, hence uint64.
		if uint64(*x) >= (ransLow>>ransBits<<16)*uint64(f) {
			rev = append(rev, byte(*x>>8), byte(*x))
			*x >>= 16
		}
		*x = *x/f<<ransBits + *x%f + cum[s] // below 1<<32: *x/f < 1<<18
	}
	dst = binary.LittleEndian.AppendUint32(dst, xs[0])
	dst = binary.LittleEndian.AppendUint32(dst, xs[1])
	for i := len(rev) - 1; i >= 0; i-- {
		dst = append(dst, rev[i])
	}
	return dst
}

// pal8r returns the pal8r (or pal8rs) payload that follows the palette,
// for idx, the indices into a palette of n values, each of which it uses,
// stored in head bytes; ok is false when pal8r cannot hold them (they are
// over ransMaxElemsPerByte).
func pal8r(idx []byte, n, head int) (payload []byte, ok bool) {
	counts := make([]int, n)
	for _, k := range idx {
		counts[k]++
	}
	freq := ransFreqs(counts)
	payload = make([]byte, 0, 2*n+8+len(idx))
	for _, f := range freq {
		payload = binary.LittleEndian.AppendUint16(payload, f)
	}
	payload = ransEncode(payload, idx, freq)
	if len(idx) > ransMaxElemsPerByte*(head+len(payload)) {
		return nil, false
	}
	return payload, true
}

// ransSlot is what the decoder needs of the symbol a state's low bits
// select: its value, its frequency and the slot's place in its range.
type ransSlot struct {
	v          float32
	freq, bias uint16
}

// ransTable is the slot → symbol table for one tensor.
type ransTable [ransScale]ransSlot

// ransDecode decodes len(out) elements of a pal8r payload p (what follows
// the palette pal) into out, using tab. The caller bounds len(out) by the
// payload's size (ransMaxElemsPerByte).
func ransDecode(out []float32, pal []float32, p []byte, tab *ransTable) error {
	n := len(pal)
	if len(p) < 2*n+8 {
		return fmt.Errorf("pal8r payload of %d bytes after a palette of %d values, want at least %d", len(p), n, 2*n+8)
	}
	at := 0
	for s, v := range pal {
		f := int(binary.LittleEndian.Uint16(p[2*s:]))
		if f == 0 {
			return fmt.Errorf("pal8r frequency 0 for palette entry %d", s)
		}
		if at+f > ransScale {
			return fmt.Errorf("pal8r frequencies sum to more than %d", ransScale)
		}
		for k := range f {
			tab[at+k] = ransSlot{v: v, freq: uint16(f), bias: uint16(k)}
		}
		at += f
	}
	if at != ransScale {
		return fmt.Errorf("pal8r frequencies sum to %d, not %d", at, ransScale)
	}
	s := p[2*n:]
	x0, x1 := binary.LittleEndian.Uint32(s), binary.LittleEndian.Uint32(s[4:])
	if x0 < ransLow || x1 < ransLow {
		return fmt.Errorf("pal8r states %#x and %#x, want at least %#x", x0, x1, ransLow)
	}
	pos, i := 8, 0
	// Two elements a round while the stream holds the two words a round
	// may read: a state below ransLow (m is 1) takes the next word, others
	// (m is 0) take nothing, without a branch to mispredict.
	for ; i+1 < len(out) && pos+4 <= len(s); i += 2 {
		e0, e1 := &tab[x0&(ransScale-1)], &tab[x1&(ransScale-1)]
		out[i], out[i+1] = e0.v, e1.v
		x0 = uint32(e0.freq)*(x0>>ransBits) + uint32(e0.bias)
		x1 = uint32(e1.freq)*(x1>>ransBits) + uint32(e1.bias)
		w := s[pos : pos+4]
		m := uint32((uint64(x0) - ransLow) >> 63)
		x0 = x0<<(16*m) | (uint32(w[0])|uint32(w[1])<<8)&-m
		pos += int(2 * m)
		w = s[pos : pos+2]
		m = uint32((uint64(x1) - ransLow) >> 63)
		x1 = x1<<(16*m) | (uint32(w[0])|uint32(w[1])<<8)&-m
		pos += int(2 * m)
	}
	// The rest, an element at a time, checking the stream's end; i is
	// even, so x0 is element i's state: swap them after each.
	for ; i < len(out); i++ {
		e := &tab[x0&(ransScale-1)]
		out[i] = e.v
		x := uint32(e.freq)*(x0>>ransBits) + uint32(e.bias)
		if x < ransLow {
			if pos+2 > len(s) {
				return fmt.Errorf("pal8r stream ends at element %d of %d", i, len(out))
			}
			x = x<<16 | uint32(s[pos]) | uint32(s[pos+1])<<8
			pos += 2
		}
		x0, x1 = x1, x
	}
	if pos != len(s) {
		return fmt.Errorf("pal8r stream goes on for %d bytes after its last element", len(s)-pos)
	}
	if x0 != ransLow || x1 != ransLow {
		return fmt.Errorf("pal8r stream ends in states %#x and %#x, not %#x", x0, x1, ransLow)
	}
	return nil
}
