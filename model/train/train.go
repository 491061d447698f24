// Package train teaches a backbone new classes (transfer learning): it
// finds the backbone's feature tensor (FindFeature), and fits a head on
// features extracted from a user's photos: softmax for single-label sets,
// sigmoid with per-class thresholds for multi-label ones, linear or with
// one hidden layer, by L-BFGS or Adam, with weight decay, balanced class
// weights, a stratified validation split and early stopping on the
// validation loss; or, for 1–5 photos per class, a nearest-class-mean head.
// Augment makes the random variants of training photos whose features
// enlarge the training set. Everything is seeded and reproducible. It does
// no I/O and knows nothing of models' files: the command line and the
// browser extract the features and export the head.
package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Modes of a head.
const (
	Auto   = "auto"   // NCM when a class has fewer than FewShot photos, else Linear
	Linear = "linear" // one layer (multinomial or one-vs-rest logistic regression)
	MLP    = "mlp"    // one hidden Relu layer
	NCM    = "ncm"    // nearest class mean (Euclidean, on standardised features)
)

// FewShot is the number of photos per class under which Auto picks NCM.
const FewShot = 6

// Example is one photo: its features as it is (Features[0]) and of its
// augmented variants (the rest), and its classes (one, unless multi-label).
type Example struct {
	Features [][]float32
	Classes  []int
}

// Config says what to fit. The zero value of every field but Classes is a
// sensible default.
type Config struct {
	Classes int  // number of classes
	Multi   bool // multi-label: sigmoid per class, thresholds tuned on validation
	Mode    string
	Hidden  int     // hidden units of an MLP head (0: 256)
	Adam    bool    // use Adam even for a linear head (MLP heads always do)
	Val     float64 // fraction of each class's photos held out for validation (0: 0.2; negative: none)
	// WeightDecay is the L2 penalty on the weights (0: chosen on the
	// validation split from 1e-4, 1e-3, 1e-2, 1e-1 for a linear head,
	// 1e-4 for an MLP; 1/n without a validation split).
	WeightDecay    float64
	NoClassWeights bool // do not weigh classes by the inverse of their frequency
	// NoRefit keeps the head fitted on the training photos alone; by
	// default, once the validation photos have chosen the weight decay and
	// the number of iterations, the head is fitted again on every photo.
	NoRefit      bool
	Epochs       int // the most iterations (L-BFGS) or epochs (Adam) (0: 300)
	Patience     int // stop after this many without a better validation loss (0: 20)
	LearningRate float64
	Batch        int
	Seed         uint64
}

// Progress is reported after every iteration or epoch. Accuracy is the
// fraction of photos whose top class is right (multi-label: the mean
// per-photo F1 at threshold 0.5).
type Progress struct {
	Phase              string // e.g. "weight decay 0.001" while it searches, "fit" after
	Epoch              int
	TrainLoss, ValLoss float64
	TrainAcc, ValAcc   float64
	Best               bool // the best validation loss so far
}

// Result is a fitted head and how it did.
type Result struct {
	Head *Head
	// Train and Val are the examples in each split (indices into Fit's
	// examples); ValProbs are the head's probabilities for Val.
	Train, Val  []int
	ValProbs    [][]float32
	History     []Progress // of the final fit
	BestEpoch   int
	WeightDecay float64
	Rows        int  // training rows, augmented variants included
	Refit       bool // the head was fitted again on every photo (see Config.NoRefit)
}

// Head maps a backbone's raw features to class probabilities.
type Head struct {
	Mode       string
	Sizes      []int     // [features, hidden..., classes]
	Mean, Std  []float64 // the standardisation of raw features
	Theta      []float64 // the layers' parameters (see net)
	Multi      bool
	Thresholds []float32 // multi-label: each class's decision threshold
}

// Dense is one fully connected layer of an exported head, y = W·x + b
// (W row-major [Out][In]), with Relu between layers.
type Dense struct {
	In, Out int
	W, B    []float32
}

// Activation is the head's output function: "softmax" or "sigmoid".
func (h *Head) Activation() string {
	if h.Multi {
		return "sigmoid"
	}
	return "softmax"
}

// Logits computes the head's raw outputs for raw features x.
func (h *Head) Logits(x []float32) []float64 {
	n := net(h.Sizes)
	acts := n.newActs()
	n.forward(h.Theta, h.standardise(x), acts)
	return acts[len(n)-1]
}

// probsStd computes class probabilities for standardised features.
func (h *Head) probsStd(x []float64) []float32 {
	n := net(h.Sizes)
	acts := n.newActs()
	n.forward(h.Theta, x, acts)
	return activate(acts[len(n)-1], h.Multi)
}

