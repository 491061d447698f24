// Command synthset writes a synth data set as PNG files, one folder per
// class (or, with -multi, photos and a labels.csv), for trying
// `glimpse train` and `glimpse eval` by hand.
package main

import (
	"flag"
	"fmt"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/glimpse/glimpse/model/train/synth"
)

func main() {
	out := flag.String("out", "", "folder to write")
	seed := flag.Uint64("seed", 1, "seed")
	k := flag.Int("k", 8, "classes")
	n := flag.Int("n", 20, "photos per class (single-label) or in all (-multi)")
	size := flag.Int("size", 128, "image size")
	multi := flag.Bool("multi", false, "multi-label photos with a labels.csv")
	flag.Parse()
	if *out == "" {
		log.Fatal("synthset: -out is required")
	}
	names := synth.Classes()
	var ex []synth.Example
	if *multi {
		ex = synth.Multi(*seed, *k, *n, *size)
	} else {
		ex = synth.Single(*seed, *k, *n, *size)
	}
	var csv strings.Builder
	for i, e := range ex {
		dir := *out
		if !*multi {
			dir = filepath.Join(*out, names[e.Classes[0]])
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		name := fmt.Sprintf("%04d.png", i)
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			log.Fatal(err)
		}
		if err := png.Encode(f, e.Image); err != nil {
			log.Fatal(err)
		}
		f.Close()
		var ls []string
		for _, c := range e.Classes {
			ls = append(ls, names[c])
		}
		fmt.Fprintf(&csv, "%s,%s\n", name, strings.Join(ls, ";"))
	}
	if *multi {
		if err := os.WriteFile(filepath.Join(*out, "labels.csv"), []byte("file,labels\n"+csv.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
