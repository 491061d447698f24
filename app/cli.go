//go:build !(js && wasm) || nodecli

package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	_ "github.com/glimpse/glimpse/model/importer" // the command line reads ONNX files
	"github.com/glimpse/glimpse/model/tag"
	"github.com/glimpse/glimpse/model/vision"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

// defaultModelDirs is where the default model is looked for: the copy the
// Makefile puts under web/, then the shared folder beside the checkout.
var defaultModelDirs = []string{
	filepath.Join("web", "models", "mobilenet_v2_1.0_224"),
	filepath.Join("..", "shared", "models", "mobilenet_v2_1.0_224"),
}

// nativeCommands are the subcommands only the native build has (server.go).
var nativeCommands = map[string]func(args []string, stdout io.Writer) error{}

// errReported ends a command whose errors were already printed.
var errReported = errors.New("reported")

// usageError is bad command-line use: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// runCLI runs one subcommand. Errors come back as single lines; nothing panics.
func runCLI(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "glimpse: internal error: %v\n", r)
			code = 3
		}
	}()
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "classify":
		err = classify(args[1:], stdout, stderr)
	case "infer":
		err = infer(args[1:], stdout)
	case "tag":
		err = tagPhotos(args[1:], stdout, stderr)
	case "eval":
		err = evaluate(args[1:], stdout, stderr)
	case "check":
		err = checkModel(args[1:], stdout, stderr)
	case "compile":
		err = compileModel(args[1:], stdout, stderr)
	case "train":
		err = trainModel(args[1:], stdout, stderr)
	case "embed":
		err = embedPhotos(args[1:], stdout, stderr)
	case "explain":
		err = explainPhotos(args[1:], stdout, stderr)
	case "quantize":
		err = quantizeModel(args[1:], stdout, stderr)
	case "serve", "static":
		cmd, ok := nativeCommands[args[0]]
		if !ok {
			err = usageError{args[0] + " is only available in the native build"}
			break
		}
		err = cmd(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	default:
		err = usageError{fmt.Sprintf("unknown command %q (try: glimpse help)", args[0])}
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, errReported) {
		return 1
	}
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "glimpse: %v\n", oneLine(err))
		}
		return 2
	}
	fmt.Fprintf(stderr, "glimpse: %v\n", oneLine(err))
	return 1
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  glimpse classify [-model FILE.onnx] [-labels FILE.txt] [-card FILE.json] [-verify] [-top K] [-json] PHOTO...
  glimpse check [-json] [-input-shape NAME=1,3,224,224] [-runs N] [-seed S] FILE.onnx|FILE.glimpse
  glimpse compile [-o FILE.glimpse] [-weights auto|fp32|fp16|int8] [-labels …] [-card …] FILE.onnx
  glimpse infer -model FILE.onnx -input IN.bin -output OUT.bin [-runs N] [-profile] [-input-shape NAME=D1,D2,...]
  glimpse tag [-model …] [-labels …] [-card …] [-json|-csv] [-threshold P] [-top K] [-map FILE.json] [-prev FILE] DIR|PHOTO...
  glimpse eval [-model …] [-labels …] [-card …] [-json] [-map FILE.json] DIR
  glimpse train [-model BACKBONE.onnx] [-multi] [-val 0.2] [-augment N] [-epochs N] [-seed N] [-mode auto|linear|mlp|ncm] -out DIR TRAINDIR
  glimpse embed [-model …] [-feature NAME] [-json] [-raw] PHOTO...
  glimpse explain [-model …] [-labels …] [-card …] [-method occlusion] [-class K] [-patch N] [-stride N] [-baseline mean|blur] [-json] [-o OUT.png] PHOTO...
  glimpse quantize [MODEL.onnx] -calib PHOTOS/ -o MODEL_int8.onnx [-format qdq|qoperator] [-per-channel] [-method percentile|minmax] [-eval DIR]
  glimpse serve [-addr 127.0.0.1:8000]   serve the web app (built app.wasm in web/)
  glimpse static [-out static]           write the deployable static site

