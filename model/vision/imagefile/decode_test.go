package imagefile

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// sharedDir is /work/shared (read-only real data) relative to this package.
const sharedDir = "../../../../shared"

// testImages is the repository's committed test images directory.
const testImages = "../../../testdata/images"

// shared returns the path of rel inside the shared data folder, skipping the
// test if that folder is not available.
func shared(t testing.TB, rel string) string {
	t.Helper()
	dir := filepath.Join(sharedDir, filepath.Dir(rel))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data folder %s not available (%v); skipping test that needs real data", dir, err)
	}
	return filepath.Join(sharedDir, rel)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
	white = color.RGBA{255, 255, 255, 255}
)

// quad returns a w x h image whose quadrants are red (top-left), green
// (top-right), blue (bottom-left) and white (bottom-right).
func quad(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := white
			switch {
			case x < w/2 && y < h/2:
				c = red
			case y < h/2:
				c = green
			case x < w/2:
				c = blue
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

// quadrants samples the centre of each quadrant: TL, TR, BL, BR.
func quadrants(m image.Image) [4]color.RGBA {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	pts := [4]image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}}
	var out [4]color.RGBA
	for i, p := range pts {
		out[i] = color.RGBAModel.Convert(m.At(b.Min.X+p.X, b.Min.Y+p.Y)).(color.RGBA)
	}
	return out
}

func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func checkQuadrants(t *testing.T, m image.Image, want [4]color.RGBA, tol int) {
	t.Helper()
	got := quadrants(m)
	for i := range got {
		if !near(got[i], want[i], tol) {
			t.Errorf("quadrant %d (TL,TR,BL,BR) = %v, want %v (±%d); all: %v", i, got[i], want[i], tol, got)
			return
		}
	}
}

func TestDecodePhotos(t *testing.T) {
	dir := shared(t, "photos/x")
	dir = filepath.Dir(dir)
	// Sizes as reported by file(1).
	want := map[string]struct {
		w, h   int
		format string
		orient int // EXIF orientation tag as reported by file(1); 0 = none
	}{
		"bird.bmp":                    {512, 343, "bmp", 0},
		"cat.bmp":                     {512, 341, "bmp", 0},
		"chelsea.png":                 {451, 300, "png", 0},
		"coffee.png":                  {600, 400, "png", 0},
		"dog.jpg":                     {768, 576, "jpeg", 1}, // big-endian EXIF
		"dragonfly.bmp":               {512, 418, "bmp", 0},
		"eagle.jpg":                   {773, 512, "jpeg", 1}, // big-endian EXIF
		"grace_hopper.bmp":            {512, 600, "bmp", 0},
		"hot_dog.jpg":                 {512, 384, "jpeg", 1}, // little-endian EXIF
		"missvickie_potato_chips.bmp": {500, 500, "bmp", 0},
		"motorcycle_left.png":         {741, 500, "png", 0},
		"parrot.jpg":                  {512, 929, "jpeg", 1}, // little-endian EXIF
		"rocket.jpg":                  {640, 427, "jpeg", 0}, // JFIF, no EXIF
		"sunflower.bmp":               {512, 340, "bmp", 0},
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		name := e.Name()
		switch strings.ToLower(filepath.Ext(name)) {
		case ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff":
		default:
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			data := readFile(t, filepath.Join(dir, name))
			img, format, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			w, ok := want[name]
			if !ok {
				t.Fatalf("photo %s is not in the test table: decoded %s %dx%d", name, format, img.Bounds().Dx(), img.Bounds().Dy())
			}
			if format != w.format {
				t.Errorf("format = %q, want %q", format, w.format)
			}
			if b := img.Bounds(); b.Dx() != w.w || b.Dy() != w.h {
				t.Errorf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), w.w, w.h)
			}
			if w.format == "jpeg" {
				if o := jpegOrientation(data); o != w.orient {
					t.Errorf("EXIF orientation = %d, want %d", o, w.orient)
				}
			}
		})
	}
	if seen < len(want) {
		t.Errorf("found %d photos in %s, want at least %d", seen, dir, len(want))
	}
}

