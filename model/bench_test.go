package model

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/vision"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

// BenchmarkMobileNetV2 times one inference of the default model on a real
// photo's input (preprocessing excluded), and reports the median per run.
func BenchmarkMobileNetV2(b *testing.B) {
	benchModel(b, "mobilenet_v2_1.0_224", card.DefaultJSON(), false)
}

// BenchmarkMobileNetV2Classify adds decoding-free preprocessing and top-5.
func BenchmarkMobileNetV2Classify(b *testing.B) {
	benchModel(b, "mobilenet_v2_1.0_224", card.DefaultJSON(), true)
}

func BenchmarkMobileNetV1Small(b *testing.B) {
	c, err := os.ReadFile("../testdata/cards/mobilenet_v1_0.25_128.json")
	if err != nil {
		b.Fatal(err)
	}
	benchModel(b, "mobilenet_v1_0.25_128", c, false)
}

func benchModel(b *testing.B, name string, cardJSON []byte, classify bool) {
	c := loadShared(b, name, cardJSON)
	data, err := os.ReadFile(filepath.Join(shared, "photos", "dog.jpg"))
	if err != nil {
		b.Skip("shared photos not available")
	}
	img, _, err := imagefile.Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	if err := vision.Preprocess(img, c.Card.Spec(), c.Input()); err != nil {
		b.Fatal(err)
	}
	if err := c.Program.Execute(); err != nil { // warm-up
		b.Fatal(err)
	}
	times := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if classify {
			if _, _, err := c.Classify(img, 5); err != nil {
				b.Fatal(err)
			}
		} else if err := c.Program.Execute(); err != nil {
			b.Fatal(err)
		}
		times = append(times, float64(time.Since(t0).Microseconds())/1000)
	}
	sort.Float64s(times)
	b.ReportMetric(times[len(times)/2], "median-ms")
}

// A compiled program runs without allocating.
func TestRunDoesNotAllocate(t *testing.T) {
	c := loadShared(t, "mobilenet_v2_1.0_224", card.DefaultJSON())
	allocs := testing.AllocsPerRun(3, func() {
		if err := c.Program.Execute(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Execute allocated %.0f times per run", allocs)
	}
}
