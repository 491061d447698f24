package vision

// The inner loops of resize.go: x/image/draw's scaleX_* and
// scaleY_RGBA_Src, unrolled. See resize.go on why the float64 conversions.

import "math"

// scaleX3 filters a converted source row src with d into out (R, G, B
// per destination pixel): x/image/draw's scaleX_* for sources it takes as
// opaque, and for opaque RGBA and NRGBA where alpha is not needed.
func scaleX3(out []float64, src [][3]float64, d *distrib) {
	switch d.taps {
	case 2:
		scaleX3t2(out, src, d)
	case 3:
		scaleX3t3(out, src, d)
	case 4:
		scaleX3t4(out, src, d)
	default:
		scaleX3tn(out, src, d)
	}
}

// scaleX4 is scaleX3 with alpha (R, G, B, A per pixel).
func scaleX4(out []float64, src [][4]float64, d *distrib) {
	switch d.taps {
	case 2:
		scaleX4t2(out, src, d)
	case 3:
		scaleX4t3(out, src, d)
	case 4:
		scaleX4t4(out, src, d)
	default:
		scaleX4tn(out, src, d)
	}
}

func scaleX3t2(out []float64, src [][3]float64, d *distrib) {
	out = out[:3*len(d.sources)]
	cs, ws := d.tapCoord[:2*len(d.sources)], d.tapWeight[:2*len(d.sources)]
	for x, s := range d.sources {
		c, w := cs[2*x:2*x+2:2*x+2], ws[2*x:2*x+2:2*x+2]
		p0 := &src[c[0]]
		p1 := &src[c[1]]
		var pr, pg, pb float64
		pr += float64(p0[0] * w[0])
		pg += float64(p0[1] * w[0])
		pb += float64(p0[2] * w[0])
		pr += float64(p1[0] * w[1])
		pg += float64(p1[1] * w[1])
		pb += float64(p1[2] * w[1])
		o := out[3*x : 3*x+3 : 3*x+3]
		o[0] = pr * s.invTotalWeightFFFF
		o[1] = pg * s.invTotalWeightFFFF
		o[2] = pb * s.invTotalWeightFFFF
	}
}

func scaleX3t3(out []float64, src [][3]float64, d *distrib) {
	out = out[:3*len(d.sources)]
	cs, ws := d.tapCoord[:3*len(d.sources)], d.tapWeight[:3*len(d.sources)]
	for x, s := range d.sources {
		c, w := cs[3*x:3*x+3:3*x+3], ws[3*x:3*x+3:3*x+3]
		p0 := &src[c[0]]
		p1 := &src[c[1]]
		p2 := &src[c[2]]
		var pr, pg, pb float64
		pr += float64(p0[0] * w[0])
		pg += float64(p0[1] * w[0])
		pb += float64(p0[2] * w[0])
		pr += float64(p1[0] * w[1])
		pg += float64(p1[1] * w[1])
		pb += float64(p1[2] * w[1])
		pr += float64(p2[0] * w[2])
		pg += float64(p2[1] * w[2])
		pb += float64(p2[2] * w[2])
		o := out[3*x : 3*x+3 : 3*x+3]
		o[0] = pr * s.invTotalWeightFFFF
		o[1] = pg * s.invTotalWeightFFFF
		o[2] = pb * s.invTotalWeightFFFF
	}
}

func scaleX3t4(out []float64, src [][3]float64, d *distrib) {
	out = out[:3*len(d.sources)]
	cs, ws := d.tapCoord[:4*len(d.sources)], d.tapWeight[:4*len(d.sources)]
	for x, s := range d.sources {
		c, w := cs[4*x:4*x+4:4*x+4], ws[4*x:4*x+4:4*x+4]
		p0 := &src[c[0]]
		p1 := &src[c[1]]
		p2 := &src[c[2]]
		p3 := &src[c[3]]
		var pr, pg, pb float64
		pr += float64(p0[0] * w[0])
		pg += float64(p0[1] * w[0])
		pb += float64(p0[2] * w[0])
		pr += float64(p1[0] * w[1])
		pg += float64(p1[1] * w[1])
		pb += float64(p1[2] * w[1])
		pr += float64(p2[0] * w[2])
		pg += float64(p2[1] * w[2])
		pb += float64(p2[2] * w[2])
		pr += float64(p3[0] * w[3])
		pg += float64(p3[1] * w[3])
		pb += float64(p3[2] * w[3])
		o := out[3*x : 3*x+3 : 3*x+3]
		o[0] = pr * s.invTotalWeightFFFF
		o[1] = pg * s.invTotalWeightFFFF
		o[2] = pb * s.invTotalWeightFFFF
	}
}

