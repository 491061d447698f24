package train

import (
	"math"
	"slices"
)

// fitNCM fits a nearest-class-mean head: logits −‖x − μ_c‖²/T on
// standardised features, which is the linear layer W_c = 2μ_c/T,
// b_c = −‖μ_c‖²/T (the ‖x‖² term is the same for every class, so softmax
// ignores it). The temperature T minimises the validation loss of the
// means of the training photos (without a validation split: the median
// squared distance of training photos to their class mean). The validation
// report comes from those means; the head itself then averages every photo,
// validation ones included, since with a few photos per class each counts.
func fitNCM(h *Head, p *problem, trainRows, valRows []int, cfg Config, res *Result, progress func(Progress)) {
	d, k := len(p.x[0]), cfg.Classes
	h.Sizes = []int{d, k}
	p.net = net(h.Sizes)
	means := classMeans(p, trainRows, k, d)
	temp := 0.0
	if len(valRows) > 0 {
		f := func(logT float64) float64 { return p.loss(ncmTheta(means, math.Exp(logT), d), valRows, nil, false) }
		lo, hi := math.Log(float64(d)/1000), math.Log(float64(d)*100)
		const phi = 0.6180339887498949
		a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
		fa, fb := f(a), f(b)
		for range 60 {
			if fa < fb {
				hi, b, fb = b, a, fa
				a = hi - phi*(hi-lo)
				fa = f(a)
			} else {
				lo, a, fa = a, b, fb
				b = lo + phi*(hi-lo)
				fb = f(b)
			}
		}
		temp = math.Exp((lo + hi) / 2)
	} else {
		var dist []float64
		for _, r := range trainRows {
			dist = append(dist, sqDist(p.x[r], means[p.y[r][0]]))
		}
		slices.Sort(dist)
		temp = dist[len(dist)/2]
		if temp <= 0 {
			temp = float64(d)
		}
	}
	theta := ncmTheta(means, temp, d)
	pr := Progress{Phase: "nearest class mean", Epoch: 1, Best: true,
		TrainLoss: p.loss(theta, trainRows, nil, false), TrainAcc: p.accuracy(theta, trainRows),
		ValLoss: math.NaN(), ValAcc: math.NaN()}
	if len(valRows) > 0 {
		pr.ValLoss, pr.ValAcc = p.loss(theta, valRows, nil, false), p.accuracy(theta, valRows)
		h.Theta = theta
		for _, r := range valRows {
			res.ValProbs = append(res.ValProbs, h.probsStd(p.x[r]))
		}
	}
	res.History, res.BestEpoch = []Progress{pr}, 1
	if progress != nil {
		progress(pr)
	}
	h.Theta = ncmTheta(classMeans(p, append(slices.Clone(trainRows), valRows...), k, d), temp, d)
}

func classMeans(p *problem, rows []int, k, d int) [][]float64 {
	means := make([][]float64, k)
	counts := make([]float64, k)
	for c := range means {
		means[c] = make([]float64, d)
	}
	for _, r := range rows {
		c := p.y[r][0]
		counts[c]++
		for j, v := range p.x[r] {
			means[c][j] += v
		}
	}
	for c, m := range means {
		for j := range m {
			if counts[c] > 0 {
				m[j] /= counts[c]
			}
		}
	}
	return means
}

func ncmTheta(means [][]float64, temp float64, d int) []float64 {
	k := len(means)
	theta := make([]float64, k*d+k)
	for c, m := range means {
		sq := 0.0
		for j, v := range m {
			theta[c*d+j] = 2 * v / temp
			sq += v * v
		}
		theta[k*d+c] = -sq / temp
	}
	return theta
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += (v - b[i]) * (v - b[i])
	}
	return s
}
