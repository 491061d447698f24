package model

import (
	"errors"
	"fmt"

	"github.com/glimpse/glimpse/model/cpu"
)

// The kinds of LoadError: stable, machine-readable codes that the browser
// API hands to embedders (README lists them), so that no caller ever parses
// a message.
const (
	KindInvalid     = "invalid-model"     // not a readable ONNX file or bundle (or ONNX where only bundles load)
	KindUnsupported = "unsupported-model" // an op the engine lacks
	KindCard        = "invalid-card"      // the model card is malformed or does not fit the model
	KindLabels      = "invalid-labels"    // the labels file is empty or does not match the classes
	KindCompile     = "model-compile"     // decoded, but could not be prepared to run (shapes, inputs, self-check)
)

// LoadError is why Load refused a model: Kind is one of the codes above,
// Err the cause (errors.As reaches a *cpu.UnsupportedError through it).
type LoadError struct {
	Kind, Name string
	Err        error
}

func (e *LoadError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

func loadErr(kind, name string, err error) error {
	var u *cpu.UnsupportedError
	if errors.As(err, &u) {
		kind = KindUnsupported
	}
	return &LoadError{Kind: kind, Name: name, Err: err}
}

func loadErrf(kind, name, format string, args ...any) error {
	return loadErr(kind, name, fmt.Errorf(format, args...))
}
