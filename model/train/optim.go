package train

import (
	"math"
	"math/rand/v2"
)

// objective returns f(theta) and writes its gradient into grad.
type objective func(theta, grad []float64) float64

// lbfgs minimises f from theta (updated in place) with limited-memory BFGS
// (10 pairs, backtracking Armijo line search). After every iteration it
// calls step, which returns false to stop (early stopping); it also stops
// after maxIter iterations or once it has converged.
func lbfgs(f objective, theta []float64, maxIter int, step func(iter int, loss float64) bool) {
	const m = 10
	n := len(theta)
	grad := make([]float64, n)
	loss := f(theta, grad)
	var ss, ys [][]float64
	var rhos []float64
	dir := make([]float64, n)
	next := make([]float64, n)
	ngrad := make([]float64, n)
	alpha := make([]float64, m)
	for iter := 1; iter <= maxIter; iter++ {
		if norm(grad) < 1e-7 {
			return
		}
		// Two-loop recursion: dir = -H·grad.
		copy(dir, grad)
		for i := len(ss) - 1; i >= 0; i-- {
			alpha[i] = rhos[i] * dot(ss[i], dir)
			axpy(-alpha[i], ys[i], dir)
		}
		gamma := 1.0
		if k := len(ss) - 1; k >= 0 {
			gamma = dot(ss[k], ys[k]) / dot(ys[k], ys[k])
		} else {
			gamma = 1 / max(norm(grad), 1e-12) // a first step of unit length
		}
		for i := range dir {
			dir[i] *= gamma
		}
		for i := range ss {
			b := rhos[i] * dot(ys[i], dir)
			axpy(alpha[i]-b, ss[i], dir)
		}
		for i := range dir {
			dir[i] = -dir[i]
		}
		slope := dot(grad, dir)
		if slope >= 0 { // not a descent direction: restart from the gradient
			ss, ys, rhos = nil, nil, nil
			for i := range dir {
				dir[i] = -grad[i]
			}
			slope = -dot(grad, grad)
		}
		t, nloss := 1.0, 0.0
		for try := 0; ; try++ {
			for i := range next {
				next[i] = theta[i] + t*dir[i]
			}
			nloss = f(next, ngrad)
			if nloss <= loss+1e-4*t*slope || try == 30 {
				break
			}
			t *= 0.5
		}
		if !(nloss <= loss) { // no progress even with a tiny step
			return
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range s {
			s[i] = next[i] - theta[i]
			y[i] = ngrad[i] - grad[i]
		}
		if sy := dot(s, y); sy > 1e-12 {
			if len(ss) == m {
				ss, ys, rhos = ss[1:], ys[1:], rhos[1:]
			}
			ss, ys, rhos = append(ss, s), append(ys, y), append(rhos, 1/sy)
		}
		copy(theta, next)
		copy(grad, ngrad)
		// Converged: no parameter's gradient is above 1e-5 (the loss is a
		// mean, so that is scale-free enough), or the loss has stopped moving.
		done := maxAbs(grad) < 1e-5 || loss-nloss <= 1e-10*max(1, math.Abs(loss))
		loss = nloss
		if !step(iter, loss) || done {
			return
		}
	}
}

// adamOpt minimises a sum over rows with Adam on shuffled mini-batches;
// after every epoch it calls step, which returns false to stop.
func adamOpt(f func(theta []float64, rows []int, grad []float64) float64, theta []float64, nrows, batch, epochs int, lr float64, rng *rand.Rand, step func(epoch int, loss float64) bool) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	n := len(theta)
	mom, vel, grad := make([]float64, n), make([]float64, n), make([]float64, n)
	order := make([]int, nrows)
	for i := range order {
		order[i] = i
	}
	t := 0
	for epoch := 1; epoch <= epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		sum, cnt := 0.0, 0
		for lo := 0; lo < nrows; lo += batch {
			rows := order[lo:min(lo+batch, nrows)]
			sum += f(theta, rows, grad) * float64(len(rows))
			cnt += len(rows)
			t++
			c1, c2 := 1-math.Pow(b1, float64(t)), 1-math.Pow(b2, float64(t))
			for i, g := range grad {
				mom[i] = b1*mom[i] + (1-b1)*g
				vel[i] = b2*vel[i] + (1-b2)*g*g
				theta[i] -= lr * (mom[i] / c1) / (math.Sqrt(vel[i]/c2) + eps)
			}
		}
		if !step(epoch, sum/float64(max(cnt, 1))) {
			return
		}
	}
}

// dot and axpy are the heads' hot loops, unrolled by four with separate
// sums (Go does not unroll or vectorise them itself).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func maxAbs(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		m = max(m, math.Abs(v))
	}
	return m
}

func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}
