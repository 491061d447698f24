// Package importer is Glimpse's ONNX side: linking it lets model.Load read
// ONNX files (through model/onnx and onnx-go), and Compile turns an ONNX
// model into a bundle (model/bundle) that the runtime loads without any of
// that. The command line links it; the browser's runtime engine does not.
package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/glimpse/glimpse/model/internal/oneline"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/onnx"
)

func init() { model.DecodeONNX = onnx.Decode }

// Compile loads an ONNX model with its labels and card as the engine would
// and writes the program that would run as a bundle with weights stored as
// w. With verify, the model check runs first (Classifier.Verify with those
// options): the bundle holds its report, and the unoptimised program if
// the optimised one disagreed with the reference. It returns the
// classifier too.
//
// It never panics: a panic anywhere below (a decoder, the compiler, the
// check) comes back as a one-line *model.LoadError of KindCompile.
func Compile(f model.Files, w bundle.Weights, verify *check.Options) (b []byte, cl *model.Classifier, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, cl, err = nil, nil, internalError(f.Name, r)
		}
	}()
	if bundle.IsBundle(f.Model) {
		return nil, nil, errors.New(f.Name + ": this is already a compiled bundle")
	}
	f.Verify = false
	cl, err = model.Load(f)
	if err != nil {
		return nil, nil, err
	}
	if verify != nil {
		if _, err := cl.Verify(*verify); err != nil {
			// The check's reason may quote a panic it recovered.
			return nil, nil, &model.LoadError{Kind: model.KindCompile, Name: cl.Name, Err: errors.New(oneline.Clean(err.Error(), 1000))}
		}
	}
	cardJSON, err := json.Marshal(cl.Card)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(f.Model)
	meta := bundle.Meta{
		Name: cl.Name, Card: cardJSON, Labels: string(f.Labels),
		SourceBytes: len(f.Model), SourceSHA256: hex.EncodeToString(sum[:]),
		SourceOps: cl.Ops, SourceParams: cl.Params,
		Folded: cl.Program.Folded, Fused: cl.Program.Fused,
	}
	if cl.Check != nil {
		if meta.Check, err = json.Marshal(cl.Check); err != nil {
			return nil, nil, err
		}
		meta.Fallback = cl.Fallback
	}
	b, err = bundle.Encode(cl.Program.Export(), meta, w)
	if err != nil {
		return nil, nil, errors.New(cl.Name + ": " + err.Error())
	}
	return b, cl, nil
}

// internalError is a recovered panic as a *model.LoadError: one line,
// without the panic value's Go structs or pointers.
func internalError(name string, r any) error {
	if name == "" {
		name = "model"
	}
	return &model.LoadError{Kind: model.KindCompile, Name: name, Err: errors.New("internal error while compiling: " + oneline.Panic(r))}
}
