// Package explain says which parts of a photo a classifier's prediction
// rests on. Occlusion hides one square patch of the model's input at a time
// and records how much the class's probability drops; the result, a Heat, is
// a coarse grid of non-negative weights over the part of the photo the model
// reads (the centre crop of vision.Preprocess). Overlay draws it over the
// photo, and Deletion measures it: hiding the hottest cells first should
// lower the probability faster than hiding cells in any other order.
//
// The other methods read the model rather than probe it: Grad-CAM and
// Grad-CAM++ weight the last spatial feature map by the class score's
// gradient (gradcam.go); gradient × input, integrated gradients and
// SmoothGrad attribute the score to the input's pixels (saliency.go);
// attention rollout follows a ViT's attention from the class token back
// to the patches (rollout.go). Explain runs any of them by name, and
// DefaultMethod picks one that suits a model.
//
// The package is pure Go (no I/O, no cgo, no syscall/js): it builds for
// GOOS=js GOARCH=wasm as well as natively.
package explain

import (
	"errors"
	"fmt"
	"image"
	stddraw "image/draw"
	"math"
	"slices"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/vision"
)

// Methods and baselines.
const (
	MethodOcclusion = "occlusion"
	BaselineMean    = "mean" // the photo's mean colour (over the model's input)
	BaselineBlur    = "blur" // the photo, blurred
)

// Methods lists the explanation methods there are.
var Methods = []string{MethodOcclusion, MethodGradCAM, MethodGradCAMPlusPlus, MethodGradInput, MethodIG, MethodSmoothGrad, MethodRollout}

// Heat is an explanation: a Rows×Cols grid of non-negative weights over the
// model's input crop.
type Heat struct {
	Class  int
	Prob   float32 // the class's probability on the unchanged image
	Method string  // one of Methods
	// Baseline is what hidden pixels were replaced with ("mean" or
	// "blur"; "mean" or empty for the methods that hide nothing);
	// Deletion hides cells with the same.
	Baseline   string
	Rows, Cols int
	// Values are row-major and non-negative: for occlusion, the drop of
	// the class's probability when a patch covering the cell is hidden
	// (clamped at 0), averaged over the patches covering it; for
	// gradcam and gradcam++, the class activation map on the feature
	// map's grid, scaled to a maximum of 1; for gradinput, ig and
	// smoothgrad, one cell per model-input pixel, scaled to a maximum of
	// 1; for rollout, the patch grid, scaled to a maximum of 1.
	Values []float32
	// Region is the part of the photo the grid covers, in the photo's
	// pixels (the crop vision.Preprocess takes); cell (r, c) covers its
	// r-th of Rows rows and c-th of Cols columns (CellRect).
	Region image.Rectangle
}

// Options tune the methods; each reads the fields it names.
type Options struct {
	// Class is the class to explain; -1 means the top class (so the zero
	// Options explain class 0).
	Class int
	// Patch is the side of the hidden square and Stride the step between
	// patches, in model-input pixels; 0 means the defaults: a seventh of
	// the input's shorter side and half the patch. The grid has about one
	// cell per stride each way.
	Patch, Stride int
	// Baseline is what hidden pixels become: "mean" (the default, when
	// empty: the photo's mean colour) or "blur" (the photo blurred).
	Baseline string
	// Layer names the feature map GradCAM uses (a tensor of shape
	// [1, C, H, W]); empty: the last spatial one the class score depends
	// on. Occlusion ignores it.
	Layer string
	// Steps is the number of intervals integrated gradients splits the
	// path from its baseline to the input into (Steps+1 passes); 0 means
	// DefaultSteps.
	Steps int
	// Samples is the number of noisy copies SmoothGrad averages over; 0
	// means DefaultSamples. Seed seeds the noise.
	Samples int
	Seed    uint64
}

// At returns the weight of cell (r, c).
func (h *Heat) At(r, c int) float32 { return h.Values[r*h.Cols+c] }

