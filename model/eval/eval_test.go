package eval

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/vision"
)

// Worked by hand: y_true [0 0 1 2], y_pred [0 1 1 1].
//
//	class 0: tp 1, predicted 1, support 2 → P 1,   R 1/2, F1 2/3
//	class 1: tp 1, predicted 3, support 1 → P 1/3, R 1,   F1 1/2
//	class 2: tp 0, predicted 0, support 1 → P 0 (zero division), R 0, F1 0
func TestClassificationByHand(t *testing.T) {
	r, err := ClassificationReport([]int{0, 0, 1, 2}, []int{0, 1, 1, 1}, []string{"zero", "one"})
	if err != nil {
		t.Fatal(err)
	}
	want := []ClassMetrics{
		{0, "zero", 1, 0.5, 2.0 / 3, 2},
		{1, "one", 1.0 / 3, 1, 0.5, 1},
		{2, "class 2", 0, 0, 0, 1},
	}
	for i, w := range want {
		g := r.PerClass[i]
		if g.Index != w.Index || g.Label != w.Label || g.Support != w.Support || !close(g.Precision, w.Precision) || !close(g.Recall, w.Recall) || !close(g.F1, w.F1) {
			t.Errorf("class %d: %+v, want %+v", i, g, w)
		}
	}
	avg := func(name string, g, w Average) {
		if g.Support != w.Support || !close(g.Precision, w.Precision) || !close(g.Recall, w.Recall) || !close(g.F1, w.F1) {
			t.Errorf("%s %+v, want %+v", name, g, w)
		}
	}
	avg("macro", r.Macro, Average{4.0 / 9, 0.5, 7.0 / 18, 4})
	avg("weighted", r.Weighted, Average{7.0 / 12, 0.5, 11.0 / 24, 4})
	if r.Accuracy != 0.5 {
		t.Errorf("accuracy %v", r.Accuracy)
	}
	if jsonStr(r.Confusion) != `{"labels":[0,1,2],"names":["zero","one","class 2"],"matrix":[[1,1,0],[0,1,0],[0,1,0]]}` {
		t.Errorf("confusion %s", jsonStr(r.Confusion))
	}
	if jsonStr(r.ZeroDivision) != `[{"index":2,"label":"class 2","metric":"precision"}]` {
		t.Errorf("zero division %s", jsonStr(r.ZeroDivision))
	}
}

func TestClassificationEdges(t *testing.T) {
	cases := []struct {
		name         string
		yTrue, yPred []int
		acc          float64
		labels       string
		zero         string
	}{
		{"all correct", []int{3, 1, 3}, []int{3, 1, 3}, 1, "[1,3]", "null"},
		{"all wrong", []int{0, 1}, []int{1, 0}, 0, "[0,1]", "null"},
		{"class only predicted", []int{0, 0}, []int{0, 5}, 0.5, "[0,5]", `[{"index":5,"label":"class 5","metric":"recall"}]`},
		{"single class", []int{4}, []int{4}, 1, "[4]", "null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := ClassificationReport(c.yTrue, c.yPred, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Accuracy != c.acc || jsonStr(r.Confusion.Labels) != c.labels || jsonStr(r.ZeroDivision) != c.zero {
				t.Errorf("accuracy %v labels %v zero %s", r.Accuracy, r.Confusion.Labels, jsonStr(r.ZeroDivision))
			}
		})
	}
	for _, bad := range []struct{ t, p []int }{{nil, nil}, {[]int{1}, []int{1, 2}}, {[]int{-1}, []int{0}}} {
		if _, err := ClassificationReport(bad.t, bad.p, nil); err == nil {
			t.Errorf("%v %v: no error", bad.t, bad.p)
		}
	}
}

