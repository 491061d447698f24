package train

import "math"

// net is a head's layer sizes: [features, hidden..., classes], with Relu
// after every layer but the last. Its parameters live in one flat []float64:
// for each layer, W (out×in, row-major) then b (out).
type net []int

func (n net) nparams() int {
	p := 0
	for l := 0; l+1 < len(n); l++ {
		p += n[l+1]*n[l] + n[l+1]
	}
	return p
}

// layer returns layer l's W and b inside theta.
func (n net) layer(theta []float64, l int) (w, b []float64) {
	off := 0
	for i := 0; i < l; i++ {
		off += n[i+1]*n[i] + n[i+1]
	}
	in, out := n[l], n[l+1]
	return theta[off : off+out*in], theta[off+out*in : off+out*in+out]
}

// forward computes every layer's activations for one input: acts[0] is x,
// acts[len(n)-1] the logits.
func (n net) forward(theta []float64, x []float64, acts [][]float64) {
	acts[0] = x
	for l := 0; l+1 < len(n); l++ {
		w, b := n.layer(theta, l)
		in, out := n[l], n[l+1]
		a, z := acts[l], acts[l+1]
		for o := 0; o < out; o++ {
			s := b[o] + dot(w[o*in:(o+1)*in], a)
			if l+2 < len(n) && s < 0 {
				s = 0 // Relu
			}
			z[o] = s
		}
	}
}

// problem is the objective a head minimises: the weighted mean loss over
// some rows plus L2 weight decay on the weights (not the biases).
type problem struct {
	net    net
	x      [][]float64 // standardised features
	y      [][]int     // classes per row
	multi  bool
	rowW   []float64 // single-label: each row's class weight
	posW   []float64 // multi-label: each class's positive weight
	lambda float64
}

// newActs allocates activation buffers for the net.
func (n net) newActs() [][]float64 {
	acts := make([][]float64, len(n))
	for l := 1; l < len(n); l++ {
		acts[l] = make([]float64, n[l])
	}
	return acts
}

func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

// loss returns the objective over rows and, when grad is not nil, writes
// its gradient there. With reg false it is the data term alone (what
// validation reports).
func (p *problem) loss(theta []float64, rows []int, grad []float64, reg bool) float64 {
	n := p.net
	k := n[len(n)-1]
	acts := n.newActs()
	var deltas [][]float64
	if grad != nil {
		clear(grad)
		deltas = n.newActs()
	}
	total, norm := 0.0, 0.0
	for _, r := range rows {
		norm += p.weight(r)
	}
	if norm == 0 {
		return 0
	}
	for _, r := range rows {
		n.forward(theta, p.x[r], acts)
		z := acts[len(n)-1]
		var dz []float64
		if grad != nil {
			dz = deltas[len(n)-1]
		}
		if !p.multi {
			m := z[0]
			for _, v := range z {
				m = max(m, v)
			}
			s := 0.0
			for _, v := range z {
				s += math.Exp(v - m)
			}
			lse := m + math.Log(s)
			y := p.y[r][0]
			w := p.rowW[r] / norm
			total += w * (lse - z[y])
			if dz != nil {
				for c, v := range z {
					dz[c] = w * math.Exp(v-lse)
				}
				dz[y] -= w
			}
		} else {
			w := 1 / norm
			pos := make([]bool, k)
			for _, c := range p.y[r] {
				pos[c] = true
			}
			for c, v := range z {
				if pos[c] {
					total += w * p.posW[c] * softplus(-v)
					if dz != nil {
						dz[c] = -w * p.posW[c] * sigmoid(-v)
					}
				} else {
					total += w * softplus(v)
					if dz != nil {
						dz[c] = w * sigmoid(v)
					}
				}
			}
		}
		if grad == nil {
			continue
		}
		// Back through the layers.
		for l := len(n) - 2; l >= 0; l-- {
			gw, gb := n.layer(grad, l)
			w, _ := n.layer(theta, l)
			in, out := n[l], n[l+1]
			d, a := deltas[l+1], acts[l]
			for o := 0; o < out; o++ {
				g := d[o]
				if g == 0 {
					continue
				}
				gb[o] += g
				axpy(g, a, gw[o*in:(o+1)*in])
			}
			if l == 0 {
				break
			}
			prev := deltas[l]
			clear(prev)
			for o := 0; o < out; o++ {
				g := d[o]
				if g == 0 {
					continue
				}
				axpy(g, w[o*in:(o+1)*in], prev)
			}
			for i, v := range a { // Relu
				if v <= 0 {
					prev[i] = 0
				}
			}
		}
	}
	if reg && p.lambda > 0 {
		for l := 0; l+1 < len(n); l++ {
			w, _ := n.layer(theta, l)
			var gw []float64
			if grad != nil {
				gw, _ = n.layer(grad, l)
			}
			for i, v := range w {
				total += 0.5 * p.lambda * v * v
				if gw != nil {
					gw[i] += p.lambda * v
				}
			}
		}
	}
	return total
}

// weight is a row's share of the mean: its class weight (single-label) or 1.
func (p *problem) weight(r int) float64 {
	if p.multi {
		return 1
	}
	return p.rowW[r]
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// penalty is the weight decay term of the objective.
func (p *problem) penalty(theta []float64) float64 {
	if p.lambda <= 0 {
		return 0
	}
	s := 0.0
	for l := 0; l+1 < len(p.net); l++ {
		w, _ := p.net.layer(theta, l)
		for _, v := range w {
			s += v * v
		}
	}
	return 0.5 * p.lambda * s
}

// evaluate returns the data loss and the accuracy over rows in one pass.
func (p *problem) evaluate(theta []float64, rows []int) (loss, acc float64) {
	return p.loss(theta, rows, nil, false), p.accuracy(theta, rows)
}
