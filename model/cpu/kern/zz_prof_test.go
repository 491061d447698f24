package kern

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

func TestZZProfile(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	ls := mobileNetV2()
	tot := map[string]time.Duration{}
	fl := map[string]float64{}
	var all time.Duration
	for _, l := range ls {
		p := l.p
		w := PackConv(p, randSlice(r, p.M*p.C/p.Group*p.KH*p.KW))
		x := randSlice(r, p.C*p.H*p.W)
		y := make([]float32, p.M*p.OH*p.OW)
		var res []float32
		if l.res {
			res = randSlice(r, len(y))
		}
		sc := make([]float32, ScratchSize(p))
		bias := randSlice(r, p.M)
		kind := "1x1"
		if p.Group > 1 {
			kind = "dw"
		} else if p.KH == 3 {
			kind = "stem"
		}
		Conv(p, w, x, bias, res, l.act, y, sc)
		best := time.Hour
		for i := 0; i < 5; i++ {
			t0 := time.Now()
			Conv(p, w, x, bias, res, l.act, y, sc)
			best = min(best, time.Since(t0))
		}
		tot[kind] += best
		all += best
		fl[kind] += 2 * float64(len(y)) * float64(p.C/p.Group*p.KH*p.KW)
	}
	for k, v := range tot {
		fmt.Printf("%-5s %8.2f ms  %6.1f MFLOP  %.2f GFLOP/s\n", k, v.Seconds()*1e3, fl[k]/1e6, fl[k]/v.Seconds()/1e9)
	}
	fmt.Printf("total %8.2f ms\n", all.Seconds()*1e3)
}

func TestZZPack(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var tp, te time.Duration
	for _, l := range mobileNetV2() {
		p := l.p
		if !is1x1(p) {
			continue
		}
		kg := p.C
		npix := p.OH * p.OW
		nc := convNC(kg, npix)
		x := randSlice(r, p.C*p.H*p.W)
		sc := make([]float32, ScratchSize(p))
		y := randSlice(r, p.M*npix)
		best, beste := time.Hour, time.Hour
		for it := 0; it < 5; it++ {
			t0 := time.Now()
			for j0 := 0; j0 < npix; j0 += nc {
				packRows(x, npix, j0, min(nc, npix-j0), kg, sc)
			}
			best = min(best, time.Since(t0))
			t0 = time.Now()
			for m := 0; m < p.M; m++ {
				epilogue(y[m*npix:(m+1)*npix], 0.1, nil, l.act)
			}
			beste = min(beste, time.Since(t0))
		}
		tp += best
		te += beste
	}
	fmt.Printf("pack1x1 total %.2f ms, epilogue %.2f ms\n", tp.Seconds()*1e3, te.Seconds()*1e3)
}