func TestROCAndPRByHand(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name           string
		y              []bool
		s              []float64
		fpr, tpr, thr  []float64
		auc            float64
		prec, rec, pth []float64
		ap             float64
	}{
		{ // scikit-learn's docstring example
			"docs", []bool{false, false, true, true}, []float64{0.1, 0.4, 0.35, 0.8},
			[]float64{0, 0, 0.5, 0.5, 1}, []float64{0, 0.5, 0.5, 1, 1}, []float64{inf, 0.8, 0.4, 0.35, 0.1}, 0.75,
			[]float64{0.5, 2.0 / 3, 0.5, 1, 1}, []float64{1, 1, 0.5, 0.5, 0}, []float64{0.1, 0.35, 0.4, 0.8}, 1.0/3 + 0.5,
		},
		{ // a tie at 0.5 is one point: (fp 1, tp 1) then (1, 2)
			"tie", []bool{true, false, true}, []float64{0.5, 0.5, 0.2},
			[]float64{0, 1, 1}, []float64{0, 0.5, 1}, []float64{inf, 0.5, 0.2}, 0.25,
			[]float64{2.0 / 3, 0.5, 1}, []float64{1, 0.5, 0}, []float64{0.2, 0.5}, 0.5*2/3 + 0.5*0.5,
		},
		{ // (1,0),(2,0),(3,0) are collinear: the middle one is dropped
			"drop intermediate", []bool{true, true, true, false}, []float64{4, 3, 2, 1},
			[]float64{0, 0, 0, 1}, []float64{0, 1.0 / 3, 1, 1}, []float64{inf, 4, 2, 1}, 1,
			[]float64{0.75, 1, 1, 1, 1}, []float64{1, 1, 2.0 / 3, 1.0 / 3, 0}, []float64{1, 2, 3, 4}, 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			roc, err := ROCCurve(c.y, c.s)
			if err != nil {
				t.Fatal(err)
			}
			checkFloats64(t, "fpr", roc.FPR, c.fpr)
			checkFloats64(t, "tpr", roc.TPR, c.tpr)
			checkFloats64(t, "thresholds", roc.Thresholds, c.thr)
			if auc, err := ROCAUC(c.y, c.s); err != nil || !close(auc, c.auc) {
				t.Errorf("AUC %v %v, want %v", auc, err, c.auc)
			}
			pr, _ := PRCurve(c.y, c.s)
			checkFloats64(t, "precision", pr.Precision, c.prec)
			checkFloats64(t, "recall", pr.Recall, c.rec)
			checkFloats64(t, "pr thresholds", pr.Thresholds, c.pth)
			if ap, err := AveragePrecision(c.y, c.s); err != nil || !close(ap, c.ap) {
				t.Errorf("AP %v %v, want %v", ap, err, c.ap)
			}
		})
	}
}

func TestROCUndefined(t *testing.T) {
	for _, y := range [][]bool{{true, true}, {false, false}} {
		auc, err := ROCAUC(y, []float64{0.1, 0.2})
		if !errors.Is(err, ErrOneClass) || !math.IsNaN(auc) {
			t.Errorf("%v: AUC %v, %v", y, auc, err)
		}
		roc, _ := ROCCurve(y, []float64{0.1, 0.2})
		nanFPR, nanTPR := math.IsNaN(roc.FPR[1]), math.IsNaN(roc.TPR[1])
		if nanFPR != y[0] || nanTPR == y[0] {
			t.Errorf("%v: %+v", y, roc)
		}
	}
	for _, bad := range []struct {
		y []bool
		s []float64
	}{{nil, nil}, {[]bool{true}, []float64{1, 2}}, {[]bool{true}, []float64{math.NaN()}}} {
		if _, err := ROCCurve(bad.y, bad.s); err == nil {
			t.Errorf("%v %v: no error", bad.y, bad.s)
		}
	}
}