// CellRect is the part of the photo cell (r, c) covers.
func (h *Heat) CellRect(r, c int) image.Rectangle {
	g := h.Region
	return image.Rect(
		g.Min.X+c*g.Dx()/h.Cols, g.Min.Y+r*g.Dy()/h.Rows,
		g.Min.X+(c+1)*g.Dx()/h.Cols, g.Min.Y+(r+1)*g.Dy()/h.Rows)
}

// Total is the sum of the weights.
func (h *Heat) Total() float64 {
	s := 0.0
	for _, v := range h.Values {
		s += float64(v)
	}
	return s
}

// check says whether h is a grid this package can use.
func (h *Heat) check() error {
	switch {
	case h == nil:
		return errors.New("explain: no heat")
	case h.Rows < 1 || h.Cols < 1 || len(h.Values) != h.Rows*h.Cols:
		return fmt.Errorf("explain: heat of %dx%d cells has %d values", h.Rows, h.Cols, len(h.Values))
	}
	for _, v := range h.Values {
		if !(v >= 0) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("explain: heat value %v is not a finite non-negative number", v)
		}
	}
	return nil
}

// input is a photo preprocessed for a classifier, with its baseline.
type input struct {
	c       *model.Classifier
	w, h    int
	nhwc    bool
	classes int
	base    []float32 // the photo as the model reads it
	fill    []float32 // what hidden pixels become (same layout)
	region  image.Rectangle
}

func checkBaseline(b string) (string, error) {
	switch b {
	case "", BaselineMean:
		return BaselineMean, nil
	case BaselineBlur:
		return b, nil
	}
	return "", fmt.Errorf("explain: unknown baseline %q (want mean or blur)", b)
}

// newInput checks the classifier and the photo; prepare fills it.
func newInput(c *model.Classifier, img image.Image) (*input, error) {
	if c == nil || c.Program == nil || len(c.Program.Inputs) == 0 || len(c.Program.Outputs) == 0 {
		return nil, errors.New("explain: no classifier")
	}
	if c.Feature != "" {
		return nil, errors.New("explain: the model is a feature extractor, it has no classes to explain")
	}
	if img == nil {
		return nil, errors.New("explain: no image")
	}
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("explain: the image is empty (%dx%d)", b.Dx(), b.Dy())
	}
	s := c.Card.Spec()
	if s.Width < 1 || s.Height < 1 || len(c.Input()) != 3*s.Width*s.Height {
		return nil, fmt.Errorf("explain: the model's input holds %d values, not 3x%dx%d", len(c.Input()), s.Width, s.Height)
	}
	return &input{c: c, w: s.Width, h: s.Height, nhwc: s.Layout == "NHWC", classes: c.Program.Outputs[0].Len(),
		region: vision.CropRect(b, s.Width, s.Height, s.Crop)}, nil
}

// prepare preprocesses img into in.base and makes the baseline.
func (in *input) prepare(img image.Image, baseline string) error {
	if err := vision.Preprocess(img, in.c.Card.Spec(), in.c.Input()); err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	in.base = slices.Clone(in.c.Input())
	in.fill = make([]float32, len(in.base))
	switch baseline {
	case BaselineMean:
		// Normalisation is affine per channel, so the mean of the
		// normalised values is the normalised mean colour.
		for ch := 0; ch < 3; ch++ {
			s := 0.0
			for i := 0; i < in.w*in.h; i++ {
				s += float64(in.base[in.at(ch, i)])
			}
			m := float32(s / float64(in.w*in.h))
			for i := 0; i < in.w*in.h; i++ {
				in.fill[in.at(ch, i)] = m
			}
		}
	case BaselineBlur:
		in.blur(max(1, min(in.w, in.h)/16))
	}
	return nil
}

// at is the index of channel ch of pixel i (y*w+x) in the input tensor.
func (in *input) at(ch, i int) int {
	if in.nhwc {
		return 3*i + ch
	}
	return ch*in.w*in.h + i
}