func encode(t *testing.T, m image.Image, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	encJPEG  = func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, &jpeg.Options{Quality: 95}) }
	encPNG   = func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }
	encGIF   = func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }
	encBMP   = func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }
	encTIFF  = func(b *bytes.Buffer, m image.Image) error { return tiff.Encode(b, m, nil) }
	encTIFFZ = func(b *bytes.Buffer, m image.Image) error {
		return tiff.Encode(b, m, &tiff.Options{Compression: tiff.Deflate, Predictor: true})
	}
)

func TestDecodeFormats(t *testing.T) {
	q := quad(64, 48)
	upright := [4]color.RGBA{red, green, blue, white}
	tests := []struct {
		name   string
		data   []byte
		format string
		w, h   int
		tol    int
		want   [4]color.RGBA
	}{
		{"jpeg", encode(t, q, encJPEG), "jpeg", 64, 48, 24, upright},
		{"png", encode(t, q, encPNG), "png", 64, 48, 0, upright},
		{"gif", encode(t, q, encGIF), "gif", 64, 48, 0, upright},
		{"bmp", encode(t, q, encBMP), "bmp", 64, 48, 0, upright},
		{"tiff", encode(t, q, encTIFF), "tiff", 64, 48, 0, upright},
		{"tiff-deflate", encode(t, q, encTIFFZ), "tiff", 64, 48, 0, upright},
		{"webp-lossless", readFile(t, filepath.Join(testImages, "quad_lossless.webp")), "webp", 32, 24, 0, upright},
		{"webp-lossy", readFile(t, filepath.Join(testImages, "quad_lossy.webp")), "webp", 32, 24, 40, upright},
		// White at alpha 128, read back as premultiplied RGBA.
		{"webp-alpha", readFile(t, filepath.Join(testImages, "quad_alpha.webp")), "webp", 32, 24, 40,
			[4]color.RGBA{red, green, blue, {128, 128, 128, 128}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, format, err := Decode(tc.data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if format != tc.format {
				t.Errorf("format = %q, want %q", format, tc.format)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.w, tc.h)
			}
			checkQuadrants(t, img, tc.want, tc.tol)
		})
	}
}

// Where each stored quadrant colour ends up, per orientation, derived from
// the EXIF 2.3 table ("0th row is at the visual ..., 0th column is at the
// visual ...") for a stored image red|green over blue|white.
var orientWant = [9][4]color.RGBA{
	1: {red, green, blue, white},
	2: {green, red, white, blue}, // row0 top, col0 right
	3: {white, blue, green, red}, // row0 bottom, col0 right
	4: {blue, white, red, green}, // row0 bottom, col0 left
	5: {red, blue, green, white}, // row0 left, col0 top
	6: {blue, red, white, green}, // row0 right, col0 top
	7: {white, green, blue, red}, // row0 right, col0 bottom
	8: {green, white, red, blue}, // row0 left, col0 bottom
}

// exifSegment builds an APP1 "Exif\0\0" segment holding a TIFF header and
// IFD0 with a Make tag and an Orientation tag.
func exifSegment(order binary.AppendByteOrder, orient uint16) []byte {
	var t []byte
	if order == binary.LittleEndian {
		t = append(t, 'I', 'I')
	} else {
		t = append(t, 'M', 'M')
	}
	t = order.AppendUint16(t, 42)
	t = order.AppendUint32(t, 8)
	t = order.AppendUint16(t, 2) // entries
	// 0x010F Make, ASCII, 4 bytes inline.
	t = order.AppendUint16(t, 0x010F)
	t = order.AppendUint16(t, 2)
	t = order.AppendUint32(t, 4)
	t = append(t, 'a', 'b', 'c', 0)
	// 0x0112 Orientation, SHORT, 1 value, left-justified.
	t = order.AppendUint16(t, 0x0112)
	t = order.AppendUint16(t, 3)
	t = order.AppendUint32(t, 1)
	t = order.AppendUint16(t, orient)
	t = append(t, 0, 0)
	t = order.AppendUint32(t, 0) // next IFD
	payload := append([]byte("Exif\x00\x00"), t...)
	return appSegment(0xE1, payload)
}