// scaleX3tn is for an even number of taps.
func scaleX3tn(out []float64, src [][3]float64, d *distrib) {
	n := d.taps
	out = out[:3*len(d.sources)]
	cs, ws := d.tapCoord[:n*len(d.sources)], d.tapWeight[:n*len(d.sources)]
	for x, s := range d.sources {
		c, w := cs[n*x:n*x+n], ws[n*x:n*x+n]
		w = w[:len(c)]
		var pr, pg, pb float64
		for k := 0; k+1 < len(c); k += 2 {
			p0, p1 := &src[c[k]], &src[c[k+1]]
			w0, w1 := w[k], w[k+1]
			pr += float64(p0[0] * w0)
			pg += float64(p0[1] * w0)
			pb += float64(p0[2] * w0)
			pr += float64(p1[0] * w1)
			pg += float64(p1[1] * w1)
			pb += float64(p1[2] * w1)
		}
		o := out[3*x : 3*x+3 : 3*x+3]
		o[0] = pr * s.invTotalWeightFFFF
		o[1] = pg * s.invTotalWeightFFFF
		o[2] = pb * s.invTotalWeightFFFF
	}
}

func scaleX4t2(out []float64, src [][4]float64, d *distrib) {
	out = out[:4*len(d.sources)]
	cs, ws := d.tapCoord[:2*len(d.sources)], d.tapWeight[:2*len(d.sources)]
	for x, s := range d.sources {
		c, w := cs[2*x:2*x+2:2*x+2], ws[2*x:2*x+2:2*x+2]
		p0 := &src[c[0]]
		p1 := &src[c[1]]
		var pr, pg, pb, pa float64
		pr += float64(p0[0] * w[0])
		pg += float64(p0[1] * w[0])
		pb += float64(p0[2] * w[0])
		pa += float64(p0[3] * w[0])
		pr += float64(p1[0] * w[1])
		pg += float64(p1[1] * w[1])
		pb += float64(p1[2] * w[1])
		pa += float64(p1[3] * w[1])
		o := out[4*x : 4*x+4 : 4*x+4]
		o[0] = pr * s.invTotalWeightFFFF
		o[1] = pg * s.invTotalWeightFFFF
		o[2] = pb * s.invTotalWeightFFFF
		o[3] = pa * s.invTotalWeightFFFF
	}
}

func scaleX4t3(out []float64, src [][4]float64, d *distrib) {
	out = out[:4*len(d.sources)]
	cs, ws := d.tapCoord[:3*len(d.sources)], d.tapWeight[:3*len(d.sources)]
	for x, s := range d.sources {
		c, w := cs[3*x:3*x+3:3*x+3], ws[3*x:3*x+3:3*x+3]
		p0 := &src[c[0]]
		p1 := &src[c[1]]
		p2 := &src[c[2]]
		var pr, pg, pb, pa float64
		pr += float64(p0[0] * w[0])
		pg += float64(p0[1] * w[0])
		pb += float64(p0[2] * w[0])
		pa += float64(p0[3] * w[0])
		pr += float64(p1[0] * w[1])
		pg += float64(p1[1] * w[1])
		pb += float64(p1[2] * w[1])
		pa += float64(p1[3] * w[1])
		pr += float64(p2[0] * w[2])
		pg += float64(p2[1] * w[2])
		pb += float64(p2[2] * w[2])
		pa += float64(p2[3] * w[2])
		o := out[4*x : 4*x+4 : 4*x+4]
		o[0] = pr * s.invTotalWeightFFFF
		o[1] = pg * s.invTotalWeightFFFF
		o[2] = pb * s.invTotalWeightFFFF
		o[3] = pa * s.invTotalWeightFFFF
	}
}

func scaleX4t4(out []float64, src [][4]float64, d *distrib) {
	out = out[:4*len(d.sources)]
	cs, ws := d.tapCoord[:4*len(d.sources)], d.tapWeight[:4*len(d.sources)]
	for x, s := range d.sources {
		c, w := cs[4*x:4*x+4:4*x+4], ws[4*x:4*x+4:4*x+4]
		p0 := &src[c[0]]
		p1 := &src[c[1]]
		p2 := &src[c[2]]
		p3 := &src[c[3]]
		var pr, pg, pb, pa float64
		pr += float64(p0[0] * w[0])
		pg += float64(p0[1] * w[0])
		pb += float64(p0[2] * w[0])
		pa += float64(p0[3] * w[0])
		pr += float64(p1[0] * w[1])
		pg += float64(p1[1] * w[1])
		pb += float64(p1[2] * w[1])
		pa += float64(p1[3] * w[1])
		pr += float64(p2[0] * w[2])
		pg += float64(p2[1] * w[2])
		pb += float64(p2[2] * w[2])
		pa += float64(p2[3] * w[2])
		pr += float64(p3[0] * w[3])
		pg += float64(p3[1] * w[3])
		pb += float64(p3[2] * w[3])
		pa += float64(p3[3] * w[3])
		o := out[4*x : 4*x+4 : 4*x+4]
		o[0] = pr * s.invTotalWeightFFFF
		o[1] = pg * s.invTotalWeightFFFF
		o[2] = pb * s.invTotalWeightFFFF
		o[3] = pa * s.invTotalWeightFFFF
	}
}

