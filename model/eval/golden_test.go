package eval

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// golden mirrors testdata/golden.json, written by testdata/gen_golden.py
// with scikit-learn. A null number is NaN or ±Inf.
type golden struct {
	Version        string `json:"sklearn_version"`
	Classification []struct {
		Name  string               `json:"name"`
		YTrue []int                `json:"y_true"`
		YPred []int                `json:"y_pred"`
		Want  goldenClassification `json:"want"`
	} `json:"classification"`
	Binary []struct {
		Name  string    `json:"name"`
		YTrue []bool    `json:"y_true"`
		Score []float64 `json:"score"`
		Want  struct {
			FPR, TPR, Thresholds []*float64
			AUC                  *float64   `json:"auc"`
			AUCError             string     `json:"auc_error"`
			PRPrecision          []*float64 `json:"pr_precision"`
			PRRecall             []*float64 `json:"pr_recall"`
			PRThresholds         []*float64 `json:"pr_thresholds"`
			AP                   *float64   `json:"average_precision"`
		} `json:"want"`
	} `json:"binary"`
	TopK []struct {
		Name   string      `json:"name"`
		YTrue  []int       `json:"y_true"`
		Scores [][]float32 `json:"scores"`
		K      int         `json:"k"`
		Want   float64     `json:"want"`
	} `json:"topk"`
	Calibration []struct {
		Name  string         `json:"name"`
		YTrue []bool         `json:"y_true"`
		Prob  []float64      `json:"prob"`
		Bins  int            `json:"n_bins"`
		Want  goldenCalCurve `json:"want"`
	} `json:"calibration"`
	Evaluate []struct {
		Name           string               `json:"name"`
		YTrue          []int                `json:"y_true"`
		Scores         [][]float32          `json:"scores"`
		Classification goldenClassification `json:"classification"`
		Top5           float64              `json:"top5"`
		Present        []int                `json:"present"`
		AP             []float64            `json:"average_precision"`
		APMacro        float64              `json:"ap_macro"`
		APWeighted     float64              `json:"ap_weighted"`
		AUC            []float64            `json:"auc"`
		AUCMacro       *float64             `json:"auc_macro"`
		AUCWeighted    *float64             `json:"auc_weighted"`
		Calibration    goldenCalCurve       `json:"calibration"`
		Misclassified  []int                `json:"misclassified"`
	} `json:"evaluate"`
}

type goldenClassification struct {
	Accuracy              float64
	Labels                []int
	Precision, Recall, F1 []float64
	Support               []int
	Confusion             [][]int
	Macro, Weighted       struct{ Precision, Recall, F1 float64 }
}

type goldenCalCurve struct {
	FractionPositive []float64 `json:"fraction_positive"`
	MeanPredicted    []float64 `json:"mean_predicted"`
}

const tol = 1e-12

func close(a, b float64) bool {
	return a == b || math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func closeP(got float64, want *float64) bool {
	if want == nil {
		return math.IsNaN(got) || math.IsInf(got, 0)
	}
	return close(got, *want)
}

func checkFloats(t *testing.T, what string, got []float64, want []*float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values %v, want %d", what, len(got), got, len(want))
		return
	}
	for i := range got {
		if !closeP(got[i], want[i]) {
			w := "null"
			if want[i] != nil {
				w = jsonStr(*want[i])
			}
			t.Errorf("%s[%d] = %v, want %s", what, i, got[i], w)
		}
	}
}

func checkFloats64(t *testing.T, what string, got, want []float64) {
	t.Helper()
	p := make([]*float64, len(want))
	for i := range want {
		p[i] = &want[i]
	}
	checkFloats(t, what, got, p)
}

func jsonStr(v any) string { b, _ := json.Marshal(v); return string(b) }

func loadGolden(t *testing.T) golden {
	t.Helper()
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if g.Version == "" || len(g.Classification) == 0 || len(g.Binary) == 0 || len(g.Evaluate) == 0 {
		t.Fatal("golden.json looks empty")
	}
	return g
}

func checkClassification(t *testing.T, got Classification, want goldenClassification) {
	t.Helper()
	if !close(got.Accuracy, want.Accuracy) {
		t.Errorf("accuracy %v, want %v", got.Accuracy, want.Accuracy)
	}
	if jsonStr(got.Confusion.Labels) != jsonStr(want.Labels) || jsonStr(got.Confusion.Matrix) != jsonStr(want.Confusion) {
		t.Errorf("confusion %v %v, want %v %v", got.Confusion.Labels, got.Confusion.Matrix, want.Labels, want.Confusion)
	}
	if len(got.PerClass) != len(want.Labels) {
		t.Fatalf("%d classes, want %d", len(got.PerClass), len(want.Labels))
	}
	for i, c := range got.PerClass {
		if c.Index != want.Labels[i] || c.Support != want.Support[i] ||
			!close(c.Precision, want.Precision[i]) || !close(c.Recall, want.Recall[i]) || !close(c.F1, want.F1[i]) {
			t.Errorf("class %d: %+v, want P %v R %v F1 %v support %v", want.Labels[i], c, want.Precision[i], want.Recall[i], want.F1[i], want.Support[i])
		}
	}
	for _, a := range []struct {
		name string
		got  Average
		want struct{ Precision, Recall, F1 float64 }
	}{{"macro", got.Macro, want.Macro}, {"weighted", got.Weighted, want.Weighted}} {
		if !close(a.got.Precision, a.want.Precision) || !close(a.got.Recall, a.want.Recall) || !close(a.got.F1, a.want.F1) {
			t.Errorf("%s %+v, want %+v", a.name, a.got, a.want)
		}
	}
}

