package model

import (
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/train"
)

// compileFeature cuts g at feature (train.Auto: the backbone's penultimate
// tensor, train.FindFeature) and compiles it; a feature map is averaged
// over its positions (pooled). It returns the graph that runs.
func compileFeature(g *graph.Graph, feature string, opts cpu.Options) (*graph.Graph, *cpu.Program, string, bool, error) {
	var err error
	if feature == train.Auto {
		if feature, err = train.FindFeature(g); err != nil {
			return nil, nil, "", false, err
		}
	}
	if g, err = train.Truncate(g, feature); err != nil {
		return nil, nil, "", false, err
	}
	p, err := cpu.Compile(g, opts)
	if err != nil {
		return nil, nil, "", false, err
	}
	if sh := p.Outputs[0].Shape; len(sh) == 4 && sh[2]*sh[3] > 1 {
		g = train.Pool(g, feature)
		if p, err = cpu.Compile(g, opts); err != nil {
			return nil, nil, "", false, err
		}
		return g, p, feature, true, nil
	}
	return g, p, feature, false, nil
}

// Extractor returns a feature extractor of the classifier's model (see
// Files.Feature: its output is the backbone's penultimate tensor), sharing
// its weights; c itself when it is one already.
func (c *Classifier) Extractor() (*Classifier, error) {
	if c.Feature != "" {
		return c, nil
	}
	shapes := map[string][]int{}
	for i, t := range c.Program.Inputs {
		shapes[c.Program.Names.Inputs[i]] = t.Shape
	}
	g, p, feature, pooled, err := compileFeature(c.Graph, train.Auto, cpu.Options{InputShapes: shapes})
	if err != nil {
		return nil, loadErr(KindCompile, c.Name, err)
	}
	return &Classifier{Name: c.Name, Card: c.Card, Graph: g, Program: p, Bytes: c.Bytes, Ops: c.Ops, Params: c.Params,
		Bundle: c.Bundle, Feature: feature, Pooled: pooled}, nil
}
