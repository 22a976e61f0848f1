package scenario

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a positioned script error: a syntax error from Parse, or a
// semantic error (an undefined map, a literal of the wrong size) recorded on
// the step that Run could not perform.
type Error struct {
	File string
	Line int
	Col  int // 0 when only the line is known
	Msg  string
}

// Error formats the error as FILE:LINE:COL: message (FILE:LINE: message when
// the column is unknown).
func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "script"
	}
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
}

// ErrorList is every error Parse found, in source order.
type ErrorList []*Error

// Error joins the errors, one a line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Sort orders the errors by line and column.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Line != l[j].Line {
			return l[i].Line < l[j].Line
		}
		return l[i].Col < l[j].Col
	})
}

// Err returns nil for an empty list and the list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