classify prints the top-K labels of each photo (JPEG, PNG, GIF, BMP, WebP, TIFF).
check says whether a model runs here and how well: its inputs, outputs, opset
and weights, every op type with where it runs (CPU backend, WebGPU kernel or
CPU fallback), what compiling folded and fused, a self-check of the optimised
program against the plain reference on a seeded input, and the time per run.
It exits with status 1 when the model cannot run.
classify, tag and eval run that self-check on a model given with -model (the
shipped one is tested) and fall back to the unoptimised program, saying so,
if the optimised one disagrees; -verify=false skips it, -verify forces it.
compile writes the model as it runs here (folded, fused), with its labels and
card, as one bundle that loads without an ONNX decoder; every -model takes a
bundle too. Weights: auto keeps every value (8-bit palettes where a tensor has
at most 256 values), fp16 and int8 shrink the file and change the numbers.
infer runs the model on raw little-endian float32 (first input, first output).
tag prints each photo's tags (folders are searched recursively); -map turns
labels into your own words ({"tabby": "cat"}); -prev skips photos already in an
earlier -json or -csv output.
eval scores the model on DIR, one sub-folder of photos per class, named after
a label or one of its synonyms; -map names the others ({"folder": "label"}).
train teaches a backbone your classes: TRAINDIR holds one sub-folder of photos
per class, or photos and one CSV (a photo and its labels on each row; several
labels make it multi-label). It extracts the features the backbone's
classifier reads, adds -augment random variants of each training photo, fits
a head (softmax, or sigmoid with a threshold per class; a nearest-class-mean
head under 6 photos a class) with class weights and early stopping on the
-val photos, prints the validation report and writes DIR/model.onnx (runs in
ONNX Runtime), labels.txt, card.json and model.glimpse. Score it on other
photos with: glimpse eval -model DIR/model.onnx TESTDIR.
embed prints each photo's L2-normalised feature vector.
explain shows which parts of each photo the top class (or -class K) rests on:
occlusion hides one patch of the model's input at a time (-patch, -stride, in
input pixels) and maps how much the probability drops; about 170 runs of the
model a photo. -json gives the grid of drops over the photo's region; -o
writes the photo with the map over it as PNG (OUT-1.png, OUT-2.png, ... for
several photos).
tag writes each photo as soon as it is done, so a run that stops keeps the
photos before it, and -prev reads what it left.
A model's NaN or infinite scores never stop a run: text shows them as such,
JSON writes "prob": null with "nonfinite" and a "warning", eval leaves the
photo out, and the exit status is 1. CSV cells that a spreadsheet would run
as a formula (= + - @ tab CR first) get a leading apostrophe; text output
shows control characters in names and labels escaped (\x1b).
Every command that loads a model takes -max-memory (default 1GB): a model
whose program needs more (its tensors, weights and working memory, added up
before anything is allocated) is refused with the node and the size.
`)
}

// oneLine is an error as one line that is safe on a terminal (termSafe):
// messages quote file names, labels and node names from strangers' files.
func oneLine(err error) string {
	return termSafe(strings.Join(strings.Fields(err.Error()), " "))
}

// termSafe makes text from outside (file names, labels, a model's names)
// safe to print on a terminal: C0 and C1 control characters (ESC, CR, tab
// and newline among them), DEL, bytes that are not UTF-8 (a lone 0x9b is
// CSI on some terminals), the line and paragraph separators and the
// bidirectional overrides that reorder what is shown are written as Go
// escapes (\x1b, \r, \t, \u202e); everything else, backslashes included, is
// left alone, so ordinary names print unchanged.
func termSafe(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r, size):
			q := strconv.QuoteRune(r) // '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// termText is termSafe for text of several lines: each line is made safe
// and the newlines are kept.
func termText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termSafe(l)
	}
	return strings.Join(lines, "\n")
}

func unsafeRune(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1: // not UTF-8
		return true
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi marks and overrides
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	}
	return nil
}

// modelFlags are the -model, -labels, -card and -verify flags that
// classify, tag and eval share.
type modelFlags struct {
	model, labels, card *string
	verify              *optBool
	maxMemory           *string
}

// optBool is a boolean flag that remembers whether it was given.
type optBool struct{ set, v bool }

func (b *optBool) String() string   { return strconv.FormatBool(b.v) }
func (b *optBool) IsBoolFlag() bool { return true }
func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.set, b.v = true, v
	return nil
}

func addModelFlags(fs *flag.FlagSet) modelFlags {
	return modelFlags{
		model:     fs.String("model", "", "ONNX model or compiled bundle (default: the shipped MobileNetV2)"),
		labels:    fs.String("labels", "", "labels file, one per line"),
		card:      fs.String("card", "", "model card JSON"),
		verify:    flagOptBool(fs, "verify", "check the optimised program against the reference first and use the unoptimised one if they differ (default: on for -model)"),
		maxMemory: fs.String("max-memory", "", "refuse a model whose program needs more memory than this (e.g. 512MB, 2GB; default 1GB)"),
	}
}

// parseBytes reads a size such as 512MB, 2GB, 1.5GiB or a plain byte count.
func parseBytes(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) || v*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("-max-memory %q: want a size such as 512MB or 2GB", s)
	}
	return int64(v * float64(mult)), nil
}

func flagOptBool(fs *flag.FlagSet, name, usage string) *optBool {
	b := &optBool{}
	fs.Var(b, name, usage)
	return b
}

func (m modelFlags) files() (model.Files, error) {
	f, err := readModelFiles(*m.model, *m.labels, *m.card)
	if err != nil {
		return f, err
	}
	if m.maxMemory != nil && *m.maxMemory != "" {
		if f.MaxMemory, err = parseBytes(*m.maxMemory); err != nil {
			return f, err
		}
	}
	return f, nil
}

// load reads and loads the model; with -verify, a fallback to the
// unoptimised program is reported on stderr.
func (m modelFlags) load(stderr io.Writer) (*model.Classifier, error) {
	f, err := m.files()
	if err != nil {
		return nil, err
	}
	f.Verify = *m.model != "" // a user's model: check it; the shipped one is tested
	if m.verify.set {
		f.Verify = m.verify.v
	}
	c, err := model.Load(f)
	if err != nil {
		return nil, err
	}
	if n := c.Notice(); n != "" {
		fmt.Fprintf(stderr, "glimpse: %s: %s\n", termSafe(c.Name), termSafe(n))
	}
	return c, nil
}

// readModelFiles gathers the model, its labels and its card. Labels and a
// card beside the model (labels.txt, NAME.card.json or card.json) are used
// when no flag names them.
func readModelFiles(modelPath, labelsPath, cardPath string) (model.Files, error) {
	var f model.Files
	isDefault := modelPath == ""
	if isDefault {
		for _, dir := range defaultModelDirs {
			p := filepath.Join(dir, "model.onnx")
			if _, err := os.Stat(p); err == nil {
				modelPath = p
				break
			}
		}
		if modelPath == "" {
			return f, fmt.Errorf("default model not found in %s: run 'make models' or pass -model", strings.Join(defaultModelDirs, " or "))
		}
	}
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return f, fmt.Errorf("model: %v", pathErr(err))
	}
	f.Model, f.Name = data, filepath.Base(modelPath)
	if isDefault {
		f.Name = card.Default().Name
	}
	dir := filepath.Dir(modelPath)
	if labelsPath == "" {
		if p := filepath.Join(dir, "labels.txt"); exists(p) {
			labelsPath = p
		}
	}
	if labelsPath != "" {
		if f.Labels, err = os.ReadFile(labelsPath); err != nil {
			return f, fmt.Errorf("labels: %v", pathErr(err))
		}
	}
	if cardPath == "" {
		cardPath = cardBeside(modelPath)
	}
	switch {
	case cardPath != "":
		if f.Card, err = os.ReadFile(cardPath); err != nil {
			return f, fmt.Errorf("card: %v", pathErr(err))
		}
	case isDefault:
		f.Card = card.DefaultJSON()
	}
	return f, nil
}

// cardBeside is the card file next to a model (NAME.card.json or
// card.json), or "".
func cardBeside(modelPath string) string {
	dir := filepath.Dir(modelPath)
	base := strings.TrimSuffix(filepath.Base(modelPath), filepath.Ext(modelPath))
	for _, p := range []string{filepath.Join(dir, base+".card.json"), filepath.Join(dir, "card.json")} {
		if exists(p) {
			return p
		}
	}
	return ""
}

// inputShapes checks the -input-shape flags of cmd against g and fills in
// what the classifier would use for symbolic image sizes (the card beside
// the model, else 224) where no flag was given.
func inputShapes(cmd, modelPath string, g *graph.Graph, shapes shapeFlags) error {
	name := filepath.Base(modelPath)
	for in := range shapes {
		if !hasInput(g.Inputs, in) {
			return usageError{fmt.Sprintf("%s: %s has no input %q", cmd, name, in)}
		}
	}
	var cardJSON []byte
	if p := cardBeside(modelPath); p != "" {
		cardJSON, _ = os.ReadFile(p) // a card that cannot be read: the derived default
	}
	for in, shape := range model.InputShapes(g, cardJSON) {
		if _, given := shapes[in]; !given {
			shapes[in] = shape
		}
	}
	return nil
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

// jsonResult is one line of classify -json. JSON has no NaN or infinity
// (encoding/json fails on them, which used to abort the run), so a score
// that is not a finite number is written as "prob": null with "nonfinite"
// naming it ("NaN", "+Inf" or "-Inf"; see tag.Score), and the photo gets a
// "warning" saying what the model produced. Both fields are absent for a
// model that works, so such output is unchanged.
type jsonResult struct {
	File    string      `json:"file"`
	Top     []tag.Score `json:"top"`
	Ms      float64     `json:"ms"`
	Warning string      `json:"warning,omitempty"`
}

func classify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify")
	mf := addModelFlags(fs)
	top := fs.Int("top", 5, "how many labels to print")
	asJSON := fs.Bool("json", false, "print one JSON object per photo")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"classify: no photos given"}
	}
	if *top < 1 {
		return usageError{"classify: -top must be at least 1"}
	}
	c, err := mf.load(stderr)
	if err != nil {
		return err
	}
	failed := 0
	enc := json.NewEncoder(stdout)
	for _, photo := range fs.Args() {
		res, ms, warning, err := classifyFile(c, photo, *top)
		if err != nil {
			fmt.Fprintf(stderr, "glimpse: %s: %v\n", termSafe(photo), oneLine(err))
			failed++
			continue
		}
		if warning != "" { // every photo is still written; the exit status tells
			fmt.Fprintf(stderr, "glimpse: warning: %s: %s\n", termSafe(photo), warning)
			failed++
		}
		if *asJSON {
			if err := enc.Encode(jsonResult{File: photo, Top: tag.Scores(res), Ms: ms, Warning: warning}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%s (%.1f ms)\n", termSafe(photo), ms)
		for _, r := range res {
			fmt.Fprintf(stdout, "  %s  %s\n", percent(r.Prob), termSafe(r.Label))
		}
	}
	if failed > 0 {
		return errReported // each failure already has its own line
	}
	return nil
}

// percent is a probability as " 87.25%", or NaN, +Inf or -Inf as such in
// the same width: a broken model's scores are shown, not hidden.
func percent(p float32) string {
	if nf := tag.NonFinite(p); nf != "" {
		return fmt.Sprintf("%7s", nf)
	}
	return fmt.Sprintf("%6.2f%%", 100*p)
}

// classifyFile classifies one photo: its top k, the time it took, and a
// warning when the model's scores are not all finite numbers.
func classifyFile(c *model.Classifier, path string, k int) ([]vision.Result, float64, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, 0, "", pe.Err
		}
		return nil, 0, "", err
	}
	t0 := time.Now()
	img, _, err := imagefile.Decode(data)
	if err != nil {
		return nil, 0, "", err
	}
	res, _, err := c.Classify(img, k)
	ms := float64(time.Since(t0).Microseconds()) / 1000
	if err != nil {
		return nil, ms, "", err
	}
	return res, ms, scoreWarning(c), nil
}

func infer(args []string, stdout io.Writer) error {
	fs := newFlags("infer")
	modelPath := fs.String("model", "", "ONNX model")
	inPath := fs.String("input", "", "raw little-endian float32 for the first input")
	outPath := fs.String("output", "", "where to write the first output as raw little-endian float32")
	runs := fs.Int("runs", 1, "run this many times and report the median time")
	profile := fs.Bool("profile", false, "print time per op type")
	workers := fs.Int("workers", 1, "also run this many copies of the program at once, -runs each, and report the throughput (images per second over all cores)")
	shapes := shapeFlags{}
	fs.Var(shapes, "input-shape", "fix an input's shape: name=1,3,224,224 (repeatable; symbolic image sizes default to the card's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *workers < 1 {
		return usageError{"infer: -workers must be at least 1"}
	}
	if *modelPath == "" || *inPath == "" || *outPath == "" {
		return usageError{"infer: -model, -input and -output are required"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("infer: unexpected argument %q", fs.Arg(0))}
	}
	if *runs < 1 {
		return usageError{"infer: -runs must be at least 1"}
	}
	data, err := os.ReadFile(*modelPath)
	if err != nil {
		return fmt.Errorf("model: %v", pathErr(err))
	}
	name := termSafe(filepath.Base(*modelPath))
	g, err := model.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if err := inputShapes("infer", *modelPath, g, shapes); err != nil {
		return err
	}
	p, err := cpu.Compile(g, cpu.Options{InputShapes: shapes})
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if len(p.Inputs) == 0 || len(p.Outputs) == 0 {
		return fmt.Errorf("%s: the model needs an input and an output", name)
	}
	raw, err := os.ReadFile(*inPath)
	if err != nil {
		return fmt.Errorf("input: %v", pathErr(err))
	}
	in := p.Inputs[0]
	if len(raw) != 4*len(in.F) {
		return fmt.Errorf("input: %s has %d bytes; input %q %v needs %d float32 (%d bytes)", *inPath, len(raw), p.Names.Inputs[0], in.Shape, len(in.F), 4*len(in.F))
	}
	for i := range in.F {
		in.F[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	if *profile {
		p.EnableProfile()
	}
	times := make([]float64, 0, *runs)
	for r := 0; r < *runs; r++ {
		t0 := time.Now()
		if err := p.Execute(); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		times = append(times, float64(time.Since(t0).Microseconds())/1000)
	}
	out := p.Outputs[0]
	buf := make([]byte, 0, 4*out.Len())
	switch out.DType {
	case 1: // float32
		for _, v := range out.F {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	default:
		for _, v := range out.AsFloats() {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	if err := os.WriteFile(*outPath, buf, 0o644); err != nil {
		return fmt.Errorf("output: %v", pathErr(err))
	}
	sort.Float64s(times)
	fmt.Fprintf(stdout, "%s: input %q %v -> output %q %v; %d runs, median %.2f ms\n", name, p.Names.Inputs[0], in.Shape,
		p.Names.Outputs[0], out.Shape, *runs, times[len(times)/2])
	if *profile {
		fmt.Fprint(stdout, p.ProfileTable())
	}
	if *workers > 1 {
		ms, err := throughput(g, shapes, in.F, *workers, *runs)
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		fmt.Fprintf(stdout, "%s: %d workers, %d runs each: %.1f images/s, %.2f ms per image\n", name, *workers, *runs, 1000/ms, ms)
	}
	return nil
}

// throughput runs workers programs of g at once, runs times each on the
// same input, and returns the wall time per image in ms.
func throughput(g *graph.Graph, shapes map[string][]int, input []float32, workers, runs int) (float64, error) {
	ps := make([]*cpu.Program, workers)
	for i := range ps {
		p, err := cpu.Compile(g, cpu.Options{InputShapes: shapes})
		if err != nil {
			return 0, err
		}
		copy(p.Inputs[0].F, input)
		if err := p.Execute(); err != nil { // warm-up
			return 0, err
		}
		ps[i] = p
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range runs {
				if err := p.Execute(); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return float64(time.Since(t0).Microseconds()) / 1000 / float64(workers*runs), nil
}