// Probs computes class probabilities for raw features x.
func (h *Head) Probs(x []float32) []float32 {
	return activate(h.Logits(x), h.Multi)
}

func activate(z []float64, multi bool) []float32 {
	out := make([]float32, len(z))
	if multi {
		for i, v := range z {
			out[i] = float32(sigmoid(v))
		}
		return out
	}
	m := slices.Max(z)
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	for i, v := range z {
		out[i] = float32(math.Exp(v-m) / s)
	}
	return out
}

func (h *Head) standardise(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = (float64(v) - h.Mean[i]) / h.Std[i]
	}
	return out
}

// Dense returns the head as layers on raw features: the standardisation is
// folded into the first layer (W' = W/std, b' = b − W'·mean).
func (h *Head) Dense() []Dense {
	n := net(h.Sizes)
	var out []Dense
	for l := 0; l+1 < len(n); l++ {
		w, b := n.layer(h.Theta, l)
		in, o := n[l], n[l+1]
		d := Dense{In: in, Out: o, W: make([]float32, in*o), B: make([]float32, o)}
		for r := 0; r < o; r++ {
			bias := b[r]
			for i := 0; i < in; i++ {
				v := w[r*in+i]
				if l == 0 {
					v /= h.Std[i]
					bias -= v * h.Mean[i]
				}
				d.W[r*in+i] = float32(v)
			}
			d.B[r] = float32(bias)
		}
		out = append(out, d)
	}
	return out
}

func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = Auto
	}
	if c.Hidden <= 0 {
		c.Hidden = 256
	}
	if c.Val == 0 {
		c.Val = 0.2
	}
	if c.Epochs <= 0 {
		c.Epochs = 300
	}
	if c.Patience <= 0 {
		c.Patience = 20
	}
	if c.LearningRate <= 0 {
		c.LearningRate = 1e-3
	}
	if c.Batch <= 0 {
		c.Batch = 32
	}
	return c
}

// Fit fits a head on examples. progress, if not nil, is called after every
// iteration or epoch. Bad input (fewer than two classes, a class with fewer
// than two photos or none, features of different lengths or not finite) is
// an error of one line that says what to add or fix.
func Fit(examples []Example, cfg Config, progress func(Progress)) (*Result, error) {
	cfg = cfg.withDefaults()
	if err := check(examples, cfg); err != nil {
		return nil, err
	}
	switch cfg.Mode {
	case Auto, Linear, MLP, NCM:
	default:
		return nil, fmt.Errorf("the head's mode must be auto, linear, mlp or ncm, not %q", cfg.Mode)
	}
	counts := classCounts(examples, cfg.Classes)
	if cfg.Mode == Auto {
		cfg.Mode = Linear
		if !cfg.Multi && slices.Min(counts) < FewShot {
			cfg.Mode = NCM
		}
	}
	if cfg.Mode == NCM && cfg.Multi {
		return nil, errors.New("a nearest-class-mean head is single-label only: use a linear or mlp head for multi-label photos")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6c696d7073652074))
	classes := make([][]int, len(examples))
	for i, e := range examples {
		classes[i] = e.Classes
	}
	trainIdx, valIdx := Split(classes, cfg)
	d := len(examples[0].Features[0])
	res := &Result{Train: trainIdx, Val: valIdx}
	h := &Head{Mode: cfg.Mode, Multi: cfg.Multi}
	h.Mean, h.Std = standardisation(examples, trainIdx, d)
	// Rows: every variant of a training photo; the photo alone for validation.
	p := &problem{multi: cfg.Multi}
	var trainRows, valRows []int
	for _, i := range trainIdx {
		for _, f := range examples[i].Features {
			trainRows = append(trainRows, len(p.x))
			p.x = append(p.x, h.standardise(f))
			p.y = append(p.y, examples[i].Classes)
		}
	}
	var valVariants []int // the validation photos' augmented variants: for the final fit only
	for _, i := range valIdx {
		valRows = append(valRows, len(p.x))
		p.x = append(p.x, h.standardise(examples[i].Features[0]))
		p.y = append(p.y, examples[i].Classes)
	}
	for _, i := range valIdx {
		for _, f := range examples[i].Features[1:] {
			valVariants = append(valVariants, len(p.x))
			p.x = append(p.x, h.standardise(f))
			p.y = append(p.y, examples[i].Classes)
		}
	}
	res.Rows = len(trainRows)
	p.rowW, p.posW = weights(examples, trainIdx, p.y, cfg)

	if cfg.Mode == NCM {
		fitNCM(h, p, trainRows, valRows, cfg, res, progress)
	} else {
		fitLayers(h, p, trainRows, valRows, cfg, rng, res, progress)
		for _, r := range valRows {
			res.ValProbs = append(res.ValProbs, h.probsStd(p.x[r]))
		}
		if len(valRows) > 0 && !cfg.NoRefit {
			// The validation photos chose the weight decay (and for Adam
			// the number of epochs); now they train too, as the final
			// model's data.
			c := cfg
			if cfg.Mode == MLP || cfg.Adam {
				c.Epochs, c.Patience = res.BestEpoch, res.BestEpoch+1
			}
			p.lambda = res.WeightDecay
			all := append(append(slices.Clone(trainRows), valRows...), valVariants...)
			theta, _, _ := fitOnce(p, initTheta(p.net, rng), all, nil, c, rng, "refit on every photo", progress)
			h.Theta, res.Refit = theta, true
		}
	}
	if cfg.Multi {
		h.Thresholds = thresholds(res.ValProbs, valIdx, examples, cfg.Classes)
	}
	res.Head = h
	return res, nil
}

