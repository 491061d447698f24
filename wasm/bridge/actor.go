//go:build js && wasm

package bridge

import (
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/glimpse/glimpse/model"
)

// The engine is one actor: every call from JS becomes a job on one queue,
// and one goroutine (loop) runs the jobs in order. A JS callback (js.FuncOf)
// only enqueues and returns a Promise, so nothing ever blocks inside one —
// which Go's wasm port cannot survive — and GPU submissions, CPU fallback
// steps, readbacks, model loads and switches and backend changes are
// serialised by construction: a job may await a GPU map or a download, and
// no other job starts until it is done.

// queueCap bounds the jobs waiting; a caller beyond it is told "busy"
// rather than blocking the callback.
const queueCap = 256

type job struct {
	name            string
	fn              func() (any, error)
	resolve, reject js.Value
}

var jobs = make(chan job, queueCap)

// started is set once loop runs (Start or register).
var started bool

func startLoop() {
	if !started {
		started = true
		go loop()
	}
}

func loop() {
	for j := range jobs {
		v, err := runJob(j)
		if err != nil {
			j.reject.Invoke(jsError(err, CodeInternal))
			continue
		}
		j.resolve.Invoke(v)
	}
}

// runJob runs one job and converts its result to JS, turning a panic in
// either into an error naming the call.
func runJob(j job) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = js.Undefined(), &Error{Code: CodeInternal, Err: fmt.Errorf("internal error in %s: %s", j.name, panicText(r))}
		}
	}()
	r, err := j.fn()
	if err != nil {
		return js.Undefined(), err
	}
	return js.ValueOf(r), nil
}

// panicText describes a recovered panic for a user: the text of an error
// or a string, else only the value's type — never a dump of a Go value,
// which could show struct fields and pointer addresses.
func panicText(r any) string {
	switch r := r.(type) {
	case error:
		return r.Error()
	case string:
		return r
	case fmt.Stringer:
		return r.String()
	}
	return fmt.Sprintf("a panic with a %T", r)
}

// enqueue returns a Promise of fn's result, run by the actor in turn.
func enqueue(name string, fn func() (any, error)) js.Value {
	var exec js.Func
	exec = js.FuncOf(func(this js.Value, args []js.Value) any {
		exec.Release()
		select {
		case jobs <- job{name: name, fn: fn, resolve: args[0], reject: args[1]}:
		default:
			args[1].Invoke(jsError(&Error{Code: CodeBusy, Err: fmt.Errorf("the engine has %d calls waiting; try again when some are done", queueCap)}, ""))
		}
		return nil
	})
	return js.Global().Get("Promise").New(exec)
}

// Error codes for embedders: Error.code in JS, listed in README. The model
// codes come from model.LoadError's kinds.
const (
	CodeBusy        = "busy"         // too many calls waiting
	CodeInternal    = "internal"     // a bug: the message says where
	CodeBadArgument = "bad-argument" // a call with missing or wrong arguments
	CodeNoModel     = "no-model"     // no model is loaded (or no model for that slot)
	CodeNotAnImage  = "not-an-image" // an image file that cannot be decoded
	CodeClassify    = "classify"     // running the model failed
	CodeModelLoad   = "model-load"   // a model or its files could not be downloaded
	CodeBackend     = "backend"      // an unknown backend, or WebGPU unavailable when forced
	CodeCheck       = "check"        // the model check could not run
	CodeEngineLost  = "engine-lost"  // (JS only) the engine's worker died during the call
	CodeEngineLoad  = "engine-load"  // (JS only) the engine could not be started
)

// Error is an error with a code for JS. Wrap with %w around it, or return
// it directly; codeOf finds it with errors.As.
type Error struct {
	Code string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func coded(code string, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// codeOf finds the code of err: its own, a model.LoadError's kind, or the
// fallback.
func codeOf(err error, fallback string) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var le *model.LoadError
	if errors.As(err, &le) {
		return le.Kind
	}
	return fallback
}

// jsError makes the JS Error a Promise rejects with: message (one line,
// see userMessage) and code.
func jsError(err error, fallback string) js.Value {
	e := js.Global().Get("Error").New(userMessage(err.Error()))
	e.Set("code", codeOf(err, fallback))
	return e
}

// userMessage is an error's text as a user may see it: one line, with any
// Go value dump ("&{...}", printed by %v of a pointer to a struct) and
// pointer-like addresses (0x followed by 6 or more hex digits) replaced by
// "…". The engine's own errors never print such things; this keeps one
// that slips through (a library's error, a panic) from showing them.
func userMessage(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	var b strings.Builder
	for i := 0; i < len(msg); {
		switch {
		case strings.HasPrefix(msg[i:], "&{"):
			depth, j := 0, i+1
			for ; j < len(msg); j++ {
				if msg[j] == '{' {
					depth++
				} else if msg[j] == '}' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			b.WriteString("…")
			i = j + 1
		case strings.HasPrefix(msg[i:], "0x") && (i == 0 || !isWord(msg[i-1])):
			j := i + 2
			for j < len(msg) && isHex(msg[j]) {
				j++
			}
			if j-i-2 >= 6 && (j == len(msg) || !isWord(msg[j])) {
				b.WriteString("…")
			} else {
				b.WriteString(msg[i:j])
			}
			i = j
		default:
			b.WriteByte(msg[i])
			i++
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isWord(c byte) bool { return isHex(c) || 'g' <= c && c <= 'z' || 'G' <= c && c <= 'Z' || c == '_' }