func appSegment(marker byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

// withSegments inserts segments right after the SOI marker of a JPEG.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func TestEXIFOrientation(t *testing.T) {
	base := encode(t, quad(64, 48), encJPEG)
	jfif := appSegment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	xmp := appSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			t.Run(order.String()+"/"+string(rune('0'+o)), func(t *testing.T) {
				data := withSegments(base, jfif, xmp, exifSegment(order, uint16(o)))
				if got := jpegOrientation(data); got != o {
					t.Fatalf("jpegOrientation = %d, want %d", got, o)
				}
				img, format, err := Decode(data)
				if err != nil {
					t.Fatal(err)
				}
				if format != "jpeg" {
					t.Errorf("format = %q", format)
				}
				w, h := 64, 48
				if o >= 5 {
					w, h = 48, 64
				}
				if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
					t.Fatalf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
				}
				checkQuadrants(t, img, orientWant[o], 24)
			})
		}
	}
}

func TestEXIFOrientationInvalid(t *testing.T) {
	base := encode(t, quad(64, 48), encJPEG)
	tests := map[string][]byte{
		"orientation 0": withSegments(base, exifSegment(binary.BigEndian, 0)),
		"orientation 9": withSegments(base, exifSegment(binary.LittleEndian, 9)),
		"bad TIFF magic": withSegments(base, appSegment(0xE1,
			[]byte("Exif\x00\x00II\x2B\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"))),
		"IFD offset past end": withSegments(base, appSegment(0xE1,
			[]byte("Exif\x00\x00MM\x00\x2A\x7F\xFF\xFF\xFF"))),
		"entry count past end": withSegments(base, appSegment(0xE1,
			[]byte("Exif\x00\x00MM\x00\x2A\x00\x00\x00\x08\xFF\xFF\x01\x12"))),
		"short segment": withSegments(base, appSegment(0xE1, []byte("Exif"))),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if o := jpegOrientation(data); o != 0 {
				t.Errorf("jpegOrientation = %d, want 0", o)
			}
			img, _, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 48 {
				t.Errorf("size = %v, want unrotated 64x48", b)
			}
		})
	}
}

// rawTIFF writes an uncompressed 8-bit RGB TIFF by hand, with an
// Orientation tag (x/image/tiff's encoder cannot write one).
func rawTIFF(m *image.RGBA, order binary.AppendByteOrder, orient uint16) []byte {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	const nEntries = 10
	ifdEnd := 8 + 2 + 12*nEntries + 4
	bpsOff := ifdEnd
	dataOff := bpsOff + 6
	var b []byte
	if order == binary.LittleEndian {
		b = append(b, 'I', 'I')
	} else {
		b = append(b, 'M', 'M')
	}
	b = order.AppendUint16(b, 42)
	b = order.AppendUint32(b, 8)
	b = order.AppendUint16(b, nEntries)
	short := func(tag, v uint16) {
		b = order.AppendUint16(b, tag)
		b = order.AppendUint16(b, 3)
		b = order.AppendUint32(b, 1)
		b = order.AppendUint16(b, v)
		b = append(b, 0, 0)
	}
	long := func(tag uint16, v uint32) {
		b = order.AppendUint16(b, tag)
		b = order.AppendUint16(b, 4)
		b = order.AppendUint32(b, 1)
		b = order.AppendUint32(b, v)
	}
	short(256, uint16(w))          // ImageWidth
	short(257, uint16(h))          // ImageLength
	b = order.AppendUint16(b, 258) // BitsPerSample 8,8,8 at bpsOff
	b = order.AppendUint16(b, 3)
	b = order.AppendUint32(b, 3)
	b = order.AppendUint32(b, uint32(bpsOff))
	short(259, 1)                // Compression: none
	short(262, 2)                // PhotometricInterpretation: RGB
	long(273, uint32(dataOff))   // StripOffsets
	short(274, orient)           // Orientation
	short(277, 3)                // SamplesPerPixel
	short(278, uint16(h))        // RowsPerStrip
	long(279, uint32(w*h*3))     // StripByteCounts
	b = order.AppendUint32(b, 0) // next IFD
	for i := 0; i < 3; i++ {
		b = order.AppendUint16(b, 8)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := m.RGBAAt(x, y)
			b = append(b, c.R, c.G, c.B)
		}
	}
	return b
}

