package vision

import (
	"math"
	"reflect"
	"testing"
)

func softmax64(x []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func TestSoftmax(t *testing.T) {
	big := make([]float32, 1000)
	for i := range big {
		big[i] = float32(math.Sin(float64(i))*20 + 3)
	}
	tests := map[string][]float32{
		"simple":    {1, 2, 3, 4},
		"equal":     {5, 5, 5},
		"large":     {1000, 1001, 1002}, // would overflow without the max shift
		"negative":  {-1000, -1001, -999},
		"single":    {42},
		"with -Inf": {float32(math.Inf(-1)), 0, 1},
		"1000":      big,
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			want := softmax64(src)
			dst := make([]float32, len(src))
			Softmax(dst, src)
			var sum float64
			for i, v := range dst {
				sum += float64(v)
				if math.Abs(float64(v)-want[i]) > 1e-6 {
					t.Errorf("dst[%d] = %v, want %v", i, v, want[i])
				}
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Errorf("sum = %v, want 1", sum)
			}
			// In place.
			alias := append([]float32(nil), src...)
			Softmax(alias, alias)
			if !reflect.DeepEqual(alias, dst) {
				t.Errorf("in-place result differs: %v vs %v", alias, dst)
			}
		})
	}
}

func TestSoftmaxEdge(t *testing.T) {
	Softmax(nil, nil) // no-op
	inf := float32(math.Inf(1))
	ninf := float32(math.Inf(-1))
	dst := make([]float32, 3)
	Softmax(dst, []float32{inf, 1, inf})
	if !reflect.DeepEqual(dst, []float32{0.5, 0, 0.5}) {
		t.Errorf("+Inf: %v", dst)
	}
	Softmax(dst, []float32{ninf, ninf, ninf})
	for _, v := range dst {
		if math.Abs(float64(v)-1.0/3) > 1e-7 {
			t.Errorf("all -Inf: %v", dst)
		}
	}
	Softmax(dst, []float32{1, float32(math.NaN()), 2})
	for _, v := range dst {
		if v == v {
			t.Errorf("NaN input: %v, want all NaN", dst)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("short dst did not panic")
		}
	}()
	Softmax(make([]float32, 1), []float32{1, 2})
}

func TestSigmoid(t *testing.T) {
	src := []float32{0, 1, -1, 10, -10, 100, -100, 1e30, -1e30}
	dst := make([]float32, len(src))
	Sigmoid(dst, src)
	for i, x := range src {
		want := 1 / (1 + math.Exp(-float64(x)))
		if math.Abs(float64(dst[i])-want) > 1e-7 || dst[i] != dst[i] {
			t.Errorf("Sigmoid(%v) = %v, want %v", x, dst[i], want)
		}
	}
	Sigmoid(src, src)
	if !reflect.DeepEqual(src, dst) {
		t.Errorf("in-place differs")
	}
}

func TestParseLabelsReal(t *testing.T) {
	for _, model := range []string{"mobilenet_v2_1.0_224", "mobilenet_v1_0.25_128"} {
		data := readFile(t, shared(t, "models/"+model+"/labels.txt"))
		labels, err := ParseLabels(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(labels) != 1000 {
			t.Errorf("%s: %d labels, want 1000", model, len(labels))
		}
		if labels[0] != "tench, Tinca tinca" {
			t.Errorf("%s: label 0 = %q", model, labels[0])
		}
		if labels[999] != "toilet tissue, toilet paper, bathroom tissue" {
			t.Errorf("%s: label 999 = %q", model, labels[999])
		}
		// Spot-check against expected.tsv's labels.
		for idx, want := range map[int]string{19: "chickadee", 282: "tiger cat", 934: "hotdog, hot dog, red hot", 88: "macaw"} {
			if labels[idx] != want {
				t.Errorf("%s: label %d = %q, want %q", model, idx, labels[idx], want)
			}
		}
		if got := DisplayName(labels[281]); got != "tabby" {
			t.Errorf("DisplayName(%q) = %q", labels[281], got)
		}
	}
}
