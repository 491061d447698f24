// Package imagefile decodes image files for the command line: JPEG (with
// its EXIF orientation applied), PNG, GIF, BMP, WebP and TIFF, with size
// limits, panics turned into errors. The browser decodes images itself, so
// the engine it runs does not link these decoders.
//
// It is pure Go (no cgo, no syscall/js).
package imagefile

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Limits applied by Decode before an image is fully decoded, to guard
// against decompression bombs (tiny files that declare huge dimensions).
const (
	MaxDimension = 16384       // maximum width or height in pixels
	MaxPixels    = 100_000_000 // maximum width*height
)

// format describes one supported container format.
type format struct {
	name         string
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
}

var (
	fmtJPEG = format{"jpeg", jpeg.Decode, jpeg.DecodeConfig}
	fmtPNG  = format{"png", png.Decode, png.DecodeConfig}
	fmtGIF  = format{"gif", gif.Decode, gif.DecodeConfig} // gif.Decode returns the first frame
	fmtBMP  = format{"bmp", bmp.Decode, bmp.DecodeConfig}
	fmtWebP = format{"webp", webp.Decode, webp.DecodeConfig}
	fmtTIFF = format{"tiff", tiff.Decode, tiff.DecodeConfig}
)

// sniff identifies the container format from its magic bytes.
func sniff(b []byte) (format, bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return fmtJPEG, true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return fmtPNG, true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return fmtGIF, true
	case bytes.HasPrefix(b, []byte("BM")):
		return fmtBMP, true
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return fmtWebP, true
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return fmtTIFF, true
	}
	return format{}, false
}

// Decode decodes a JPEG, PNG, GIF (first frame), BMP, WebP or TIFF image and
// returns it together with its format name ("jpeg", "png", "gif", "bmp",
// "webp", "tiff").
//
// For JPEG (EXIF APP1 segment) and TIFF the Orientation tag (1-8) is honoured:
// the returned image is upright, so its width and height are swapped for
// orientations 5-8. Oriented images are returned as *image.RGBA; otherwise the
// decoder's native image type is returned.
//
// Images whose declared size exceeds MaxDimension or MaxPixels are rejected
// before any pixel data is decoded. Every failure (empty input, unknown
// format, truncated or corrupt data, zero-sized image, even a panic inside a
// third-party decoder) is reported as a one-line error; Decode never panics.
func Decode(data []byte) (img image.Image, name string, err error) {
	if len(data) == 0 {
		return nil, "", errors.New("vision: empty image file")
	}
	f, ok := sniff(data)
	if !ok {
		return nil, "", errors.New("vision: unknown image format (supported: JPEG, PNG, GIF, BMP, WebP, TIFF)")
	}
	name = f.name
	defer func() {
		if r := recover(); r != nil {
			img = nil
			err = fmt.Errorf("vision: corrupt %s image (decoder panic: %v)", name, r)
		}
	}()

	cfg, err := f.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, name, decodeErr(name, err)
	}
	if err := checkSize(name, cfg.Width, cfg.Height); err != nil {
		return nil, name, err
	}

	img, err = f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, name, decodeErr(name, err)
	}
	if img == nil {
		return nil, name, fmt.Errorf("vision: corrupt %s image (decoder returned no image)", name)
	}
	b := img.Bounds()
	if err := checkSize(name, b.Dx(), b.Dy()); err != nil {
		return nil, name, err
	}

	var orient int
	switch name {
	case "jpeg":
		orient = jpegOrientation(data)
	case "tiff":
		orient = tiffOrientation(data)
	}
	if orient > 1 {
		img = Orient(img, orient)
	}
	return img, name, nil
}

func decodeErr(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("vision: truncated %s image: %v", name, err)
	}
	return fmt.Errorf("vision: corrupt or truncated %s image: %v", name, err)
}

func checkSize(name string, w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("vision: %s image has zero width or height (%dx%d)", name, w, h)
	}
	if w > MaxDimension || h > MaxDimension || int64(w)*int64(h) > MaxPixels {
		return fmt.Errorf("vision: %s image too large: %dx%d exceeds the limit of %d pixels per side and %d pixels in total",
			name, w, h, MaxDimension, MaxPixels)
	}
	return nil
}

// Orient returns img transformed according to the EXIF/TIFF Orientation value
// o (1-8) so that it is upright. For o == 1 or an out-of-range value img is
// returned unchanged; otherwise the result is a new *image.RGBA whose bounds
// start at (0,0).
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	src, ok := img.(*image.RGBA)
	if !ok || b.Min != (image.Point{}) {
		src = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(src, src.Rect, img, b.Min, draw.Src)
	}
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := 0; x < w; x++ {
			// Where the stored pixel (x,y) lands in the upright image. From
			// the EXIF spec: o=2 row 0 top / column 0 right; 3 bottom/right;
			// 4 bottom/left; 5 row 0 left / column 0 top; 6 right/top;
			// 7 right/bottom; 8 left/bottom.
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}

// jpegOrientation returns the EXIF Orientation (1-8) of a JPEG stream, or 0
// if there is none or it cannot be parsed. Only the marker segments before
// the first SOS are scanned.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 0
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7): // no length
			i += 2
			continue
		case marker == 0xDA || marker == 0xD9: // SOS or EOI: no more metadata
			return 0
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 0
}

// tiffOrientation parses a TIFF header (as found in a TIFF file or in the
// payload of an EXIF APP1 segment, either byte order) and returns the
// Orientation tag (0x0112) of IFD0, or 0 if absent or invalid.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var u16 func([]byte) uint16
	var u32 func([]byte) uint32
	switch string(t[:2]) {
	case "II":
		u16 = func(p []byte) uint16 { return uint16(p[0]) | uint16(p[1])<<8 }
		u32 = func(p []byte) uint32 { return uint32(u16(p)) | uint32(u16(p[2:]))<<16 }
	case "MM":
		u16 = func(p []byte) uint16 { return uint16(p[1]) | uint16(p[0])<<8 }
		u32 = func(p []byte) uint32 { return uint32(u16(p))<<16 | uint32(u16(p[2:])) }
	default:
		return 0
	}
	if u16(t[2:]) != 42 {
		return 0
	}
	off := uint64(u32(t[4:]))
	if off+2 > uint64(len(t)) {
		return 0
	}
	count := uint64(u16(t[off:]))
	for k := uint64(0); k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > uint64(len(t)) {
			return 0
		}
		entry := t[e : e+12]
		if u16(entry) != 0x0112 {
			continue
		}
		typ, n := u16(entry[2:]), u32(entry[4:])
		if n != 1 {
			return 0
		}
		var v uint32
		switch typ {
		case 3: // SHORT, left-justified in the value field
			v = uint32(u16(entry[8:]))
		case 4: // LONG (non-standard, tolerated)
			v = u32(entry[8:])
		default:
			return 0
		}
		if v >= 1 && v <= 8 {
			return int(v)
		}
		return 0
	}
	return 0
}
