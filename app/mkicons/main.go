// Command mkicons draws Glimpse's app icons (a lens over a dark tile) as
// PNGs, so the PWA ships local icons, including a maskable 512 px one.
//
//	go run ./app/mkicons -out web/icons
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

var (
	bg    = color.NRGBA{0x10, 0x14, 0x1a, 0xff}
	ring  = color.NRGBA{0x3d, 0xd6, 0xb0, 0xff}
	pupil = color.NRGBA{0xf2, 0xf5, 0xf8, 0xff}
	glint = color.NRGBA{0x10, 0x14, 0x1a, 0xff}
)

// draw renders the icon at size px; content scales the glyph (maskable icons
// keep it inside the central safe zone) and rounded gives the tile corners.
func draw(size int, content float64, rounded bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	c := s / 2
	radius := 0.22 * s
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			// 4x4 supersampling for smooth edges
			var acc [4]float64
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					px, py := float64(x)+(float64(sx)+0.5)/4, float64(y)+(float64(sy)+0.5)/4
					col, a := shade(px, py, s, c, radius, content, rounded)
					acc[0] += float64(col.R) * a
					acc[1] += float64(col.G) * a
					acc[2] += float64(col.B) * a
					acc[3] += a
				}
			}
			if acc[3] == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(acc[0] / acc[3]), uint8(acc[1] / acc[3]), uint8(acc[2] / acc[3]), uint8(255 * acc[3] / 16)})
		}
	}
	return img
}

func shade(px, py, s, c, radius, content float64, rounded bool) (color.NRGBA, float64) {
	if rounded { // rounded-square tile
		dx := math.Max(math.Abs(px-c)-(c-radius), 0)
		dy := math.Max(math.Abs(py-c)-(c-radius), 0)
		if dx*dx+dy*dy > radius*radius {
			return color.NRGBA{}, 0
		}
	}
	d := math.Hypot(px-c, py-c) / (s / 2 * content)
	switch {
	case d > 0.58 && d < 0.74:
		return ring, 1
	case d < 0.36:
		g := math.Hypot(px-(c-0.12*s*content), py-(c-0.12*s*content)) / (s / 2 * content)
		if g < 0.09 {
			return glint, 1
		}
		return pupil, 1
	}
	return bg, 1
}

func main() {
	out := flag.String("out", "web/icons", "output directory")
	flag.Parse()
	icons := []struct {
		name    string
		size    int
		content float64
		rounded bool
	}{
		{"icon-192.png", 192, 1, true},
		{"icon-512.png", 512, 1, true},
		{"maskable-512.png", 512, 0.72, false}, // glyph inside the 80% safe zone
	}
	for _, ic := range icons {
		f, err := os.Create(filepath.Join(*out, ic.name))
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkicons:", err)
			os.Exit(1)
		}
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(f, paletted(draw(ic.size, ic.content, ic.rounded))); err != nil {
			fmt.Fprintln(os.Stderr, "mkicons:", err)
			os.Exit(1)
		}
		f.Close()
	}
}

// paletted is img with its exact colours as a palette when it has at most
// 256 (the icons have a few dozen: flat fills and their anti-aliased
// edges), which makes the PNGs less than half the size, losslessly: they
// are part of every first visit (the service worker precaches them).
func paletted(img *image.NRGBA) image.Image {
	index := map[color.NRGBA]uint8{}
	var pal color.Palette
	r := img.Bounds()
	p := image.NewPaletted(r, nil)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.NRGBAAt(x, y)
			i, ok := index[c]
			if !ok {
				if len(pal) == 256 {
					return img
				}
				i = uint8(len(pal))
				index[c] = i
				pal = append(pal, c)
			}
			p.SetColorIndex(x, y, i)
		}
	}
	p.Palette = pal
	return p
}