func check(examples []Example, cfg Config) error {
	if cfg.Classes < 1 || (!cfg.Multi && cfg.Classes < 2) {
		return fmt.Errorf("training needs at least two classes (%d given): add photos of another class", cfg.Classes)
	}
	if len(examples) == 0 {
		return errors.New("no photos to train on")
	}
	d := -1
	for i, e := range examples {
		if len(e.Features) == 0 {
			return fmt.Errorf("photo %d has no features", i)
		}
		if len(e.Classes) == 0 || (!cfg.Multi && len(e.Classes) != 1) {
			return fmt.Errorf("photo %d has %d classes; a single-label set needs exactly one per photo", i, len(e.Classes))
		}
		for _, c := range e.Classes {
			if c < 0 || c >= cfg.Classes {
				return fmt.Errorf("photo %d has class %d, outside 0..%d", i, c, cfg.Classes-1)
			}
		}
		for _, f := range e.Features {
			if d < 0 {
				d = len(f)
			}
			if len(f) != d || d == 0 {
				return fmt.Errorf("photo %d has %d features, the others %d", i, len(f), d)
			}
			for _, v := range f {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("photo %d has a feature that is not a finite number", i)
				}
			}
		}
	}
	least := 2
	if cfg.Mode == NCM {
		least = 1 // one photo per class is a mean already
	}
	for c, n := range classCounts(examples, cfg.Classes) {
		if n < least {
			return &ClassError{Class: c, Count: n, Least: least}
		}
	}
	return nil
}

// ClassError is a class with too few photos.
type ClassError struct{ Class, Count, Least int }

func (e *ClassError) Error() string {
	return fmt.Sprintf("class %d has %d photo(s); every class needs at least %d", e.Class, e.Count, e.Least)
}

func classCounts(examples []Example, k int) []int {
	counts := make([]int, k)
	for _, e := range examples {
		for _, c := range e.Classes {
			counts[c]++
		}
	}
	return counts
}

// Split divides photos, given by their classes, into training and
// validation sets as Fit does for the same cfg (Classes, Val, Seed): about
// cfg.Val of each class's photos are held out, at least one of a class
// with two or more and never its last one; multi-label photos are
// stratified by their rarest class. Callers use it to augment only the
// training photos.
func Split(classes [][]int, cfg Config) (train, val []int) {
	cfg = cfg.withDefaults()
	counts := make([]int, cfg.Classes)
	for _, cs := range classes {
		for _, c := range cs {
			if c >= 0 && c < cfg.Classes {
				counts[c]++
			}
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x73706c6974)) // "split"
	groups := make([][]int, cfg.Classes)
	for i, cs := range classes {
		if len(cs) == 0 || cs[0] < 0 || cs[0] >= cfg.Classes {
			continue
		}
		g := cs[0]
		for _, c := range cs {
			if c >= 0 && c < cfg.Classes && counts[c] < counts[g] {
				g = c
			}
		}
		groups[g] = append(groups[g], i)
	}
	for _, g := range groups {
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		nv := 0
		if cfg.Val > 0 && len(g) >= 2 {
			nv = min(max(1, int(math.Round(cfg.Val*float64(len(g))))), len(g)-1)
		}
		val = append(val, g[:nv]...)
		train = append(train, g[nv:]...)
	}
	sort.Ints(train)
	sort.Ints(val)
	return train, val
}