// blur writes into in.fill in.base box-blurred three times (close to a
// Gaussian) with radius r, edges clamped. Blurring is linear, so blurring
// normalised values is normalising the blurred photo.
func (in *input) blur(r int) {
	w, h := in.w, in.h
	a := make([]float32, w*h)
	b := make([]float32, w*h)
	pass := func(src, dst []float32, n, step, lines, lineStep int) {
		for l := 0; l < lines; l++ {
			o := l * lineStep
			for i := 0; i < n; i++ {
				s := float32(0)
				for k := i - r; k <= i+r; k++ {
					s += src[o+min(max(k, 0), n-1)*step]
				}
				dst[o+i*step] = s / float32(2*r+1)
			}
		}
	}
	for ch := 0; ch < 3; ch++ {
		for i := range a {
			a[i] = in.base[in.at(ch, i)]
		}
		for range 3 {
			pass(a, b, w, 1, h, w) // rows
			pass(b, a, h, w, w, 1) // columns
		}
		for i := range a {
			in.fill[in.at(ch, i)] = a[i]
		}
	}
}

// hide replaces the pixels of r (input pixels) in t by the baseline.
func (in *input) hide(t []float32, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		if in.nhwc { // the row's pixels are contiguous, channels interleaved
			lo, hi := 3*(y*in.w+r.Min.X), 3*(y*in.w+r.Max.X)
			copy(t[lo:hi], in.fill[lo:hi])
			continue
		}
		for ch := 0; ch < 3; ch++ {
			lo, hi := in.at(ch, y*in.w+r.Min.X), in.at(ch, y*in.w+r.Max.X)
			copy(t[lo:hi], in.fill[lo:hi])
		}
	}
}

// run runs the model on t and returns the probabilities (the classifier's
// buffer, valid until the next run).
func (in *input) run(t []float32) ([]float32, error) {
	copy(in.c.Input(), t)
	if err := in.c.Program.Execute(); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	return in.c.Probabilities(in.c.Program.Outputs[0].F), nil
}

// prob runs the model on t and returns the probability of class.
func (in *input) prob(t []float32, class int) (float32, error) {
	p, err := in.run(t)
	if err != nil {
		return 0, err
	}
	v := p[class]
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return 0, fmt.Errorf("explain: the model's score for class %d is %v, not a number it can explain", class, v)
	}
	return v, nil
}

// positions are the window starts along a side of n pixels: every stride,
// and the last window flush with the end.
func positions(n, patch, stride int) []int {
	var ps []int
	for x := 0; x+patch <= n; x += stride {
		ps = append(ps, x)
	}
	if last := ps[len(ps)-1]; last+patch < n {
		ps = append(ps, n-patch)
	}
	return ps
}

// CheckOptions says whether o suits c's input (the class, patch, stride,
// baseline, steps and samples), without running anything: the methods'
// errors for bad options come sooner.
func CheckOptions(c *model.Classifier, o Options) error {
	if _, err := checkBaseline(o.Baseline); err != nil {
		return err
	}
	in, err := newInput(c, image.NewGray(image.Rect(0, 0, 1, 1)))
	if err != nil {
		return err
	}
	if _, _, err = resolve(in, o); err != nil {
		return err
	}
	return checkGradOptions(o, in.classes)
}

// resolve checks o's class, patch and stride against in and fills in the
// default patch and stride.
func resolve(in *input, o Options) (patch, stride int, err error) {
	side := min(in.w, in.h)
	patch, stride = o.Patch, o.Stride
	if patch == 0 {
		patch = max(1, (side+3)/7)
	}
	if patch < 0 || patch > side {
		return 0, 0, fmt.Errorf("explain: patch %d out of range: the model's input is %dx%d, want 1..%d", patch, in.w, in.h, side)
	}
	if stride == 0 {
		stride = max(1, patch/2)
	}
	if stride < 0 || stride > patch {
		return 0, 0, fmt.Errorf("explain: stride %d out of range: want 1..%d (the patch), so that every pixel is covered", stride, patch)
	}
	if o.Class < -1 || o.Class >= in.classes {
		return 0, 0, fmt.Errorf("explain: class %d out of range: the model has %d classes (0..%d, or -1 for the top one)", o.Class, in.classes, in.classes-1)
	}
	return patch, stride, nil
}

