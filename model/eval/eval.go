package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/glimpse/glimpse/model/vision/labels"
)

// Sample is one labelled photo and what the model said about it.
type Sample struct {
	File string
	True int // the true class index
	// Scores holds the model's probability (or score) for every class,
	// indexed by class. When nil, Top is used instead and a class missing
	// from Top scores 0.
	Scores []float32
	// Top is the model's ranked top-K, best first (labels.TopK's order).
	Top []labels.Result
}

// Score is the sample's score for class c.
func (s Sample) Score(c int) float64 {
	if s.Scores != nil {
		if c >= 0 && c < len(s.Scores) {
			return float64(s.Scores[c])
		}
		return 0
	}
	for _, r := range s.Top {
		if r.Index == c {
			return float64(r.Prob)
		}
	}
	return 0
}

// Finite is false when a score of the sample (Scores, or Top when Scores is
// nil) is NaN or infinite: Evaluate rejects such samples.
func (s Sample) Finite() bool {
	if s.Scores != nil {
		for _, v := range s.Scores {
			if !finite(v) {
				return false
			}
		}
		return true
	}
	for _, r := range s.Top {
		if !finite(r.Prob) {
			return false
		}
	}
	return true
}

func finite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// Pred is the predicted class and its score: the highest score, the lowest
// index among equal scores (as labels.TopK ranks), or Top[0]. It is -1 when
// the sample has no scores.
func (s Sample) Pred() (int, float64) {
	if s.Scores == nil {
		if len(s.Top) == 0 {
			return -1, math.NaN()
		}
		return s.Top[0].Index, float64(s.Top[0].Prob)
	}
	best := -1
	for i, v := range s.Scores {
		if best < 0 || v > s.Scores[best] {
			best = i
		}
	}
	if best < 0 {
		return -1, math.NaN()
	}
	return best, float64(s.Scores[best])
}

// TopKAccuracy is scikit-learn's top_k_accuracy_score: the fraction of
// samples whose true class is among the k highest scores. Ties rank as
// numpy's stable argsort reversed ranks them: the higher class index first.
// For a sample with only Top, the true class must be among its first k
// entries. k at least the number of classes gives 1 (scikit-learn warns).
func TopKAccuracy(samples []Sample, k int) float64 {
	if len(samples) == 0 {
		return math.NaN()
	}
	hits := 0
	for _, s := range samples {
		if topKHit(s, k) {
			hits++
		}
	}
	return float64(hits) / float64(len(samples))
}

func topKHit(s Sample, k int) bool {
	if s.Scores == nil {
		for i, r := range s.Top {
			if i < k && r.Index == s.True {
				return true
			}
		}
		return false
	}
	if s.True < 0 || s.True >= len(s.Scores) {
		return false
	}
	t := s.Scores[s.True]
	above := 0
	for j, v := range s.Scores {
		if v > t || (v == t && j > s.True) {
			above++
		}
	}
	return above < k
}

// Options tune Evaluate.
type Options struct {
	Labels []string // class names by index; missing ones are "class i"
	Bins   int      // calibration bins; 0 means 10
}

// ClassROC is the one-vs-rest ROC curve of one class.
type ClassROC struct {
	Index int    `json:"index"`
	Label string `json:"label"`
	AUC   Float  `json:"auc"` // null when undefined
	ROC
}

// ClassPR is the one-vs-rest precision-recall curve of one class.
type ClassPR struct {
	Index            int    `json:"index"`
	Label            string `json:"label"`
	AveragePrecision Float  `json:"average_precision"`
	PR
}

// Calibration is the reliability table of the top-1 confidence against
// whether the top-1 class was right.
type Calibration struct {
	Bins []Bin `json:"bins"`
	// ECE, the expected calibration error: Σ count/n · |fraction − mean|.
	ECE float64 `json:"ece"`
}

// Miss is a misclassified sample.
type Miss struct {
	File       string  `json:"file"`
	True       int     `json:"true"`
	TrueLabel  string  `json:"true_label"`
	Pred       int     `json:"pred"`
	PredLabel  string  `json:"pred_label"`
	Confidence float64 `json:"confidence"` // the predicted class's score
	TrueScore  float64 `json:"true_score"` // the true class's score
}

// Report is a full evaluation. The ranking metrics are one-vs-rest over the
// classes present in y_true; their macro and weighted (by support) means
// match scikit-learn's roc_auc_score and average_precision_score on the
// indicator matrix of those classes. They are absent, with ROCUndefined
// saying why, when y_true holds a single class.
type Report struct {
	N            int     `json:"n"`
	Top5Accuracy float64 `json:"top5_accuracy"`
	Classification
	ROC            []ClassROC   `json:"roc,omitempty"`
	ROCAUCMacro    Float        `json:"roc_auc_macro"`
	ROCAUCWeighted Float        `json:"roc_auc_weighted"`
	ROCUndefined   string       `json:"roc_undefined,omitempty"`
	PR             []ClassPR    `json:"pr,omitempty"`
	APMacro        Float        `json:"average_precision_macro"`
	APWeighted     Float        `json:"average_precision_weighted"`
	Calibration    *Calibration `json:"calibration,omitempty"`
	Misclassified  []Miss       `json:"misclassified"`
	Warnings       []string     `json:"warnings,omitempty"`
}

