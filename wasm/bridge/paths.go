package bridge

// Only these paths build natively (the rest of the package is js/wasm): the
// server precaches the default model, and a test keeps web/engine.js's copy
// of the path in step.

// Where the build puts the default model (see the Makefile's models target).
const (
	DefaultDir = "web/models/mobilenet_v2_1.0_224/"
	// DefaultModel is the default model compiled into a bundle, with its
	// labels and card inside (make models). web/engine.js fetches it early
	// under the same path; the server precaches it.
	DefaultModel = DefaultDir + "model.glimpse"
)
