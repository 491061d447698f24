package quant

import (
	"errors"
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// Method is how a tensor's range is taken from the calibration data.
type Method string

const (
	// MinMax is the smallest and largest value seen (ORT's MinMax calibrator).
	MinMax Method = "minmax"
	// Percentile cuts (100-P)/2 % of the values off each end of a
	// 2048-bin histogram over the min-max range (ORT's Percentile
	// calibrator, non-symmetric).
	Percentile Method = "percentile"
)

// DefaultPercentile is the Percentile kept. ORT's default is 99.999; on
// the shared photos 99.99 and minmax tie on top-1 (14/14 on both
// MobileNets) and on the distance of the probabilities to the float
// model's, 99.999 is a little further (quantize_test.go), and 99.99 is
// the one that does not let one odd photo among the user's widen every
// range it touches.
const DefaultPercentile = 99.99

// DefaultMethod is the calibration method Glimpse uses (see quantize_test.go
// for the comparison on the shared photos).
const DefaultMethod = Percentile

const histBins = 2048

// Calibrator runs a float model on sample inputs and records the value
// range of every float tensor it computes. It is not safe for concurrent use.
type Calibrator struct {
	prog    *cpu.Program
	names   []string
	tensors []*graph.Tensor
	lo, hi  []float32
	samples [][]float32 // the inputs seen, for the histogram pass
}

// NewCalibrator compiles g unfused, each tensor with its own buffer, with
// the given input shapes (as model.InputShapes gives them).
func NewCalibrator(g *graph.Graph, shapes map[string][]int) (*Calibrator, error) {
	if g == nil {
		return nil, errors.New("calibrate: no model")
	}
	p, err := cpu.Compile(g, cpu.Options{InputShapes: shapes, NoReuse: true, NoFusion: true})
	if err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	if len(p.Inputs) != 1 || p.Inputs[0].DType != graph.Float32 {
		return nil, errors.New("calibrate: the model must have one float32 input")
	}
	c := &Calibrator{prog: p}
	seen := map[*graph.Tensor]bool{}
	add := func(name string, t *graph.Tensor) {
		if t == nil || t.DType != graph.Float32 || p.IsConst(t) || seen[t] && name == "" {
			return
		}
		seen[t] = true
		c.names, c.tensors = append(c.names, name), append(c.tensors, t)
	}
	add(p.Names.Inputs[0], p.Inputs[0])
	for _, s := range p.Plan() {
		for j, o := range s.Out {
			if j < len(s.Node.Outputs) {
				add(s.Node.Outputs[j], o)
			}
		}
	}
	c.lo, c.hi = make([]float32, len(c.tensors)), make([]float32, len(c.tensors))
	for i := range c.lo {
		c.lo[i], c.hi[i] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	return c, nil
}

// InputLen is the number of values an input holds.
func (c *Calibrator) InputLen() int { return len(c.prog.Inputs[0].F) }

// Samples is the number of inputs added.
func (c *Calibrator) Samples() int { return len(c.samples) }

// Add runs the model on one input (preprocessed, InputLen values) and
// widens every tensor's range.
func (c *Calibrator) Add(x []float32) error {
	if len(x) != c.InputLen() {
		return fmt.Errorf("calibrate: input has %d values, the model takes %d", len(x), c.InputLen())
	}
	copy(c.prog.Inputs[0].F, x)
	if err := c.prog.Execute(); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	for i, t := range c.tensors {
		lo, hi := c.lo[i], c.hi[i]
		for _, v := range t.F {
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
		c.lo[i], c.hi[i] = lo, hi
	}
	c.samples = append(c.samples, append([]float32(nil), x...))
	return nil
}

// Ranges are the calibrated ranges by tensor name. Percentile runs the
// inputs again to fill the histograms; pct 0 means DefaultPercentile.
func (c *Calibrator) Ranges(m Method, pct float64) (map[string]Range, error) {
	if len(c.samples) == 0 {
		return nil, errors.New("calibrate: no inputs were added")
	}
	out := map[string]Range{}
	for i, name := range c.names {
		if !math.IsInf(float64(c.lo[i]), 0) && !math.IsInf(float64(c.hi[i]), 0) {
			out[name] = Range{c.lo[i], c.hi[i]}
		}
	}
	switch m {
	case MinMax:
		return out, nil
	case Percentile:
	default:
		return nil, fmt.Errorf("calibrate: method %q is not minmax or percentile", m)
	}
	if pct == 0 {
		pct = DefaultPercentile
	}
	if !(pct > 50 && pct <= 100) {
		return nil, fmt.Errorf("calibrate: percentile %v is not in (50, 100]", pct)
	}
	hist := make([][]int64, len(c.tensors))
	for i := range hist {
		hist[i] = make([]int64, histBins)
	}
	for _, x := range c.samples {
		copy(c.prog.Inputs[0].F, x)
		if err := c.prog.Execute(); err != nil {
			return nil, fmt.Errorf("calibrate: %w", err)
		}
		for i, t := range c.tensors {
			lo, hi := c.lo[i], c.hi[i]
			if !(hi > lo) {
				continue
			}
			h, k := hist[i], float32(histBins)/(hi-lo)
			for _, v := range t.F {
				b := int((v - lo) * k)
				if b >= histBins {
					b = histBins - 1
				}
				if b >= 0 {
					h[b]++
				}
			}
		}
	}
	cut := (100 - pct) / 200
	for i, name := range c.names {
		lo, hi := c.lo[i], c.hi[i]
		if !(hi > lo) || math.IsInf(float64(hi-lo), 0) {
			continue
		}
		var total int64
		for _, n := range hist[i] {
			total += n
		}
		width := (hi - lo) / histBins
		left, right := 0, histBins-1
		var cum int64
		for b, n := range hist[i] {
			cum += n
			if float64(cum) >= cut*float64(total) {
				left = b
				break
			}
		}
		cum = 0
		for b := histBins - 1; b >= 0; b-- {
			cum += hist[i][b]
			if float64(cum) >= cut*float64(total) {
				right = b
				break
			}
		}
		out[name] = Range{lo + float32(left)*width, min(hi, lo+float32(right+1)*width)}
	}
	return out, nil
}