func TestTIFFOrientation(t *testing.T) {
	q := quad(16, 12)
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			t.Run(order.String()+"/"+string(rune('0'+o)), func(t *testing.T) {
				img, format, err := Decode(rawTIFF(q, order, uint16(o)))
				if err != nil {
					t.Fatal(err)
				}
				if format != "tiff" {
					t.Errorf("format = %q", format)
				}
				w, h := 16, 12
				if o >= 5 {
					w, h = 12, 16
				}
				if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
					t.Fatalf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
				}
				checkQuadrants(t, img, orientWant[o], 0)
			})
		}
	}
}

// Orient on a non-RGBA source with a non-zero origin.
func TestOrientSubImage(t *testing.T) {
	big := image.NewNRGBA(image.Rect(-5, -5, 30, 30))
	q := quad(8, 6)
	for y := 0; y < 6; y++ {
		for x := 0; x < 8; x++ {
			big.Set(10+x, 20+y, q.At(x, y))
		}
	}
	sub := big.SubImage(image.Rect(10, 20, 18, 26))
	for o := 1; o <= 8; o++ {
		got := Orient(sub, o)
		checkQuadrants(t, got, orientWant[o], 0)
	}
}

func pngWithSize(w, h uint32) []byte {
	var ihdr []byte
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
	return b
}

func gifWithSize(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0, ';')
}

func bmpWithSize(w, h int32) []byte {
	b := []byte("BM")
	b = binary.LittleEndian.AppendUint32(b, 54)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 54)
	b = binary.LittleEndian.AppendUint32(b, 40)
	b = binary.LittleEndian.AppendUint32(b, uint32(w))
	b = binary.LittleEndian.AppendUint32(b, uint32(h))
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 24)
	return append(b, make([]byte, 24)...)
}

func jpegWithSize(w, h uint16) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}
	// SOS: image/jpeg's DecodeConfig reads up to here for non-JFIF files.
	b = append(b, 0xFF, 0xDA, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
	return append(b, 0xFF, 0xD9)
}

