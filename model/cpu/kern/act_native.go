//go:build !wasm

package kern

// relu is max(v, 0); natively the min/max builtins compile to branch-free
// MINSS/MAXSS sequences, which beats a data-dependent branch.
func relu(v float32) float32 { return max(v, 0) }

// clampf is min(max(v, lo), hi), branch-free (see relu). NaN stays NaN.
func clampf(v, lo, hi float32) float32 { return min(max(v, lo), hi) }
