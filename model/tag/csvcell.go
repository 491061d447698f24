package tag

import "strings"

// A spreadsheet that opens a CSV file runs a cell that starts with '=',
// '+', '-' or '@' as a formula (and some treat a leading tab or carriage
// return the same way), so a photo named "=HYPERLINK(…)" or a model label
// "=cmd|' /C calc'!A0" would run in whoever opens the export. Text cells
// that start with one of these get a leading apostrophe, which spreadsheets
// take as "this is text" (OWASP's advice for CSV injection).
//
// The rule applies to text cells only, and every cell of the tag CSV is
// text: the file name, the hash (hex digits, never changed) and the tags
// cell, which starts with a tag name, so its scores ("cat:0.87") never stand
// at the start of a cell. Numbers, such as a negative score, would never be
// given the apostrophe because no number starts a cell.
//
// To read back exactly what was written, a cell of apostrophes followed by
// a formula start ("'=x") gets one more apostrophe too, and UnescapeCell
// removes exactly one from such cells. So EscapeCell and UnescapeCell
// round-trip every string, other cells that start with an apostrophe
// ("'80s.jpg") are left alone both ways, and a cell typed by hand as
// "'=1+1" (a spreadsheet's way to enter text) reads as "=1+1".

// formulaStart reports whether a spreadsheet could take s for a formula.
func formulaStart(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// escaped is true for a cell that EscapeCell prefixes: a formula start after
// any number of apostrophes.
func escaped(s string) bool { return formulaStart(strings.TrimLeft(s, "'")) }

// EscapeCell neutralises a CSV text cell: "=cmd" becomes "'=cmd", a cell of
// apostrophes and then a formula start gets one apostrophe more, and
// anything else is unchanged.
func EscapeCell(s string) string {
	if escaped(s) {
		return "'" + s
	}
	return s
}

// UnescapeCell undoes EscapeCell: it removes one leading apostrophe when what
// follows is something EscapeCell would have prefixed.
func UnescapeCell(s string) string {
	if strings.HasPrefix(s, "'") && escaped(s[1:]) {
		return s[1:]
	}
	return s
}