// standardisation is each feature's mean and standard deviation over the
// training photos and their variants; a constant feature gets std 1.
func standardisation(examples []Example, trainIdx []int, d int) (mean, std []float64) {
	mean, std = make([]float64, d), make([]float64, d)
	n := 0.0
	for _, i := range trainIdx {
		for _, f := range examples[i].Features {
			for j, v := range f {
				mean[j] += float64(v)
			}
			n++
		}
	}
	for j := range mean {
		mean[j] /= n
	}
	for _, i := range trainIdx {
		for _, f := range examples[i].Features {
			for j, v := range f {
				dv := float64(v) - mean[j]
				std[j] += dv * dv
			}
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / n)
		if std[j] < 1e-6 {
			std[j] = 1
		}
	}
	return mean, std
}

// weights returns each row's class weight (single-label, "balanced": n /
// (k·n_c) over training photos) and each class's positive weight
// (multi-label: negatives/positives, at most 10).
func weights(examples []Example, trainIdx []int, y [][]int, cfg Config) (rowW, posW []float64) {
	counts := make([]float64, cfg.Classes)
	for _, i := range trainIdx {
		for _, c := range examples[i].Classes {
			counts[c]++
		}
	}
	n := float64(len(trainIdx))
	classW := make([]float64, cfg.Classes)
	posW = make([]float64, cfg.Classes)
	for c, k := range counts {
		classW[c], posW[c] = 1, 1
		if !cfg.NoClassWeights && k > 0 {
			classW[c] = n / (float64(cfg.Classes) * k)
			posW[c] = min(10, max(1, (n-k)/k))
		}
	}
	rowW = make([]float64, len(y))
	for r, cs := range y {
		rowW[r] = classW[cs[0]]
	}
	return rowW, posW
}

// accuracy of the head's parameters on rows: top-1 (single-label) or the
// mean per-row F1 at 0.5 (multi-label).
func (p *problem) accuracy(theta []float64, rows []int) float64 {
	if len(rows) == 0 {
		return math.NaN()
	}
	n := p.net
	acts := n.newActs()
	sum := 0.0
	for _, r := range rows {
		n.forward(theta, p.x[r], acts)
		z := acts[len(n)-1]
		if !p.multi {
			if argmax(z) == p.y[r][0] {
				sum++
			}
			continue
		}
		tp, fp, fn := 0.0, 0.0, 0.0
		pos := map[int]bool{}
		for _, c := range p.y[r] {
			pos[c] = true
		}
		for c, v := range z {
			switch {
			case v > 0 && pos[c]:
				tp++
			case v > 0:
				fp++
			case pos[c]:
				fn++
			}
		}
		if tp+fp+fn > 0 {
			sum += 2 * tp / (2*tp + fp + fn)
		} else {
			sum++
		}
	}
	return sum / float64(len(rows))
}

func argmax(z []float64) int {
	best := 0
	for i, v := range z {
		if v > z[best] {
			best = i
		}
	}
	return best
}

// fitLayers fits a linear or MLP head, choosing the weight decay on the
// validation split when it is not given.
func fitLayers(h *Head, p *problem, trainRows, valRows []int, cfg Config, rng *rand.Rand, res *Result, progress func(Progress)) {
	d := len(p.x[0])
	h.Sizes = []int{d, cfg.Classes}
	if cfg.Mode == MLP {
		h.Sizes = []int{d, cfg.Hidden, cfg.Classes}
	}
	p.net = net(h.Sizes)
	lambdas := []float64{cfg.WeightDecay}
	switch {
	case cfg.WeightDecay > 0:
	case len(valRows) == 0:
		lambdas = []float64{1 / float64(len(trainRows))}
	case cfg.Mode == MLP:
		lambdas = []float64{1e-4}
	default:
		lambdas = []float64{1e-1, 1e-2, 1e-3, 1e-4}
	}
	init := initTheta(p.net, rng)
	bestVal := math.Inf(1)
	for _, lambda := range lambdas {
		p.lambda = lambda
		phase := "fit"
		if len(lambdas) > 1 {
			phase = fmt.Sprintf("weight decay %g", lambda)
		}
		theta, hist, bestEpoch := fitOnce(p, slices.Clone(init), trainRows, valRows, cfg, rng, phase, progress)
		if len(p.net) == 2 {
			init = slices.Clone(theta) // the next, smaller decay starts from here (a regularisation path)
		}
		v := hist[bestEpoch-1].ValLoss
		if len(valRows) == 0 {
			v = hist[bestEpoch-1].TrainLoss
		}
		if v < bestVal || h.Theta == nil {
			bestVal, h.Theta = v, theta
			res.History, res.BestEpoch, res.WeightDecay = hist, bestEpoch, lambda
		}
	}
}

