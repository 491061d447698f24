// Package graphtest builds IR nodes for tests.
package graphtest

// Attrs makes a node's attribute map from alternating names and values,
// as the ONNX decoder would type them: ints become int64s, int slices
// []int64, float64s float32s.
func Attrs(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		switch x := v.(type) {
		case int:
			v = int64(x)
		case []int:
			s := make([]int64, len(x))
			for j := range x {
				s[j] = int64(x[j])
			}
			v = s
		case float64:
			v = float32(x)
		}
		m[kv[i].(string)] = v
	}
	return m
}
