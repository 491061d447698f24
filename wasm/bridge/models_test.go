//go:build js && wasm

package bridge

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/importer"
)

// The engine is a runtime: it loads compiled bundles only. The tests write
// their models as ONNX (bridge_test.go), compile them here with
// model/importer, as `glimpse compile` does, and then unset the ONNX
// decoder that importing model/importer linked in, so that the bridge runs
// as it does in the browser. The ONNX bytes stay for the tests that check
// that the runtime refuses them.
var fixtures struct {
	colourONNX, unsupportedONNX []byte
	// colour is the colour classifier with nothing beside its graph but
	// the card derived from it: the tests pass labels and cards.
	colour []byte
	// colourInside holds the labels and a card (BGR, a licence).
	colourInside []byte
	// defaultModel is what the stub host serves at DefaultModel.
	defaultModel []byte
	// fused is fusedONNXModel's bundle: 5 ops in the file, 4 run.
	fused []byte
	// verified is the colour classifier compiled after the model check,
	// whose report it carries.
	verified []byte
	// unsupported is a bundle holding an op the CPU backend lacks (as
	// one written by a newer build might).
	unsupported []byte
}

// The card compiled into fixtures.colourInside.
const insideCard = `{"input": {"channels": "BGR"}, "license": "bundle licence"}`

func TestMain(m *testing.M) {
	if err := buildFixtures(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test bundles:", err)
		os.Exit(1)
	}
	model.DecodeONNX = nil
	os.Exit(m.Run())
}

func buildFixtures() error {
	if model.DecodeONNX == nil {
		return fmt.Errorf("model/importer did not set model.DecodeONNX")
	}
	f := &fixtures
	f.colourONNX, f.unsupportedONNX = colourONNXModel(), unsupportedONNXModel()
	var err error
	compile := func(labels, card string) []byte {
		if err != nil {
			return nil
		}
		var b []byte
		b, _, err = importer.Compile(model.Files{Name: "colours.onnx", Model: f.colourONNX, Labels: []byte(labels), Card: []byte(card)}, bundle.Auto, nil)
		return b
	}
	f.colour = compile("", "")
	f.colourInside = compile(colourLabels, insideCard)
	f.defaultModel = compile(colourLabels, `{"license": "default licence"}`)
	if err != nil {
		return err
	}
	if f.fused, _, err = importer.Compile(model.Files{Name: "fused.onnx", Model: fusedONNXModel()}, bundle.Auto, nil); err != nil {
		return err
	}
	if f.verified, _, err = importer.Compile(model.Files{Name: "colours.onnx", Model: f.colourONNX, Labels: []byte(colourLabels)}, bundle.Auto, &check.Options{Runs: -1}); err != nil {
		return err
	}
	// Compile refuses a model it cannot run; write the graph as it is.
	g, err := model.Decode(f.unsupportedONNX)
	if err != nil {
		return err
	}
	if f.unsupported, err = bundle.Encode(g, bundle.Meta{Name: "nms.onnx"}, bundle.Auto); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"colour": f.colour, "colourInside": f.colourInside, "default": f.defaultModel, "fused": f.fused, "verified": f.verified, "unsupported": f.unsupported} {
		if !bundle.IsBundle(b) {
			return fmt.Errorf("the %s fixture is not a bundle", name)
		}
	}
	return nil
}

// colourModel is the colour classifier as a bundle (no labels inside).
func colourModel() []byte { return slices.Clone(fixtures.colour) }

// colourInside is the colour classifier as a bundle holding its labels and
// insideCard.
func colourInside() []byte { return slices.Clone(fixtures.colourInside) }

// colourONNX is the colour classifier as the ONNX file it was compiled from.
func colourONNX() []byte { return slices.Clone(fixtures.colourONNX) }

// unsupportedModel is a bundle that decodes but has an op the CPU backend
// lacks (NonMaxSuppression, node "nms_7").
func unsupportedModel() []byte { return slices.Clone(fixtures.unsupported) }

// damaged is b with one byte flipped at offset i (negative: from the end).
func damaged(b []byte, i int) []byte {
	b = slices.Clone(b)
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 0x55
	return b
}