// 0.1 sits on an edge and goes to the lower bin, as numpy.searchsorted puts it.
func TestCalibrationByHand(t *testing.T) {
	bins, err := CalibrationCurve([]bool{true, false, true, true}, []float64{0.05, 0.1, 0.15, 0.95}, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Bin{{0, 0.1, 2, 0.075, 0.5}, {0.1, 0.2, 1, 0.15, 1}, {0.9, 1, 1, 0.95, 1}}
	if len(bins) != len(want) {
		t.Fatalf("%+v", bins)
	}
	for i := range want {
		g, w := bins[i], want[i]
		if g.Count != w.Count || !close(g.Lo, w.Lo) || !close(g.Hi, w.Hi) || !close(g.MeanPredicted, w.MeanPredicted) || g.FractionPositive != w.FractionPositive {
			t.Errorf("bin %d: %+v, want %+v", i, g, w)
		}
	}
	if _, err := CalibrationCurve([]bool{true}, []float64{1.5}, 10); err == nil {
		t.Error("probability 1.5 accepted")
	}
}

func TestTopK(t *testing.T) {
	scores := []float32{0.1, 0.2, 0.3, 0.4}
	top := vision.TopK(scores, 2, nil) // indices 3, 2
	cases := []struct {
		name string
		s    Sample
		k    int
		want float64
	}{
		{"rank 3 in top-3", Sample{True: 1, Scores: scores}, 3, 1},
		{"rank 3 not in top-2", Sample{True: 1, Scores: scores}, 2, 0},
		{"k above classes", Sample{True: 0, Scores: scores}, 10, 1},
		{"tie: higher index ranks first", Sample{True: 0, Scores: []float32{0.5, 0.5}}, 1, 0},
		{"tie: higher index wins", Sample{True: 1, Scores: []float32{0.5, 0.5}}, 1, 1},
		{"top-only hit", Sample{True: 2, Top: top}, 5, 1},
		{"top-only miss", Sample{True: 0, Top: top}, 5, 0},
	}
	for _, c := range cases {
		if got := TopKAccuracy([]Sample{c.s}, c.k); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func sample(file string, truth int, scores ...float32) Sample {
	return Sample{File: file, True: truth, Scores: scores}
}

func TestEvaluateJSON(t *testing.T) {
	labels := []string{"tabby, tabby cat", "tiger cat", "Egyptian cat"}
	r, err := Evaluate([]Sample{
		sample("a.jpg", 0, 0.7, 0.2, 0.1),
		sample("b.jpg", 0, 0.3, 0.6, 0.1),   // wrong, confidence 0.6
		sample("c.jpg", 1, 0.1, 0.8, 0.1),   //
		sample("d.jpg", 1, 0.05, 0.1, 0.85), // wrong, confidence 0.85
		{File: "e.jpg", True: 2, Top: vision.TopK([]float32{0.2, 0.1, 0.7}, 2, labels)},
	}, Options{Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"n", "accuracy", "top5_accuracy", "per_class", "macro", "weighted", "confusion", "roc", "roc_auc_macro", "pr", "calibration", "misclassified"} {
		if _, ok := m[f]; !ok {
			t.Errorf("JSON lacks %q: %s", f, data)
		}
	}
	if r.Accuracy != 0.6 || r.Top5Accuracy != 1 || r.N != 5 {
		t.Errorf("accuracy %v top-5 %v n %d", r.Accuracy, r.Top5Accuracy, r.N)
	}
	if len(r.Misclassified) != 2 || r.Misclassified[0].File != "d.jpg" || r.Misclassified[1].File != "b.jpg" ||
		r.Misclassified[0].PredLabel != "Egyptian cat" || !close(r.Misclassified[0].TrueScore, float64(float32(0.1))) {
		t.Errorf("misclassified %+v", r.Misclassified)
	}
	if !strings.Contains(string(data), `"thresholds":[null,`) {
		t.Errorf("+Inf threshold not written as null: %s", data)
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "k=5") {
		t.Errorf("warnings %q", r.Warnings)
	}
	pc := m["per_class"].([]any)[0].(map[string]any)
	for _, f := range []string{"index", "label", "precision", "recall", "f1", "support"} {
		if _, ok := pc[f]; !ok {
			t.Errorf("per_class lacks %q", f)
		}
	}
}

func TestEvaluateEdges(t *testing.T) {
	one, err := Evaluate([]Sample{sample("a", 1, 0.2, 0.8), sample("b", 1, 0.6, 0.4)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if one.ROCUndefined == "" || one.ROC != nil || !math.IsNaN(float64(one.ROCAUCMacro)) {
		t.Errorf("one class: %+v", one)
	}
	if data, err := json.Marshal(one); err != nil || !strings.Contains(string(data), `"roc_auc_macro":null`) {
		t.Errorf("one class JSON %s %v", data, err)
	}
	right, _ := Evaluate([]Sample{sample("a", 0, 0.9, 0.1), sample("b", 1, 0.3, 0.7)}, Options{})
	if right.Accuracy != 1 || len(right.Misclassified) != 0 || float64(right.ROCAUCMacro) != 1 {
		t.Errorf("all correct: %+v", right)
	}
	if data, _ := json.Marshal(right); !strings.Contains(string(data), `"misclassified":[]`) {
		t.Errorf("misclassified not an empty array: %s", data)
	}
	logits, _ := Evaluate([]Sample{sample("a", 0, 3, 1), sample("b", 1, 0, 2)}, Options{})
	if logits.Calibration != nil || len(logits.Warnings) == 0 {
		t.Errorf("calibration of logits: %+v", logits)
	}
	for _, bad := range [][]Sample{nil, {{File: "x", True: 0}}, {sample("n", 0, float32(math.NaN()), 1)}} {
		if _, err := Evaluate(bad, Options{}); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// NaN and ±Inf scores are refused (Inf would otherwise reach a JSON
// report, which cannot hold it), in Scores and in Top alike; Finite tells
// callers which samples to leave out.
func TestEvaluateNonFinite(t *testing.T) {
	good := sample("a", 0, 0.9, 0.1)
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	cases := []struct {
		name string
		s    Sample
		want string
	}{
		{"NaN", sample("n.jpg", 1, 0.5, nan), "n.jpg: score of class 1 is NaN"},
		{"+Inf", sample("i.jpg", 1, inf, 0.5), "i.jpg: score of class 0 is +Inf"},
		{"-Inf", sample("m.jpg", 0, 0.5, -inf), "m.jpg: score of class 1 is -Inf"},
		{"Top only", Sample{File: "t.jpg", True: 0, Top: []vision.Result{{Index: 1, Prob: inf}}}, "t.jpg: score of class 1 is +Inf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.s.Finite() {
				t.Error("Finite() is true")
			}
			_, err := Evaluate([]Sample{good, c.s}, Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	if !good.Finite() || !(Sample{Top: []vision.Result{{Prob: 1}}}).Finite() {
		t.Error("a finite sample is not Finite()")
	}
}

func TestFloatsJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		A Floats
		B Float
		C Floats
	}{Floats{math.Inf(1), 0.5, math.NaN(), 1e-7}, Float(math.NaN()), nil})
	if err != nil || string(b) != `{"A":[null,0.5,null,1e-07],"B":null,"C":null}` {
		t.Errorf("%s %v", b, err)
	}
}

func TestMatchLabel(t *testing.T) {
	labels := []string{"tabby, tabby cat", "crane", "crane", "maillot", "maillot, tank suit", "tiger cat", "tank suit, swimsuit"}
	cases := []struct {
		name string
		want []int
	}{
		{"Tabby", []int{0}},
		{" tabby cat ", []int{0}},
		{"TABBY, tabby cat", []int{0}},
		{"crane", []int{1, 2}},  // ambiguous
		{"maillot", []int{3}},   // the full label wins over a first synonym
		{"tank suit", []int{6}}, // a first synonym wins over a later one
		{"swimsuit", []int{6}},  // any synonym
		{"tiger", nil},          // no partial matches
		{"", nil},
	}
	for _, c := range cases {
		if got := MatchLabel(c.name, labels); jsonStr(got) != jsonStr(c.want) {
			t.Errorf("%q: %v, want %v", c.name, got, c.want)
		}
	}
}
