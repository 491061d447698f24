package synth

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

func TestClasses(t *testing.T) {
	want := []string{"circle", "square", "triangle", "stripes", "checker", "ring", "cross", "dots"}
	got := Classes()
	if !slices.Equal(got, want) {
		t.Fatalf("Classes() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if Classes()[0] != "circle" {
		t.Error("Classes returns its own slice: a caller's change shows in the next call")
	}
}

func sameImages(a, b []Example) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Image.Pix, b[i].Image.Pix) || !slices.Equal(a[i].Classes, b[i].Classes) {
			return false
		}
	}
	return true
}

func TestDeterministic(t *testing.T) {
	for _, gen := range []struct {
		name string
		f    func(seed uint64) []Example
	}{
		{"Single", func(seed uint64) []Example { return Single(seed, 8, 3, 48) }},
		{"Multi", func(seed uint64) []Example { return Multi(seed, 8, 24, 48) }},
	} {
		a, b := gen.f(7), gen.f(7)
		if !sameImages(a, b) {
			t.Errorf("%s: two calls with seed 7 differ", gen.name)
		}
		c := gen.f(8)
		for i := range a {
			if bytes.Equal(a[i].Image.Pix, c[i].Image.Pix) {
				t.Errorf("%s: example %d is the same for seeds 7 and 8", gen.name, i)
			}
		}
	}
}

func TestSizes(t *testing.T) {
	for _, size := range []int{1, 2, 7, 32, 129} {
		for _, ex := range append(Single(1, 3, 2, size), Multi(1, 4, 4, size)...) {
			b := ex.Image.Bounds()
			if b.Min.X != 0 || b.Min.Y != 0 || b.Dx() != size || b.Dy() != size {
				t.Fatalf("size %d: image bounds %v", size, b)
			}
			if len(ex.Image.Pix) != 4*size*size || ex.Image.Stride != 4*size {
				t.Fatalf("size %d: %d bytes, stride %d", size, len(ex.Image.Pix), ex.Image.Stride)
			}
			for i := 3; i < len(ex.Image.Pix); i += 4 {
				if ex.Image.Pix[i] != 255 {
					t.Fatalf("size %d: alpha %d at byte %d, want opaque", size, ex.Image.Pix[i], i)
				}
			}
		}
	}
}

func TestSingleClasses(t *testing.T) {
	for _, k := range []int{1, 2, 5, 8} {
		ex := Single(3, k, 4, 32)
		if len(ex) != 4*k {
			t.Fatalf("k=%d: %d examples, want %d", k, len(ex), 4*k)
		}
		count := make([]int, k)
		for i, e := range ex {
			if len(e.Classes) != 1 || e.Classes[0] != i%k {
				t.Fatalf("k=%d: example %d has classes %v, want [%d] (interleaved)", k, i, e.Classes, i%k)
			}
			count[e.Classes[0]]++
		}
		for c, n := range count {
			if n != 4 {
				t.Errorf("k=%d: class %d has %d examples, want 4", k, c, n)
			}
		}
	}
	if ex := Single(3, 8, 0, 32); len(ex) != 0 {
		t.Errorf("perClass 0: %d examples", len(ex))
	}
}

func TestMultiClasses(t *testing.T) {
	const k, n = 6, 300
	ex := Multi(5, k, n, 32)
	if len(ex) != n {
		t.Fatalf("%d examples, want %d", len(ex), n)
	}
	count := make([]int, k)
	total, several := 0, 0
	for i, e := range ex {
		if len(e.Classes) == 0 {
			t.Fatalf("example %d has no class", i)
		}
		for j, c := range e.Classes {
			if c < 0 || c >= k {
				t.Fatalf("example %d: class %d out of range", i, c)
			}
			if j > 0 && c <= e.Classes[j-1] {
				t.Fatalf("example %d: classes %v not strictly ascending", i, e.Classes)
			}
			count[c]++
		}
		total += len(e.Classes)
		if len(e.Classes) > 1 {
			several++
		}
	}
	// Each class is drawn with probability 0.4 given at least one:
	// 0.4/(1-0.6^6) ≈ 0.42, about 126 of 300.
	for c, m := range count {
		if m < 90 || m > 165 {
			t.Errorf("class %d in %d of %d examples, want about 126", c, m, n)
		}
	}
	if several < n/2 {
		t.Errorf("only %d of %d examples have more than one class", several, n)
	}
	if ex := Multi(5, k, 0, 32); len(ex) != 0 {
		t.Errorf("n 0: %d examples", len(ex))
	}
}

// meanAbsDiff is the mean absolute difference of two images' colour bytes.
func meanAbsDiff(a, b []uint8) float64 {
	s := 0
	for i := range a {
		if i%4 == 3 {
			continue
		}
		d := int(a[i]) - int(b[i])
		s += max(d, -d)
	}
	return float64(s) / float64(len(a)*3/4)
}

func TestVaries(t *testing.T) {
	const k, per = 8, 6
	ex := Single(11, k, per, 64)
	for c := 0; c < k; c++ {
		for i := 0; i < per; i++ {
			for j := i + 1; j < per; j++ {
				a, b := ex[i*k+c].Image.Pix, ex[j*k+c].Image.Pix
				if d := meanAbsDiff(a, b); d < 10 {
					t.Errorf("class %s: examples %d and %d differ by only %.1f per byte", Classes()[c], i*k+c, j*k+c, d)
				}
			}
		}
	}
	// Within one image there is more than a flat colour.
	for i, e := range ex {
		lo, hi := 255, 0
		for p, v := range e.Image.Pix {
			if p%4 != 3 {
				lo, hi = min(lo, int(v)), max(hi, int(v))
			}
		}
		if hi-lo < 40 {
			t.Errorf("example %d: bytes range only %d..%d", i, lo, hi)
		}
	}
}

func TestPanics(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Single k=0", func() { Single(1, 0, 1, 8) }},
		{"Single k=9", func() { Single(1, len(Classes())+1, 1, 8) }},
		{"Single size=0", func() { Single(1, 2, 1, 0) }},
		{"Multi k=0", func() { Multi(1, 0, 1, 8) }},
		{"Multi size=-1", func() { Multi(1, 2, 1, -1) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.f()
		}()
	}
}

func BenchmarkSingle(b *testing.B) {
	for _, size := range []int{128, 224} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			for b.Loop() {
				Single(1, 8, 25, size) // 200 images
			}
		})
	}
}

func BenchmarkMulti(b *testing.B) {
	for b.Loop() {
		Multi(1, 8, 200, 128)
	}
}
