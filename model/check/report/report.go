// Package report is the model check's answer (package model/check) as
// plain data: the Report and its parts, JSON-serialisable, the verdicts,
// and the text the command line prints. It imports only the standard
// library, so the browser's UI can read a report without linking the
// engine that makes one.
package report

// Verdicts.
const (
	// OK: every op is supported and the optimised program matches the
	// reference, run after run.
	OK = "ok"
	// Mismatch: the optimised program's outputs differ from the reference
	// beyond the tolerance; the unoptimised program should be used.
	Mismatch = "mismatch"
	// RunToRun: two runs of the optimised program on the same input differ
	// (or a run changed its input); the unoptimised program should be used.
	RunToRun = "run-to-run mismatch"
	// CannotRun: an op is missing, or compiling or running failed.
	CannotRun = "cannot run"
)

// Report is the whole answer, JSON-serialisable.
type Report struct {
	Model     string `json:"model"` // the graph's name
	Producer  string `json:"producer,omitempty"`
	IRVersion int64  `json:"ir_version"`
	Opset     int64  `json:"opset"` // ai.onnx
	// Domains lists the other operator domains the nodes use.
	Domains []Domain `json:"domains,omitempty"`
	Inputs  []Value  `json:"inputs"`
	Outputs []Value  `json:"outputs"`
	// Params counts the elements of the initializers; WeightBytes is their
	// size in the file's element types.
	Params      int64 `json:"params"`
	WeightBytes int64 `json:"weight_bytes"`
	// Nodes counts the file's nodes (subgraphs included); Ops is its op
	// histogram, most frequent first, with where each op runs.
	Nodes       int           `json:"nodes"`
	Ops         []Op          `json:"ops"`
	Unsupported []Unsupported `json:"unsupported,omitempty"`
	Compile     *Compile      `json:"compile,omitempty"`
	WebGPU      *WebGPU       `json:"webgpu,omitempty"`
	SelfCheck   *SelfCheck    `json:"self_check,omitempty"`
	Timing      *Timing       `json:"timing,omitempty"`
	// Verdict is OK, Mismatch, RunToRun or CannotRun; Reason says why in
	// one line (which op, node, output), empty when OK.
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
}

// Domain is an operator domain other than ai.onnx and how many nodes use it.
type Domain struct {
	Domain  string `json:"domain"`
	Version int64  `json:"version,omitempty"` // as imported by the model (0: not imported)
	Nodes   int    `json:"nodes"`
}

// Value is a declared input or output.
type Value struct {
	Name string `json:"name"`
	Type string `json:"type"` // the element type declared in the file
	// Dims as declared: a number, a symbolic name, or "?".
	Dims []string `json:"dims"`
	// Shape is the shape the program was compiled for (absent if it was not).
	Shape []int `json:"shape,omitempty"`
}

// Op is one op type of the file.
type Op struct {
	Op    string `json:"op"`
	Count int    `json:"count"` // nodes in the file
	CPU   bool   `json:"cpu"`   // the CPU backend implements it
	// Folded counts the nodes computed at compile time, Fused those merged
	// into others or removed (BatchNorm into Conv, activations into
	// FusedConv, identities); Runs those left in the optimised program
	// (FusedConv appears only here).
	Folded int `json:"folded"`
	Fused  int `json:"fused"`
	Runs   int `json:"runs"`
	// WebGPU is where those nodes run: "gpu" (WGSL kernels), "cpu" (the
	// CPU kernel between transfers), "gpu+cpu" (some of each), "alias"
	// (reshapes: nothing runs), or "" when none remain.
	WebGPU string `json:"webgpu,omitempty"`
}

// Unsupported is an op the CPU backend lacks, with the nodes that use it.
type Unsupported struct {
	Op    string   `json:"op"`
	Count int      `json:"count"`
	Nodes []string `json:"nodes"`
}

// Compile is what compiling for the CPU did.
type Compile struct {
	Folded     int `json:"folded"`      // nodes computed at compile time
	Fused      int `json:"fused"`       // nodes merged into others or removed
	Runs       int `json:"runs"`        // nodes left to run
	ArenaBytes int `json:"arena_bytes"` // run-time float32 memory
	// The unoptimised program (no fusion, no buffer reuse), the fallback.
	PlainRuns       int `json:"plain_runs"`
	PlainArenaBytes int `json:"plain_arena_bytes"`
}

// WebGPU is where the optimised program's nodes run under WebGPU.
type WebGPU struct {
	GPU        int `json:"gpu"`        // nodes with a WGSL kernel
	CPU        int `json:"cpu"`        // nodes run on the CPU between transfers
	Dispatches int `json:"dispatches"` // GPU dispatches per run
	// OnCPU names the nodes that run on the CPU and why.
	OnCPU []NodeWhy `json:"on_cpu,omitempty"`
	// Error is set when the WebGPU backend would refuse the model; it then
	// runs on the CPU backend only.
	Error string `json:"error,omitempty"`
}

// NodeWhy is one node and a reason.
type NodeWhy struct {
	Node string `json:"node"`
	Op   string `json:"op"`
	Why  string `json:"why"`
}

// SelfCheck compares the optimised program with the reference.
type SelfCheck struct {
	// Input describes the seeded input; Tolerance states the rule.
	Input     string   `json:"input"`
	Seed      uint64   `json:"seed"`
	Tolerance string   `json:"tolerance"`
	Outputs   []Output `json:"outputs"`
}

// Output is the comparison of one output.
type Output struct {
	Name      string  `json:"name"`
	Shape     []int   `json:"shape"`
	MaxAbsRef float64 `json:"max_abs_ref"` // the largest finite |ref|
	Atol      float64 `json:"atol"`        // check.RelTol·max(1, MaxAbsRef); 0 for ints
	// MaxAbsDiff is the largest finite |optimised − reference| (the first
	// run, on a freshly written input); Bad counts
	// elements beyond Atol (a NaN or ±Inf where the other has none counts).
	MaxAbsDiff float64 `json:"max_abs_diff"`
	Bad        int     `json:"bad"`
	// RunToRun is the largest |run 1 − run 2| of the optimised program,
	// RunToRunBad the elements that differ at all (bitwise).
	RunToRun    float64 `json:"run_to_run"`
	RunToRunBad int     `json:"run_to_run_bad"`
	// PlainMaxAbsDiff and PlainBad compare the unoptimised program.
	PlainMaxAbsDiff float64 `json:"plain_max_abs_diff"`
	PlainBad        int     `json:"plain_bad"`
}

// Timing is the median time of one run.
type Timing struct {
	Runs          int     `json:"runs"`           // timed runs per program
	OptimisedMs   float64 `json:"optimised_ms"`   // median
	UnoptimisedMs float64 `json:"unoptimised_ms"` // median
	ReferenceMs   float64 `json:"reference_ms"`   // cpu.Interpret, once (compiling included)
}