// Occlusion slides a patch over the model's input crop and records how much
// the class's probability drops (clamped at 0), averaged over the windows
// covering each cell. The photo is preprocessed once; each window is a copy
// of the input with the patch set to the baseline, in normalised values,
// and one run of the model. c's input buffer is left holding the last
// window.
func Occlusion(c *model.Classifier, img image.Image, o Options) (*Heat, error) {
	baseline, err := checkBaseline(o.Baseline)
	if err != nil {
		return nil, err
	}
	in, err := newInput(c, img)
	if err != nil {
		return nil, err
	}
	patch, stride, err := resolve(in, o)
	if err != nil {
		return nil, err
	}
	if err := in.prepare(img, baseline); err != nil {
		return nil, err
	}
	probs, err := in.run(in.base)
	if err != nil {
		return nil, err
	}
	class := o.Class
	if class == -1 {
		class = 0
		for i, p := range probs {
			if p > probs[class] || math.IsNaN(float64(probs[class])) {
				class = i
			}
		}
	}
	p0, err := in.prob(in.base, class)
	if err != nil {
		return nil, err
	}

	// Each window's drop is added to every input pixel it hides; a pixel's
	// weight is the mean over the windows hiding it, a cell's the mean
	// over its pixels.
	sum := make([]float64, in.w*in.h)
	count := make([]int32, in.w*in.h)
	t := make([]float32, len(in.base))
	for _, y := range positions(in.h, patch, stride) {
		for _, x := range positions(in.w, patch, stride) {
			r := image.Rect(x, y, x+patch, y+patch)
			copy(t, in.base)
			in.hide(t, r)
			p, err := in.prob(t, class)
			if err != nil {
				return nil, err
			}
			d := max(0, float64(p0)-float64(p))
			for yy := r.Min.Y; yy < r.Max.Y; yy++ {
				for xx := r.Min.X; xx < r.Max.X; xx++ {
					sum[yy*in.w+xx] += d
					count[yy*in.w+xx]++
				}
			}
		}
	}
	rows := max(1, int(math.Round(float64(in.h)/float64(stride))))
	cols := max(1, int(math.Round(float64(in.w)/float64(stride))))
	cell := make([]float64, rows*cols)
	n := make([]int, rows*cols)
	for y := 0; y < in.h; y++ {
		for x := 0; x < in.w; x++ {
			i := (y*rows/in.h)*cols + x*cols/in.w
			cell[i] += sum[y*in.w+x] / float64(count[y*in.w+x])
			n[i]++
		}
	}
	h := &Heat{Class: class, Prob: p0, Method: MethodOcclusion, Baseline: baseline, Rows: rows, Cols: cols,
		Values: make([]float32, rows*cols), Region: in.region}
	for i := range cell {
		h.Values[i] = float32(cell[i] / float64(n[i]))
	}
	return h, nil
}

// cellInput is the input rectangle of cell i: the input pixels whose cell
// (as Occlusion assigns them) is i.
func (in *input) cellInput(h *Heat, i int) image.Rectangle {
	r, c := i/h.Cols, i%h.Cols
	up := func(k, n, cells int) int { return (k*n + cells - 1) / cells } // ceil(k*n/cells)
	return image.Rect(up(c, in.w, h.Cols), up(r, in.h, h.Rows), up(c+1, in.w, h.Cols), up(r+1, in.h, h.Rows))
}

