package eval

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// ClassMetrics is one row of scikit-learn's classification_report.
type ClassMetrics struct {
	Index     int     `json:"index"`
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"` // samples whose true class this is
}

// Average is a macro or support-weighted average over the classes of a
// report; Support is the number of samples.
type Average struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Confusion is a confusion matrix over the classes present in y_true or
// y_pred, in ascending class order: Matrix[i][j] counts samples of class
// Labels[i] predicted as Labels[j].
type Confusion struct {
	Labels []int    `json:"labels"`
	Names  []string `json:"names"`
	Matrix [][]int  `json:"matrix"`
}

// ZeroDivision records a metric that scikit-learn's zero_division="warn"
// set to 0: "precision" for a class never predicted, "recall" for a class
// with no true samples (predicted only).
type ZeroDivision struct {
	Index  int    `json:"index"`
	Label  string `json:"label"`
	Metric string `json:"metric"`
}

// Classification holds the metrics that need only true and predicted
// classes.
type Classification struct {
	Accuracy     float64        `json:"accuracy"`
	PerClass     []ClassMetrics `json:"per_class"`
	Macro        Average        `json:"macro"`
	Weighted     Average        `json:"weighted"`
	Confusion    Confusion      `json:"confusion"`
	ZeroDivision []ZeroDivision `json:"zero_division,omitempty"`
}

// ClassificationReport computes accuracy, per-class precision, recall, F1
// and support, their macro and weighted averages, and the confusion matrix,
// as scikit-learn's accuracy_score, precision_recall_fscore_support,
// classification_report and confusion_matrix do with labels=None: the
// classes are those present in yTrue or yPred, sorted. A metric whose
// denominator is zero is 0 and listed in ZeroDivision. F1 is computed from
// precision and recall (2PR/(P+R), 0 when both are 0). names[i], when
// present and not empty, names class i; otherwise it is "class i".
func ClassificationReport(yTrue, yPred []int, names []string) (Classification, error) {
	if len(yTrue) != len(yPred) {
		return Classification{}, fmt.Errorf("eval: %d true classes but %d predictions", len(yTrue), len(yPred))
	}
	if len(yTrue) == 0 {
		return Classification{}, errors.New("eval: no samples")
	}
	for i := range yTrue {
		if yTrue[i] < 0 || yPred[i] < 0 {
			return Classification{}, fmt.Errorf("eval: sample %d has a negative class index", i)
		}
	}
	labels := uniqueLabels(yTrue, yPred)
	pos := make(map[int]int, len(labels))
	for i, l := range labels {
		pos[l] = i
	}
	n := len(labels)
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
	}
	correct := 0
	for i := range yTrue {
		m[pos[yTrue[i]]][pos[yPred[i]]]++
		if yTrue[i] == yPred[i] {
			correct++
		}
	}
	r := Classification{
		Accuracy:  float64(correct) / float64(len(yTrue)),
		PerClass:  make([]ClassMetrics, n),
		Confusion: Confusion{Labels: labels, Names: make([]string, n), Matrix: m},
	}
	total := len(yTrue)
	for i, l := range labels {
		tp, predicted, support := m[i][i], 0, 0
		for j := 0; j < n; j++ {
			predicted += m[j][i]
			support += m[i][j]
		}
		name := labelName(names, l)
		r.Confusion.Names[i] = name
		c := ClassMetrics{Index: l, Label: name, Support: support}
		if predicted == 0 {
			r.ZeroDivision = append(r.ZeroDivision, ZeroDivision{l, name, "precision"})
		} else {
			c.Precision = float64(tp) / float64(predicted)
		}
		if support == 0 {
			r.ZeroDivision = append(r.ZeroDivision, ZeroDivision{l, name, "recall"})
		} else {
			c.Recall = float64(tp) / float64(support)
		}
		if d := c.Precision + c.Recall; d != 0 {
			c.F1 = 2 * c.Precision * c.Recall / d
		}
		r.PerClass[i] = c
		r.Macro.Precision += c.Precision
		r.Macro.Recall += c.Recall
		r.Macro.F1 += c.F1
		w := float64(support) / float64(total)
		r.Weighted.Precision += c.Precision * w
		r.Weighted.Recall += c.Recall * w
		r.Weighted.F1 += c.F1 * w
	}
	r.Macro.Precision /= float64(n)
	r.Macro.Recall /= float64(n)
	r.Macro.F1 /= float64(n)
	r.Macro.Support, r.Weighted.Support = total, total
	return r, nil
}

// uniqueLabels is scikit-learn's unique_labels for integer classes: the
// sorted union.
func uniqueLabels(a, b []int) []int {
	u := append(slices.Clone(a), b...)
	slices.Sort(u)
	return slices.Compact(u)
}

// labelName is names[i], or "class i" as labels.TopK names unlabelled
// classes.
func labelName(names []string, i int) string {
	if i >= 0 && i < len(names) && names[i] != "" {
		return names[i]
	}
	return "class " + strconv.Itoa(i)
}