// Evaluate computes every metric of the package over samples.
func Evaluate(samples []Sample, opt Options) (*Report, error) {
	if len(samples) == 0 {
		return nil, errors.New("eval: no samples")
	}
	bins := opt.Bins
	if bins == 0 {
		bins = 10
	}
	n := len(samples)
	yTrue, yPred := make([]int, n), make([]int, n)
	conf := make([]float64, n)
	correct := make([]bool, n)
	classes := 0
	for i, s := range samples {
		p, c := s.Pred()
		if p < 0 {
			return nil, fmt.Errorf("eval: %s: no scores", s.File)
		}
		// NaN and ±Inf (a broken model) have no rank and no place in JSON:
		// callers drop such samples (see Finite) or get this error.
		for j, v := range s.Scores {
			if !finite(v) {
				return nil, fmt.Errorf("eval: %s: score of class %d is %v, not a finite number", s.File, j, v)
			}
		}
		if s.Scores == nil {
			for _, r := range s.Top {
				if !finite(r.Prob) {
					return nil, fmt.Errorf("eval: %s: score of class %d is %v, not a finite number", s.File, r.Index, r.Prob)
				}
			}
		}
		yTrue[i], yPred[i], conf[i], correct[i] = s.True, p, c, s.True == p
		classes = max(classes, len(s.Scores))
	}
	cl, err := ClassificationReport(yTrue, yPred, opt.Labels)
	if err != nil {
		return nil, err
	}
	if classes == 0 {
		classes = len(opt.Labels)
	}
	r := &Report{N: n, Top5Accuracy: TopKAccuracy(samples, 5), Classification: cl, Misclassified: []Miss{}}
	if classes > 0 && classes <= 5 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("top-5 accuracy is 1 by definition: k=5 and the model has %d classes", classes))
	}
	for _, z := range cl.ZeroDivision {
		why := "it was never predicted"
		if z.Metric == "recall" {
			why = "it has no true samples"
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s of %s set to 0: %s", z.Metric, z.Label, why))
	}
	r.ranking(samples, yTrue, opt.Labels)
	if b, err := CalibrationCurve(correct, conf, bins); err != nil {
		r.Warnings = append(r.Warnings, "no calibration table: "+err.Error())
	} else {
		r.Calibration = &Calibration{Bins: b}
		for _, x := range b {
			r.Calibration.ECE += float64(x.Count) / float64(n) * math.Abs(x.FractionPositive-x.MeanPredicted)
		}
	}
	for i, s := range samples {
		if correct[i] {
			continue
		}
		r.Misclassified = append(r.Misclassified, Miss{
			File: s.File, True: s.True, TrueLabel: labelName(opt.Labels, s.True),
			Pred: yPred[i], PredLabel: labelName(opt.Labels, yPred[i]),
			Confidence: conf[i], TrueScore: s.Score(s.True),
		})
	}
	slices.SortStableFunc(r.Misclassified, func(a, b Miss) int {
		switch {
		case a.Confidence > b.Confidence:
			return -1
		case a.Confidence < b.Confidence:
			return 1
		}
		return 0
	})
	return r, nil
}

// ranking fills the one-vs-rest ROC and PR curves and their averages.
func (r *Report) ranking(samples []Sample, yTrue []int, names []string) {
	present := uniqueLabels(yTrue, nil)
	nan := Float(math.NaN())
	r.ROCAUCMacro, r.ROCAUCWeighted, r.APMacro, r.APWeighted = nan, nan, nan, nan
	if len(present) < 2 {
		r.ROCUndefined = ErrOneClass.Error()
	}
	y := make([]bool, len(samples))
	score := make([]float64, len(samples))
	var aucM, aucW, apM, apW float64
	for _, c := range present {
		support := 0
		for i, s := range samples {
			y[i] = s.True == c
			score[i] = s.Score(c)
			if y[i] {
				support++
			}
		}
		w := float64(support)
		pr, _ := PRCurve(y, score) // inputs already checked
		ap, _ := AveragePrecision(y, score)
		r.PR = append(r.PR, ClassPR{Index: c, Label: labelName(names, c), AveragePrecision: Float(ap), PR: pr})
		apM += ap
		apW += ap * w
		if r.ROCUndefined != "" {
			continue
		}
		roc, _ := ROCCurve(y, score)
		auc := Trapezoid(roc.FPR, roc.TPR)
		r.ROC = append(r.ROC, ClassROC{Index: c, Label: labelName(names, c), AUC: Float(auc), ROC: roc})
		aucM += auc
		aucW += auc * w
	}
	k, n := float64(len(present)), float64(len(samples))
	r.APMacro, r.APWeighted = Float(apM/k), Float(apW/n)
	if r.ROCUndefined == "" {
		r.ROCAUCMacro, r.ROCAUCWeighted = Float(aucM/k), Float(aucW/n)
	}
}
