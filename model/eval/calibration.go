package eval

import (
	"errors"
	"fmt"
)

// Bin is one non-empty bin of a reliability diagram: probabilities in
// (Lo, Hi] (the first bin also holds Lo itself), how many there were, their
// mean, and the fraction whose outcome was positive.
type Bin struct {
	Lo               float64 `json:"lo"`
	Hi               float64 `json:"hi"`
	Count            int     `json:"count"`
	MeanPredicted    float64 `json:"mean_predicted"`
	FractionPositive float64 `json:"fraction_positive"`
}

// CalibrationCurve is scikit-learn's calibration_curve with
// strategy="uniform": nBins equal-width bins over [0,1] (edges
// linspace(0,1,nBins+1), a probability on an inner edge going to the lower
// bin, as numpy's searchsorted does), empty bins left out. Probabilities
// outside [0,1] are an error, as in scikit-learn.
func CalibrationCurve(yTrue []bool, prob []float64, nBins int) ([]Bin, error) {
	if len(yTrue) != len(prob) {
		return nil, fmt.Errorf("eval: %d labels but %d probabilities", len(yTrue), len(prob))
	}
	if len(prob) == 0 {
		return nil, errors.New("eval: no samples")
	}
	if nBins < 1 {
		return nil, fmt.Errorf("eval: %d calibration bins", nBins)
	}
	for _, p := range prob {
		if !(p >= 0 && p <= 1) {
			return nil, errors.New("eval: probabilities outside [0, 1] (is the model's output activation right?)")
		}
	}
	step := 1 / float64(nBins)
	edge := func(i int) float64 { // numpy.linspace: i*step, the last edge exactly 1
		if i == nBins {
			return 1
		}
		return float64(i) * step
	}
	sums := make([]float64, nBins)
	pos := make([]float64, nBins)
	count := make([]int, nBins)
	for i, p := range prob {
		b := 0 // searchsorted(edges[1:-1], p, side="left")
		for b < nBins-1 && edge(b+1) < p {
			b++
		}
		sums[b] += p
		if yTrue[i] {
			pos[b]++
		}
		count[b]++
	}
	var out []Bin
	for b := range count {
		if count[b] == 0 {
			continue
		}
		n := float64(count[b])
		out = append(out, Bin{Lo: edge(b), Hi: edge(b + 1), Count: count[b], MeanPredicted: sums[b] / n, FractionPositive: pos[b] / n})
	}
	return out, nil
}