// scaleX4tn is for an even number of taps.
func scaleX4tn(out []float64, src [][4]float64, d *distrib) {
	n := d.taps
	out = out[:4*len(d.sources)]
	cs, ws := d.tapCoord[:n*len(d.sources)], d.tapWeight[:n*len(d.sources)]
	for x, s := range d.sources {
		c, w := cs[n*x:n*x+n], ws[n*x:n*x+n]
		w = w[:len(c)]
		var pr, pg, pb, pa float64
		for k := 0; k+1 < len(c); k += 2 {
			p0, p1 := &src[c[k]], &src[c[k+1]]
			w0, w1 := w[k], w[k+1]
			pr += float64(p0[0] * w0)
			pg += float64(p0[1] * w0)
			pb += float64(p0[2] * w0)
			pa += float64(p0[3] * w0)
			pr += float64(p1[0] * w1)
			pg += float64(p1[1] * w1)
			pb += float64(p1[2] * w1)
			pa += float64(p1[3] * w1)
		}
		o := out[4*x : 4*x+4 : 4*x+4]
		o[0] = pr * s.invTotalWeightFFFF
		o[1] = pg * s.invTotalWeightFFFF
		o[2] = pb * s.invTotalWeightFFFF
		o[3] = pa * s.invTotalWeightFFFF
	}
}

// scaleY adds len(rows) (1 to 4) taps of x/image/draw's vertical pass to
// acc: acc[i] += rows[0][i]*weights[0]; acc[i] += rows[1][i]*weights[1]...
func scaleY(acc []float64, rows [][]float64, weights []float64) {
	switch len(rows) {
	case 1:
		r0, w0 := rows[0][:len(acc)], weights[0]
		for i := range acc {
			a := acc[i]
			a += float64(r0[i] * w0)
			acc[i] = a
		}
	case 2:
		r0, w0 := rows[0][:len(acc)], weights[0]
		r1, w1 := rows[1][:len(acc)], weights[1]
		for i := range acc {
			a := acc[i]
			a += float64(r0[i] * w0)
			a += float64(r1[i] * w1)
			acc[i] = a
		}
	case 3:
		r0, w0 := rows[0][:len(acc)], weights[0]
		r1, w1 := rows[1][:len(acc)], weights[1]
		r2, w2 := rows[2][:len(acc)], weights[2]
		for i := range acc {
			a := acc[i]
			a += float64(r0[i] * w0)
			a += float64(r1[i] * w1)
			a += float64(r2[i] * w2)
			acc[i] = a
		}
	case 4:
		r0, w0 := rows[0][:len(acc)], weights[0]
		r1, w1 := rows[1][:len(acc)], weights[1]
		r2, w2 := rows[2][:len(acc)], weights[2]
		r3, w3 := rows[3][:len(acc)], weights[3]
		for i := range acc {
			a := acc[i]
			a += float64(r0[i] * w0)
			a += float64(r1[i] * w1)
			a += float64(r2[i] * w2)
			a += float64(r3[i] * w3)
			acc[i] = a
		}
	default:
		panic("vision: scaleY of more than 4 rows")
	}
}

// round ends x/image/draw's scaleY_RGBA_Src for an output row, whose
// filtered pixels acc holds as R, G, B, A (cs 4) or R, G, B with alpha pa
// (cs 3): it clamps colour to alpha and rounds it to 8 bits in out (RGBA;
// A is left alone).
func round(out []uint8, acc []float64, cs int, invTotalWeight, pa float64) {
	w := len(out) / 4
	if cs == 4 {
		acc = acc[:4*w]
		for x := 0; x < w; x++ {
			a := acc[4*x : 4*x+4 : 4*x+4]
			o := out[4*x : 4*x+3 : 4*x+3]
			pa := a[3]
			o[0] = ftou8(clamp(a[0], pa) * invTotalWeight)
			o[1] = ftou8(clamp(a[1], pa) * invTotalWeight)
			o[2] = ftou8(clamp(a[2], pa) * invTotalWeight)
		}
		return
	}
	acc = acc[:3*w]
	if math.IsInf(pa, 1) { // no clamp
		for x := 0; x < w; x++ {
			a := acc[3*x : 3*x+3 : 3*x+3]
			o := out[4*x : 4*x+3 : 4*x+3]
			o[0] = ftou8(a[0] * invTotalWeight)
			o[1] = ftou8(a[1] * invTotalWeight)
			o[2] = ftou8(a[2] * invTotalWeight)
		}
		return
	}
	for x := 0; x < w; x++ {
		a := acc[3*x : 3*x+3 : 3*x+3]
		o := out[4*x : 4*x+3 : 4*x+3]
		o[0] = ftou8(clamp(a[0], pa) * invTotalWeight)
		o[1] = ftou8(clamp(a[1], pa) * invTotalWeight)
		o[2] = ftou8(clamp(a[2], pa) * invTotalWeight)
	}
}
