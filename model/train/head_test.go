package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomProblem is a small problem with random data, class weights,
// positive weights and weight decay, for gradient checks.
func randomProblem(sizes []int, multi bool, n int, seed uint64) (*problem, []float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := &problem{net: net(sizes), multi: multi, lambda: 0.03}
	k := sizes[len(sizes)-1]
	for r := 0; r < n; r++ {
		x := make([]float64, sizes[0])
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		p.x = append(p.x, x)
		y := []int{rng.IntN(k)}
		if multi && rng.IntN(2) == 0 {
			if c := rng.IntN(k); c != y[0] {
				y = append(y, c)
			}
		}
		p.y = append(p.y, y)
		p.rowW = append(p.rowW, 0.5+rng.Float64())
	}
	for range k {
		p.posW = append(p.posW, 1+3*rng.Float64())
	}
	theta := make([]float64, p.net.nparams())
	for i := range theta {
		theta[i] = 0.5 * rng.NormFloat64()
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return p, theta, rows
}

// TestGradient compares the analytic gradient of every kind of head's
// objective (softmax and sigmoid, linear and with a hidden Relu layer,
// weighted, with weight decay) with central finite differences: they
// agree within 1e-6 absolute + 1e-5 relative.
func TestGradient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		multi bool
	}{
		{"softmax linear", []int{6, 4}, false},
		{"sigmoid linear", []int{6, 4}, true},
		{"softmax mlp", []int{6, 5, 4}, false},
		{"sigmoid mlp", []int{6, 5, 3}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, theta, rows := randomProblem(tc.sizes, tc.multi, 9, 7)
			grad := make([]float64, len(theta))
			p.loss(theta, rows, grad, true)
			const h = 1e-6
			for i := range theta {
				save := theta[i]
				theta[i] = save + h
				up := p.loss(theta, rows, nil, true)
				theta[i] = save - h
				down := p.loss(theta, rows, nil, true)
				theta[i] = save
				num := (up - down) / (2 * h)
				if math.Abs(num-grad[i]) > 1e-6+1e-5*math.Abs(num) {
					t.Errorf("parameter %d: analytic %.9g, finite difference %.9g", i, grad[i], num)
				}
			}
		})
	}
}

// TestOptimisersAgree: on a convex (linear softmax) objective L-BFGS
// reaches a point where the gradient vanishes, and Adam, run long, gets
// within 1e-3 of the same loss.
func TestOptimisersAgree(t *testing.T) {
	p, _, rows := randomProblem([]int{8, 3}, false, 40, 3)
	theta := make([]float64, p.net.nparams())
	lbfgs(func(th, g []float64) float64 { return p.loss(th, rows, g, true) }, theta, 500, func(int, float64) bool { return true })
	grad := make([]float64, len(theta))
	best := p.loss(theta, rows, grad, true)
	if norm(grad) > 1e-5 {
		t.Errorf("L-BFGS stopped with gradient norm %g", norm(grad))
	}
	theta2 := make([]float64, len(theta))
	adamOpt(func(th []float64, r []int, g []float64) float64 { return p.loss(th, r, g, true) }, theta2, len(rows), len(rows), 3000, 0.01, rand.New(rand.NewPCG(1, 2)), func(int, float64) bool { return true })
	if got := p.loss(theta2, rows, nil, true); got-best > 1e-3 || got < best-1e-9 {
		t.Errorf("Adam reached %.6f, L-BFGS %.6f", got, best)
	}
}
