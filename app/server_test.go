//go:build !wasm

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// directives parses a Content-Security-Policy into name → sources.
func directives(t *testing.T, csp string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		if _, dup := out[f[0]]; dup {
			t.Errorf("directive %s twice in %q", f[0], csp)
		}
		out[f[0]] = f[1:]
	}
	return out
}

// The policies: nothing inline, nothing evaluated but WebAssembly, no
// plugins, no foreign base, and framing only for the iframe widget.
func TestContentSecurityPolicy(t *testing.T) {
	for name, csp := range map[string]string{"app": cspApp, "embed": cspEmbed} {
		d := directives(t, csp)
		want := map[string]string{
			"default-src":     "'self'",
			"script-src":      "'self' 'wasm-unsafe-eval'",
			"style-src":       "'self'",
			"style-src-attr":  "'unsafe-inline'",
			"img-src":         "'self' blob: data:",
			"worker-src":      "'self' blob:",
			"connect-src":     "'self'",
			"object-src":      "'none'",
			"base-uri":        "'self'",
			"frame-ancestors": "'self'",
		}
		if name == "embed" {
			delete(want, "frame-ancestors")
			if _, ok := d["frame-ancestors"]; ok {
				t.Errorf("the iframe widget's policy has frame-ancestors: %q", csp)
			}
		}
		for k, v := range want {
			if got := strings.Join(d[k], " "); got != v {
				t.Errorf("%s policy: %s is %q, want %q", name, k, got, v)
			}
		}
		for k, v := range d {
			for _, src := range v {
				if src == "*" || src == "'unsafe-eval'" || (src == "'unsafe-inline'" && k != "style-src-attr") {
					t.Errorf("%s policy: %s allows %s", name, k, src)
				}
			}
		}
	}
}

// Every response carries the headers; /embed/ may be framed by any site,
// everything else only by the site itself.
func TestSecurityHeaders(t *testing.T) {
	h := withHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	for path, embed := range map[string]bool{
		"/": false, "/index.html": false, "/web/engine.js": false, "/app-worker.js": false, "/embed-demo.html": false,
		"/embedded": false, "/web/embed/": false,
		"/embed": true, "/embed/": true, "/embed/index.html": true, "/embed/embed.js": true,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		hd := rec.Header()
		want := cspApp
		if embed {
			want = cspEmbed
		}
		if got := hd.Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: Content-Security-Policy %q, want %q", path, got, want)
		}
		if xfo := hd.Get("X-Frame-Options"); (xfo == "") != embed || (!embed && xfo != "SAMEORIGIN") {
			t.Errorf("%s: X-Frame-Options %q", path, xfo)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"} {
			if hd.Get(k) != v {
				t.Errorf("%s: %s %q, want %q", path, k, hd.Get(k), v)
			}
		}
	}
}

// The pages the site serves run under the policy only if nothing in them
// is inline: no <script> without src, no <style>, no on* handlers, no
// javascript: URLs. The root pages are checked here, go-app's page below.
func TestPagesHaveNothingInline(t *testing.T) {
	pages, _ := filepath.Glob(filepath.Join("..", rootDir, "*.html"))
	more, _ := filepath.Glob(filepath.Join("..", rootDir, "*", "*.html"))
	pages = append(pages, more...)
	if len(pages) < 2 {
		t.Fatalf("found only %v under %s", pages, rootDir)
	}
	for _, p := range pages {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if why := inline(string(data)); why != "" {
			t.Errorf("%s: %s", p, why)
		}
	}
}

var (
	scriptTag = regexp.MustCompile(`(?is)<script\b([^>]*)>`)
	styleTag  = regexp.MustCompile(`(?i)<style\b`)
	onHandler = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`)
	jsURL     = regexp.MustCompile(`(?i)(href|src)\s*=\s*["']?\s*javascript:`)
)

// inline says what in an HTML page a strict policy would block.
func inline(page string) string {
	for _, m := range scriptTag.FindAllStringSubmatch(page, -1) {
		if !regexp.MustCompile(`(?i)\bsrc\s*=`).MatchString(m[1]) {
			return "an inline <script>"
		}
	}
	switch {
	case styleTag.MatchString(page):
		return "an inline <style>"
	case onHandler.MatchString(page):
		return "an inline event handler"
	case jsURL.MatchString(page):
		return "a javascript: URL"
	}
	return ""
}

// The real server (go-app's handler with the root files), when the site is
// built: its page and the iframe widget's come with their policies, and
// go-app's page has nothing inline.
func TestServerSendsPolicies(t *testing.T) {
	t.Chdir("..")
	if _, err := os.Stat(filepath.Join(webDir, "app.wasm")); err != nil {
		t.Skip("the site is not built (make build)")
	}
	h, err := handler()
	if err != nil {
		t.Skip(err)
	}
	app.Route("/", func() app.Composer { return &page{} }) // as main does
	srv := httptest.NewServer(withHeaders(withRootFiles(h)))
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for path, want := range map[string]string{"/": cspApp, "/web/engine.js": cspApp, "/embed-demo.html": cspApp, "/embed/": cspEmbed, "/embed/embed.js": cspEmbed, "/embed": cspEmbed} {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			t.Errorf("%s: HTTP %d", path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: Content-Security-Policy %q, want %q", path, got, want)
		}
		if path == "/" || path == "/embed/" {
			if why := inline(string(body)); why != "" {
				t.Errorf("%s has %s", path, why)
			}
		}
	}
}

// The browser tests serve the static site with the same headers as the
// server (app/e2e/harness.mjs copies the two policies): keep them equal.
func TestE2EHarnessUsesTheServersPolicies(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("e2e", "harness.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"appCSP": cspApp, "embedCSP": cspEmbed} {
		m := regexp.MustCompile(`export const ` + name + ` = "([^"]*)";`).FindStringSubmatch(string(data))
		if m == nil {
			t.Errorf("harness.mjs defines no %s", name)
		} else if m[1] != want {
			t.Errorf("harness.mjs %s = %q, want the server's %q", name, m[1], want)
		}
	}
}
