package vision

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/glimpse/glimpse/model/vision/imagefile"
)

// sharedDir is /work/shared (read-only real data) relative to this package.
const sharedDir = "../../../shared"

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

// Decode reads the test photos (the decoders live in model/vision/imagefile).
func Decode(data []byte) (image.Image, string, error) { return imagefile.Decode(data) }
