package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrOneClass is returned where scikit-learn raises because y_true holds a
// single class, e.g. roc_auc_score: "Only one class present in y_true. ROC
// AUC score is not defined in that case."
var ErrOneClass = errors.New("only one class present in y_true; ROC AUC is not defined in that case")

// ROC is scikit-learn's roc_curve(drop_intermediate=True): false and true
// positive rates at decreasing thresholds, the first threshold +Inf (the
// point (0,0)). A rate is NaN throughout when its denominator is zero (no
// negatives for FPR, no positives for TPR), as in scikit-learn.
type ROC struct {
	FPR        Floats `json:"fpr"`
	TPR        Floats `json:"tpr"`
	Thresholds Floats `json:"thresholds"`
}

// PR is scikit-learn's precision_recall_curve: precision and recall at
// increasing thresholds, ending with the point (precision 1, recall 0)
// which has no threshold, so Thresholds is one shorter. With no positives,
// recall is 1 at every threshold, as in scikit-learn.
type PR struct {
	Precision  Floats `json:"precision"`
	Recall     Floats `json:"recall"`
	Thresholds Floats `json:"thresholds"`
}

// checkBinary validates the inputs every ranking metric shares.
func checkBinary(yTrue []bool, score []float64) error {
	if len(yTrue) != len(score) {
		return fmt.Errorf("eval: %d labels but %d scores", len(yTrue), len(score))
	}
	if len(yTrue) == 0 {
		return errors.New("eval: no samples")
	}
	for i, s := range score {
		if math.IsNaN(s) {
			return fmt.Errorf("eval: score %d is NaN", i)
		}
	}
	return nil
}

// binaryClfCurve is scikit-learn's _binary_clf_curve: cumulative false and
// true positives at each distinct score, highest score first. Ties form one
// point, so their order does not matter.
func binaryClfCurve(yTrue []bool, score []float64) (fps, tps, thr []float64) {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	var tp float64
	for r, i := range idx {
		if yTrue[i] {
			tp++
		}
		if r == len(idx)-1 || score[idx[r+1]] != score[i] {
			tps = append(tps, tp)
			fps = append(fps, float64(r+1)-tp)
			thr = append(thr, score[i])
		}
	}
	return fps, tps, thr
}

// ROCCurve computes the ROC curve of scores for the positive class.
func ROCCurve(yTrue []bool, score []float64) (ROC, error) {
	if err := checkBinary(yTrue, score); err != nil {
		return ROC{}, err
	}
	fps, tps, thr := binaryClfCurve(yTrue, score)
	if len(fps) > 2 { // drop_intermediate: keep corners only
		keep := []int{0}
		for i := 1; i < len(fps)-1; i++ {
			if fps[i-1]-2*fps[i]+fps[i+1] != 0 || tps[i-1]-2*tps[i]+tps[i+1] != 0 {
				keep = append(keep, i)
			}
		}
		keep = append(keep, len(fps)-1)
		pick := func(v []float64) []float64 {
			out := make([]float64, len(keep))
			for j, i := range keep {
				out[j] = v[i]
			}
			return out
		}
		fps, tps, thr = pick(fps), pick(tps), pick(thr)
	}
	fps = append([]float64{0}, fps...)
	tps = append([]float64{0}, tps...)
	thr = append([]float64{math.Inf(1)}, thr...)
	return ROC{FPR: rates(fps), TPR: rates(tps), Thresholds: thr}, nil
}

// rates divides cumulative counts by their last value, or is all NaN when
// that is zero.
func rates(c []float64) []float64 {
	out := make([]float64, len(c))
	last := c[len(c)-1]
	for i, v := range c {
		if last <= 0 {
			out[i] = math.NaN()
		} else {
			out[i] = v / last
		}
	}
	return out
}

// ROCAUC is scikit-learn's roc_auc_score for a binary problem: the
// trapezoidal area under ROCCurve. It returns ErrOneClass when yTrue is all
// positive or all negative.
func ROCAUC(yTrue []bool, score []float64) (float64, error) {
	if err := checkBinary(yTrue, score); err != nil {
		return math.NaN(), err
	}
	if !slices.Contains(yTrue, true) || !slices.Contains(yTrue, false) {
		return math.NaN(), ErrOneClass
	}
	roc, err := ROCCurve(yTrue, score)
	if err != nil {
		return math.NaN(), err
	}
	return Trapezoid(roc.FPR, roc.TPR), nil
}

// Trapezoid is the area under y(x) by the trapezoidal rule, as
// scikit-learn's auc for increasing x (decreasing x gives the negated
// area; auc flips the sign then, callers here never need it).
func Trapezoid(x, y []float64) float64 {
	var a float64
	for i := 1; i < len(x) && i < len(y); i++ {
		a += (x[i] - x[i-1]) * (y[i] + y[i-1]) / 2
	}
	return a
}

// PRCurve computes the precision-recall curve of scores for the positive
// class. Precision at a threshold that selects nothing cannot occur (every
// threshold is a score), so it is never a zero division.
func PRCurve(yTrue []bool, score []float64) (PR, error) {
	if err := checkBinary(yTrue, score); err != nil {
		return PR{}, err
	}
	fps, tps, thr := binaryClfCurve(yTrue, score)
	n := len(tps)
	pr := PR{Precision: make(Floats, n+1), Recall: make(Floats, n+1), Thresholds: make(Floats, n)}
	last := tps[n-1]
	for i := 0; i < n; i++ { // reversed: increasing thresholds
		j := n - 1 - i
		if ps := tps[j] + fps[j]; ps != 0 {
			pr.Precision[i] = tps[j] / ps
		}
		if last == 0 {
			pr.Recall[i] = 1
		} else {
			pr.Recall[i] = tps[j] / last
		}
		pr.Thresholds[i] = thr[j]
	}
	pr.Precision[n], pr.Recall[n] = 1, 0
	return pr, nil
}

// AveragePrecision is scikit-learn's average_precision_score for a binary
// problem: Σ (R_n − R_{n+1}) P_n over PRCurve, without interpolation. With
// no positives it is 0 (scikit-learn warns).
func AveragePrecision(yTrue []bool, score []float64) (float64, error) {
	pr, err := PRCurve(yTrue, score)
	if err != nil {
		return math.NaN(), err
	}
	var ap float64
	for i := 0; i+1 < len(pr.Recall); i++ {
		ap += (pr.Recall[i] - pr.Recall[i+1]) * pr.Precision[i]
	}
	return ap, nil
}
