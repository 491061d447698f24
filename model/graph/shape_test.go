package graph

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestElems(t *testing.T) {
	const big = 1 << 32
	for _, c := range []struct {
		shape []int
		want  int
		err   string
	}{
		{nil, 1, ""},
		{[]int{}, 1, ""},
		{[]int{2, 3, 4}, 24, ""},
		{[]int{0, 5}, 0, ""},
		{[]int{MaxElems}, MaxElems, ""},
		{[]int{1 << 16, 1 << 15}, MaxElems, ""},
		{[]int{MaxElems + 1}, 0, "more than 2147483648 elements"},
		{[]int{1 << 16, 1<<15 + 1}, 0, "more than"},
		{[]int{big, big, 3}, 0, "more than"},                           // wraps to 0 in int
		{[]int{9, 6148914691236517206}, 0, "more than"},                // wraps to 6
		{[]int{1 << 16, 1 << 16, 1 << 16, 1 << 16, 0}, 0, "more than"}, // 0 elements, but 2⁶⁴ in its other dims
		{[]int{3, -1}, 0, "negative dimension"},
		{[]int{math.MinInt64}, 0, "negative dimension"},
		{make([]int, MaxRank+1), 0, "at most 16"},
	} {
		got, err := Elems(c.shape)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("Elems(%v) = %d, %v; want %d", c.shape, got, err, c.want)
			}
			continue
		}
		var se *ShapeError
		if err == nil || !strings.Contains(err.Error(), c.err) || !errors.As(err, &se) {
			t.Errorf("Elems(%v) = %d, %v; want a ShapeError containing %q", c.shape, got, err, c.err)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("Elems(%v): error %q is not one line", c.shape, err)
		}
	}
	long := make([]int, 1000000)
	if _, err := Elems(long); err == nil || len(err.Error()) > 200 {
		t.Errorf("a rank of a million: %v", err)
	}
}

func TestBytesDimsCheckDim(t *testing.T) {
	if b, err := Bytes(Int64, []int{1 << 14, 1 << 14, 4}); err != nil || b != 8<<30 {
		t.Errorf("Bytes = %d, %v", b, err)
	}
	if b, err := Bytes(Float32, []int{MaxElems}); err != nil || b != 8<<30 {
		t.Errorf("Bytes of MaxElems floats = %d, %v", b, err)
	}
	if _, err := Bytes(Bool, []int{1 << 32, 1 << 32}); err == nil {
		t.Error("Bytes of 2⁶⁴ bools: no error")
	}
	if d, err := Dims([]int64{2, 0, 3}); err != nil || len(d) != 3 || d[2] != 3 {
		t.Errorf("Dims = %v, %v", d, err)
	}
	for _, v := range [][]int64{{-1}, {1 << 40}, {1 << 32, 1 << 32, 3}, make([]int64, 17)} {
		if _, err := Dims(v); err == nil {
			t.Errorf("Dims(%v): no error", v)
		}
	}
	if d, err := CheckDim("pad", -5, -MaxElems); err != nil || d != -5 {
		t.Errorf("CheckDim(-5) = %d, %v", d, err)
	}
	for _, v := range []int64{-1, 1 << 40, math.MaxInt64} {
		if _, err := CheckDim("repeat", v, 0); err == nil {
			t.Errorf("CheckDim(%d): no error", v)
		}
	}
	if _, err := CheckDim("pad", math.MinInt64, -MaxElems); err == nil {
		t.Error("CheckDim(MinInt64): no error")
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e30, -1, 0.5} {
		if _, err := CheckDimFloat("size", f, 1); err == nil {
			t.Errorf("CheckDimFloat(%g): no error", f)
		}
	}
	if d, err := CheckDimFloat("size", 7.9, 1); err != nil || d != 7 {
		t.Errorf("CheckDimFloat(7.9) = %d, %v", d, err)
	}
}