func initTheta(n net, rng *rand.Rand) []float64 {
	theta := make([]float64, n.nparams())
	if len(n) == 2 {
		return theta // a linear head starts at zero: the problem is convex
	}
	for l := 0; l+1 < len(n); l++ {
		w, _ := n.layer(theta, l)
		lim := math.Sqrt(6 / float64(n[l])) // He uniform
		for i := range w {
			w[i] = (rng.Float64()*2 - 1) * lim
		}
	}
	return theta
}

// fitOnce runs one optimisation with early stopping and returns the
// parameters of the best validation loss (the last ones without a
// validation split).
func fitOnce(p *problem, theta []float64, trainRows, valRows []int, cfg Config, rng *rand.Rand, phase string, progress func(Progress)) ([]float64, []Progress, int) {
	var hist []Progress
	adam := cfg.Mode == MLP || cfg.Adam
	best := slices.Clone(theta)
	bestLoss, bestEpoch := math.Inf(1), 0
	trainAcc := math.NaN()
	step := func(epoch int, objective float64) bool {
		// The optimiser's objective less the weight decay is the training
		// loss (Adam's: the mean over the epoch's batches); the training
		// accuracy, a pass over every row, is measured every tenth step.
		if epoch == 1 || epoch%10 == 0 || math.IsNaN(trainAcc) {
			trainAcc = p.accuracy(theta, trainRows)
		}
		pr := Progress{Phase: phase, Epoch: epoch, TrainLoss: objective - p.penalty(theta), TrainAcc: trainAcc,
			ValLoss: math.NaN(), ValAcc: math.NaN()}
		score := pr.TrainLoss
		if len(valRows) > 0 {
			pr.ValLoss, pr.ValAcc = p.evaluate(theta, valRows)
			score = pr.ValLoss
		}
		if bestEpoch == 0 || score < bestLoss-1e-9*math.Abs(bestLoss) || len(valRows) == 0 || !adam {
			bestLoss, bestEpoch, pr.Best = score, epoch, true
			copy(best, theta)
		}
		hist = append(hist, pr)
		if progress != nil {
			progress(pr)
		}
		// Early stopping is for Adam (MLP heads): L-BFGS on the convex
		// linear problem runs to its optimum, and the weight decay chosen
		// on the validation photos is what holds overfitting back (stopping
		// it early cost accuracy on held-out photos).
		return !adam || epoch-bestEpoch < cfg.Patience
	}
	if adam {
		adamOpt(func(th []float64, rows []int, grad []float64) float64 {
			sub := make([]int, len(rows))
			for i, r := range rows {
				sub[i] = trainRows[r]
			}
			return p.loss(th, sub, grad, true)
		}, theta, len(trainRows), cfg.Batch, cfg.Epochs, cfg.LearningRate, rng, step)
	} else {
		lbfgs(func(th, grad []float64) float64 { return p.loss(th, trainRows, grad, true) }, theta, cfg.Epochs, step)
	}
	if bestEpoch == 0 { // stopped before the first step: the start is all there is
		step(1, p.loss(theta, trainRows, nil, true))
		copy(best, theta)
		bestEpoch = len(hist)
	}
	return best, hist, bestEpoch
}

// thresholds picks each class's threshold on the validation photos: the
// one with the best F1 (midway between neighbouring probabilities), 0.5
// for a class with no positive or no validation photo.
func thresholds(probs [][]float32, valIdx []int, examples []Example, k int) []float32 {
	th := make([]float32, k)
	for c := range th {
		th[c] = 0.5
		type pt struct {
			p   float32
			pos bool
		}
		var pts []pt
		npos := 0
		for j, i := range valIdx {
			pos := slices.Contains(examples[i].Classes, c)
			if pos {
				npos++
			}
			pts = append(pts, pt{probs[j][c], pos})
		}
		if npos == 0 || npos == len(pts) {
			continue
		}
		sort.Slice(pts, func(a, b int) bool { return pts[a].p > pts[b].p })
		bestF1, tp, fp := -1.0, 0, 0
		for j, q := range pts {
			if q.pos {
				tp++
			} else {
				fp++
			}
			if j+1 < len(pts) && pts[j+1].p == q.p {
				continue
			}
			f1 := 2 * float64(tp) / float64(2*tp+fp+(npos-tp))
			if f1 > bestF1 {
				bestF1 = f1
				lo := float32(0)
				if j+1 < len(pts) {
					lo = pts[j+1].p
				}
				th[c] = (q.p + lo) / 2
			}
		}
		th[c] = min(max(th[c], 0.01), 0.99)
	}
	return th
}