func TestDecodeErrors(t *testing.T) {
	type tc struct {
		name string
		data []byte
		want string // substring of the error
	}
	tests := []tc{
		{"nil", nil, "empty image file"},
		{"empty", []byte{}, "empty image file"},
		{"garbage", []byte("this is not an image at all"), "unknown image format"},
		{"zeros", make([]byte, 100), "unknown image format"},
		{"jpeg magic only", []byte{0xFF, 0xD8, 0xFF}, "jpeg"},
		{"png magic only", []byte("\x89PNG\r\n\x1a\n"), "truncated png"},
		{"png bad crc", append(pngWithSize(10, 10)[:29], 0, 0, 0, 0), "invalid checksum"},
		{"png huge", pngWithSize(100000, 100000), "too large"},
		{"png too wide", pngWithSize(20000, 10), "too large"},
		{"png too many pixels", pngWithSize(15000, 15000), "too large"},
		{"png zero width", pngWithSize(0, 10), "png"},
		{"gif huge", gifWithSize(65535, 65535), "too large"},
		{"gif zero size", gifWithSize(0, 0), "gif"},
		{"bmp huge", bmpWithSize(100000, 100000), "too large"},
		{"bmp huge top-down", bmpWithSize(100000, -100000), "too large"},
		{"jpeg huge", jpegWithSize(65535, 65535), "too large"},
		{"jpeg zero width", jpegWithSize(0, 10), "jpeg"},
		{"webp header only", []byte("RIFF\x04\x00\x00\x00WEBP"), "webp"},
		{"tiff header only", []byte("II*\x00\x08\x00\x00\x00"), "tiff"},
	}
	q := quad(64, 48)
	for _, f := range []struct {
		name string
		enc  func(*bytes.Buffer, image.Image) error
	}{{"jpeg", encJPEG}, {"png", encPNG}, {"gif", encGIF}, {"bmp", encBMP}, {"tiff", encTIFF}} {
		data := encode(t, q, f.enc)
		tests = append(tests, tc{"generated " + f.name + " cut in half", data[:len(data)/2], f.name})
	}
	for _, name := range []string{"lossy", "lossless", "alpha"} {
		data := readFile(t, filepath.Join(testImages, "quad_"+name+".webp"))
		tests = append(tests, tc{"webp " + name + " cut in half", data[:len(data)/2], "webp"})
	}
	if _, err := os.Stat(filepath.Join(sharedDir, "photos")); err == nil {
		for _, p := range []struct{ file, format string }{
			{"dog.jpg", "truncated jpeg"}, {"parrot.jpg", "truncated jpeg"},
			{"chelsea.png", "truncated png"}, {"bird.bmp", "truncated bmp"},
		} {
			data := readFile(t, filepath.Join(sharedDir, "photos", p.file))
			tests = append(tests, tc{p.file + " cut in half", data[:len(data)/2], p.format})
			tests = append(tests, tc{p.file + " header only", data[:64], p.format[len("truncated "):]})
		}
	} else {
		t.Logf("shared photos not available (%v); skipping truncated real-photo cases", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, _, err := Decode(tc.data)
			if err == nil {
				t.Fatalf("Decode succeeded (%v), want error containing %q", img.Bounds(), tc.want)
			}
			if img != nil {
				t.Errorf("image returned with error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			t.Log(msg)
		})
	}
}

// A panicking decoder must be turned into an error.
func TestDecodePanicRecovered(t *testing.T) {
	saved := fmtBMP
	defer func() { fmtBMP = saved }()
	fmtBMP.decodeConfig = func(io.Reader) (image.Config, error) {
		panic("boom")
	}
	_, _, err := Decode(encode(t, quad(4, 4), encBMP))
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want recovered panic", err)
	}
}

func FuzzDecode(f *testing.F) {
	q := quad(8, 6)
	for _, enc := range []func(*bytes.Buffer, image.Image) error{encJPEG, encPNG, encGIF, encBMP, encTIFF, encTIFFZ} {
		var buf bytes.Buffer
		if err := enc(&buf, q); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, q, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(withSegments(buf.Bytes(), exifSegment(binary.BigEndian, 6)))
	f.Add(withSegments(buf.Bytes(), exifSegment(binary.LittleEndian, 7)))
	f.Add(rawTIFF(q, binary.BigEndian, 5))
	for _, name := range []string{"lossy", "lossless", "alpha"} {
		if b, err := os.ReadFile(filepath.Join(testImages, "quad_"+name+".webp")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add(pngWithSize(100000, 100000))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The metadata parsers are called directly too, because Decode
		// would turn a panic in them into an error.
		if o := jpegOrientation(data); o < 0 || o > 8 {
			t.Errorf("jpegOrientation = %d", o)
		}
		if o := tiffOrientation(data); o < 0 || o > 8 {
			t.Errorf("tiffOrientation = %d", o)
		}
		img, format, err := Decode(data) // must not panic
		if err != nil {
			if img != nil {
				t.Errorf("image returned with error %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		b := img.Bounds()
		if b.Empty() || b.Dx() > MaxDimension || b.Dy() > MaxDimension {
			t.Errorf("Decode(%s) returned bounds %v without error", format, b)
		}
	})
}