// Deletion returns the class probability after hiding the most salient
// cells of h first, replaced by h's baseline: steps+1 values, after hiding
// 0, 1/steps, 2/steps, ... and all of the cells (steps 10: k = 0, 10, ...,
// 100 percent; 0 means 10). Cells of equal weight go in row-major order. A
// good explanation makes the curve fall fast: its mean is smaller than for
// cells hidden in a random order (the deletion metric).
func Deletion(c *model.Classifier, img image.Image, h *Heat, steps int) ([]float32, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	if steps == 0 {
		steps = 10
	}
	if steps < 0 {
		return nil, fmt.Errorf("explain: %d steps: want at least 1", steps)
	}
	baseline, err := checkBaseline(h.Baseline)
	if err != nil {
		return nil, err
	}
	in, err := newInput(c, img)
	if err != nil {
		return nil, err
	}
	if h.Class < 0 || h.Class >= in.classes {
		return nil, fmt.Errorf("explain: class %d out of range: the model has %d classes", h.Class, in.classes)
	}
	if h.Rows > in.h || h.Cols > in.w {
		return nil, fmt.Errorf("explain: a heat of %dx%d cells is finer than the model's %dx%d input", h.Rows, h.Cols, in.w, in.h)
	}
	if err := in.prepare(img, baseline); err != nil {
		return nil, err
	}
	order := make([]int, len(h.Values))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch va, vb := h.Values[a], h.Values[b]; {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	t := slices.Clone(in.base)
	out := make([]float32, 0, steps+1)
	hidden := 0
	for k := 0; k <= steps; k++ {
		for want := (k*len(order) + steps/2) / steps; hidden < want; hidden++ {
			in.hide(t, in.cellInput(h, order[hidden]))
		}
		p, err := in.prob(t, h.Class)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// viridis is matplotlib's viridis colormap at 0, 1/8, ..., 1 (perceptually
// uniform, readable in grey and by most colour-blind people).
var viridis = [9][3]float64{
	{68, 1, 84}, {71, 45, 123}, {59, 82, 139}, {44, 114, 142}, {33, 145, 140},
	{40, 174, 128}, {94, 201, 98}, {173, 220, 48}, {253, 231, 37},
}

func colormap(t float64) [3]float64 {
	t = min(max(t, 0), 1) * 8
	i := min(int(t), 7)
	f := t - float64(i)
	var c [3]float64
	for k := range c {
		c[k] = viridis[i][k]*(1-f) + viridis[i+1][k]*f
	}
	return c
}

// Overlay draws the heat over the photo: over h.Region only, the grid
// bilinearly upsampled (cell centres interpolated), scaled so the hottest
// cell is 1, coloured with the viridis colormap (dark purple cold, yellow
// hot) and blended with the given alpha (clamped to [0, 1]). It returns a
// new RGBA image with the photo's bounds; with a nil or malformed heat, a
// copy of the photo.
func Overlay(img image.Image, h *Heat, alpha float64) *image.RGBA {
	if img == nil {
		return image.NewRGBA(image.Rectangle{})
	}
	b := img.Bounds()
	out := image.NewRGBA(b)
	stddraw.Draw(out, b, img, b.Min, stddraw.Src)
	if h.check() != nil || !(alpha > 0) || h.Region.Empty() {
		return out
	}
	alpha = min(alpha, 1)
	top := float32(0)
	for _, v := range h.Values {
		top = max(top, v)
	}
	g := h.Region
	// sample is the coordinate of pixel p (of n along a side of cells
	// cells) in cell units, with cell centres at whole numbers: the two
	// cells either side and the weight of the second.
	sample := func(p, n, cells int) (int, int, float64) {
		f := (float64(p)+0.5)*float64(cells)/float64(n) - 0.5
		f = min(max(f, 0), float64(cells-1))
		i := int(f)
		return i, min(i+1, cells-1), f - float64(i)
	}
	r := g.Intersect(b)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		r0, r1, fy := sample(y-g.Min.Y, g.Dy(), h.Rows)
		for x := r.Min.X; x < r.Max.X; x++ {
			c0, c1, fx := sample(x-g.Min.X, g.Dx(), h.Cols)
			v := (float64(h.At(r0, c0))*(1-fx)+float64(h.At(r0, c1))*fx)*(1-fy) +
				(float64(h.At(r1, c0))*(1-fx)+float64(h.At(r1, c1))*fx)*fy
			t := 0.0
			if top > 0 {
				t = v / float64(top)
			}
			col := colormap(t)
			o := out.PixOffset(x, y)
			px := out.Pix[o : o+4 : o+4]
			for k := 0; k < 3; k++ { // premultiplied: opaque colour over the pixel
				px[k] = uint8(math.Round(float64(px[k])*(1-alpha) + col[k]*alpha))
			}
			px[3] = uint8(math.Round(float64(px[3])*(1-alpha) + 255*alpha))
		}
	}
	return out
}