func TestGoldenClassification(t *testing.T) {
	for _, c := range loadGolden(t).Classification {
		t.Run(c.Name, func(t *testing.T) {
			got, err := ClassificationReport(c.YTrue, c.YPred, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkClassification(t, got, c.Want)
		})
	}
}

func TestGoldenBinary(t *testing.T) {
	for _, c := range loadGolden(t).Binary {
		t.Run(c.Name, func(t *testing.T) {
			roc, err := ROCCurve(c.YTrue, c.Score)
			if err != nil {
				t.Fatal(err)
			}
			checkFloats(t, "fpr", roc.FPR, c.Want.FPR)
			checkFloats(t, "tpr", roc.TPR, c.Want.TPR)
			checkFloats(t, "thresholds", roc.Thresholds, c.Want.Thresholds)
			if !math.IsInf(roc.Thresholds[0], 1) {
				t.Errorf("first threshold %v, want +Inf", roc.Thresholds[0])
			}
			auc, err := ROCAUC(c.YTrue, c.Score)
			if c.Want.AUCError != "" {
				if err != ErrOneClass || !math.IsNaN(auc) {
					t.Errorf("AUC %v, %v; want ErrOneClass (sklearn: %s)", auc, err, c.Want.AUCError)
				}
			} else if err != nil || !closeP(auc, c.Want.AUC) {
				t.Errorf("AUC %v, %v; want %v", auc, err, *c.Want.AUC)
			}
			pr, err := PRCurve(c.YTrue, c.Score)
			if err != nil {
				t.Fatal(err)
			}
			checkFloats(t, "precision", pr.Precision, c.Want.PRPrecision)
			checkFloats(t, "recall", pr.Recall, c.Want.PRRecall)
			checkFloats(t, "pr thresholds", pr.Thresholds, c.Want.PRThresholds)
			ap, err := AveragePrecision(c.YTrue, c.Score)
			if err != nil || !closeP(ap, c.Want.AP) {
				t.Errorf("AP %v, %v; want %v", ap, err, *c.Want.AP)
			}
		})
	}
}

func TestGoldenTopK(t *testing.T) {
	for _, c := range loadGolden(t).TopK {
		t.Run(c.Name, func(t *testing.T) {
			s := make([]Sample, len(c.YTrue))
			for i := range s {
				s[i] = Sample{True: c.YTrue[i], Scores: c.Scores[i]}
			}
			if got := TopKAccuracy(s, c.K); !close(got, c.Want) {
				t.Errorf("top-%d accuracy %v, want %v", c.K, got, c.Want)
			}
		})
	}
}

func TestGoldenCalibration(t *testing.T) {
	for _, c := range loadGolden(t).Calibration {
		t.Run(c.Name, func(t *testing.T) {
			bins, err := CalibrationCurve(c.YTrue, c.Prob, c.Bins)
			if err != nil {
				t.Fatal(err)
			}
			checkCal(t, bins, c.Want)
		})
	}
}

func checkCal(t *testing.T, bins []Bin, want goldenCalCurve) {
	t.Helper()
	var frac, mean []float64
	for _, b := range bins {
		frac = append(frac, b.FractionPositive)
		mean = append(mean, b.MeanPredicted)
	}
	checkFloats64(t, "fraction positive", frac, want.FractionPositive)
	checkFloats64(t, "mean predicted", mean, want.MeanPredicted)
}

func TestGoldenEvaluate(t *testing.T) {
	for _, c := range loadGolden(t).Evaluate {
		t.Run(c.Name, func(t *testing.T) {
			s := make([]Sample, len(c.YTrue))
			for i := range s {
				s[i] = Sample{File: jsonStr(i), True: c.YTrue[i], Scores: c.Scores[i]}
			}
			r, err := Evaluate(s, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkClassification(t, r.Classification, c.Classification)
			if !close(r.Top5Accuracy, c.Top5) {
				t.Errorf("top-5 %v, want %v", r.Top5Accuracy, c.Top5)
			}
			var ap, auc []float64
			for i, p := range r.PR {
				if p.Index != c.Present[i] {
					t.Errorf("PR %d is class %d, want %d", i, p.Index, c.Present[i])
				}
				ap = append(ap, float64(p.AveragePrecision))
			}
			checkFloats64(t, "average precision", ap, c.AP)
			if !close(float64(r.APMacro), c.APMacro) || !close(float64(r.APWeighted), c.APWeighted) {
				t.Errorf("AP macro %v weighted %v, want %v %v", r.APMacro, r.APWeighted, c.APMacro, c.APWeighted)
			}
			for _, x := range r.ROC {
				auc = append(auc, float64(x.AUC))
			}
			checkFloats64(t, "AUC", auc, c.AUC)
			if !closeP(float64(r.ROCAUCMacro), c.AUCMacro) || !closeP(float64(r.ROCAUCWeighted), c.AUCWeighted) {
				t.Errorf("AUC macro %v weighted %v, want %v %v", r.ROCAUCMacro, r.ROCAUCWeighted, c.AUCMacro, c.AUCWeighted)
			}
			if (c.AUCMacro == nil) != (r.ROCUndefined != "") {
				t.Errorf("ROCUndefined %q", r.ROCUndefined)
			}
			if r.Calibration == nil {
				t.Fatal("no calibration")
			}
			checkCal(t, r.Calibration.Bins, c.Calibration)
			var miss []string
			for _, m := range r.Misclassified {
				miss = append(miss, m.File)
			}
			want := make([]string, len(c.Misclassified))
			for i, j := range c.Misclassified {
				want[i] = jsonStr(j)
			}
			if jsonStr(miss) != jsonStr(want) {
				t.Errorf("misclassified %v, want %v", miss, want)
			}
		})
	}
}
