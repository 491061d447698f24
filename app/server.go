//go:build !wasm

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/glimpse/glimpse/wasm/bridge"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func init() {
	nativeCommands["serve"] = serve
	nativeCommands["static"] = writeStatic
}

// webDir holds the static resources: app.wasm (the UI), engine.wasm and
// engine.js (the engine, run in a worker), glimpse.js, CSS, icons and the
// models the Makefile copies in.
const webDir = "web"

// cacheable are the files the service worker precaches beyond go-app's own,
// so that the app works offline after one visit.
var cacheable = []string{
	"/web/glimpse.css",
	"/web/glimpse.js",
	"/web/tagging.js",
	"/web/training.js",
	"/web/engine.js",
	"/" + bridge.DefaultModel,
	"/web/icons/icon.svg", // the header's logo; go-app caches only the PNG icons
}

// version identifies a build by the content of what it ships, so that a
// rebuild with changes prompts an update and a restart without changes does not.
func version() (string, error) {
	h := sha256.New()
	for _, f := range []string{"app.wasm", "engine.wasm", "importer.wasm", "trainer.wasm", "explainer.wasm", "engine.js", "glimpse.js", "tagging.js", "training.js", "glimpse.css", strings.TrimPrefix(bridge.DefaultModel, webDir+"/")} {
		data, err := os.ReadFile(filepath.Join(webDir, f))
		if err != nil {
			return "", fmt.Errorf("%v: run 'make build' first", err)
		}
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func handler() (*app.Handler, error) {
	v, err := version()
	if err != nil {
		return nil, err
	}
	for _, r := range cacheable {
		if _, err := os.Stat(strings.TrimPrefix(r, "/")); err != nil {
			return nil, fmt.Errorf("%s is missing: run 'make models'", r)
		}
	}
	return &app.Handler{
		Name:            "Glimpse",
		ShortName:       "Glimpse",
		Title:           "Glimpse — what is in this image?",
		Description:     "An image classifier that runs entirely on your device. No photo ever leaves it.",
		Lang:            "en",
		LoadingLabel:    "Loading Glimpse {progress}% — it runs entirely on your device",
		BackgroundColor: "#10141a",
		ThemeColor:      "#10141a",
		Icon: app.Icon{
			Default:  "/web/icons/icon-192.png",
			Large:    "/web/icons/icon-512.png",
			Maskable: "/web/icons/maskable-512.png",
			SVG:      "/web/icons/icon.svg",
		},
		Styles:             []string{"/web/glimpse.css"},
		Scripts:            []string{"/web/glimpse.js", "/web/tagging.js", "/web/training.js"},
		CacheableResources: cacheable[3:], // styles and scripts are cached already
		Version:            v,
		WasmContentLength:  wasmLength(),
	}, nil
}

func serve(args []string, stdout io.Writer) error {
	fs := newFlags("serve")
	addr := fs.String("addr", "127.0.0.1:8000", "address to listen on (keep it on loopback)")
	if err := parse(fs, args); err != nil {
		return err
	}
	h, err := handler()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Glimpse is running at http://%s/ (version %s). Press Ctrl+C to stop.\n", ln.Addr(), h.Version)
	return http.Serve(ln, withHeaders(withRootFiles(h)))
}

// rootDir holds files served at the site's root rather than under /web/:
// the embed loader, the iframe widget and the embedding demo.
var rootDir = filepath.Join(webDir, "root")

// withRootFiles serves rootDir's files at / and hands the rest to go-app.
func withRootFiles(h http.Handler) http.Handler {
	files := http.FileServer(http.Dir(rootDir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/embed" {
			http.Redirect(w, r, "/embed/"+queryOf(r), http.StatusMovedPermanently)
			return
		}
		if p != "/" && !strings.HasPrefix(p, "/web/") {
			if st, err := os.Stat(filepath.Join(rootDir, filepath.FromSlash(p))); err == nil && (!st.IsDir() || strings.HasSuffix(p, "/")) {
				files.ServeHTTP(w, r)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func queryOf(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

// wasmLength is app.wasm's size, which go-app's loader needs for its
// progress bar when the server sends no Content-Length (static hosts, gzip).
func wasmLength() string {
	if st, err := os.Stat(filepath.Join(webDir, "app.wasm")); err == nil {
		return fmt.Sprint(st.Size())
	}
	return ""
}

// The Content-Security-Policy of the site's pages (and of the scripts that
// run as workers: engine.js, go-app's service worker, which take the policy
// of their own response). Nothing inline runs: go-app's index.html loads
// its scripts and styles from files, and so do the root pages. What the
// app needs beyond 'self':
//   - 'wasm-unsafe-eval': compiling app.wasm, engine.wasm, importer.wasm, trainer.wasm, explainer.wasm and
//     the SIMD kernels' module (nothing else is evaluated);
//   - style-src-attr 'unsafe-inline': go-app sets the progress bars' widths
//     with style attributes (inline <style> elements stay forbidden);
//   - img-src blob: data: (previews and thumbnails are object URLs);
//   - worker-src blob: (glimpse.js starts its worker from a blob: URL when
//     the page and the engine's files are on different origins).
//
// cspBase leaves out frame-ancestors: the app's pages add 'self' (no other
// site may frame them), the iframe widget (/embed/) none, so any site can
// embed it — its own origin allow-list guards its messages.
const cspBase = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
	"img-src 'self' blob: data:; media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'"

// Policies by path: cspApp for every page but the iframe widget's.
const (
	cspApp   = cspBase + "; frame-ancestors 'self'"
	cspEmbed = cspBase
)

// isEmbedPath says whether a request is for the iframe widget (/embed/ and
// its files), which other sites may frame.
func isEmbedPath(p string) bool { return p == "/embed" || strings.HasPrefix(p, "/embed/") }

// securityHeaders sets the headers every response of the site carries.
func securityHeaders(h http.Header, path string) {
	h.Set("X-Content-Type-Options", "nosniff")
	// Public static files: other sites may embed Glimpse (see README).
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if isEmbedPath(path) {
		h.Set("Content-Security-Policy", cspEmbed)
		return
	}
	h.Set("Content-Security-Policy", cspApp)
	h.Set("X-Frame-Options", "SAMEORIGIN") // frame-ancestors for browsers without it
}

func withHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header(), r.URL.Path)
		h.ServeHTTP(w, r)
	})
}

// writeStatic writes a complete deployable site: go-app's pages and worker,
// plus what go-app does not copy — app.wasm, scripts, styles, icons, models.
func writeStatic(args []string, stdout io.Writer) error {
	flags := newFlags("static")
	out := flags.String("out", "static", "output directory")
	if err := parse(flags, args); err != nil {
		return err
	}
	h, err := handler()
	if err != nil {
		return err
	}
	if err := app.GenerateStaticWebsite(*out, h); err != nil {
		return err
	}
	n := 0
	err = filepath.WalkDir(webDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, ".md") {
			return nil
		}
		// The app loads the default model compiled (model.glimpse); its ONNX
		// file ships too, fetched only when someone exports a model trained
		// on it as ONNX (the Train view), never cached ahead.
		dst := filepath.Join(*out, path)
		if rel, err := filepath.Rel(rootDir, path); err == nil && !strings.HasPrefix(rel, "..") {
			dst = filepath.Join(*out, rel) // root files go to the site's root
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*out, "web", "app.wasm")); errors.Is(err, os.ErrNotExist) {
		return errors.New("web/app.wasm is missing: run 'make build' first")
	}
	fmt.Fprintf(stdout, "static site written to %s (version %s, %d files from web/)\n", *out, h.Version, n)
	return nil
}
