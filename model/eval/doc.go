// Package eval scores a classifier on labelled photos with scikit-learn's
// definitions, so that numbers shown by Glimpse can be checked against (and
// compared with) the ones people get from Python.
//
// Conventions follow scikit-learn 1.2.1 (the version Debian 12 ships, which
// produced the golden files in testdata/) with one deliberate exception:
// roc_curve's first threshold is +Inf, as in scikit-learn ≥ 1.3, instead of
// max(score)+1 (a score-dependent value that is only a sentinel anyway).
// JSON has no infinities, so that threshold (and any NaN) is written as null.
//
// The package is pure Go with no I/O so the browser can run it in wasm.
package eval
