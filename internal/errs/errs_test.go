package errs

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

type codeErr struct{ code int }

func (e *codeErr) Error() string { return fmt.Sprint("code ", e.code) }

type listErr []error

func (l listErr) Error() string { return "list" }

// TestAsAgreesWithErrorsAs: for every shape of wrapping bpfplay uses (none,
// %w chains, Join trees, slices of errors), As finds what errors.As finds.
func TestAsAgreesWithErrorsAs(t *testing.T) {
	target := &codeErr{7}
	cases := []error{
		nil,
		errors.New("plain"),
		target,
		fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", target)),
		errors.Join(errors.New("a"), fmt.Errorf("b: %w", target)),
		fmt.Errorf("two: %w and %w", fs.ErrNotExist, target),
		fmt.Errorf("none: %w", fs.ErrNotExist),
		listErr{target},
	}
	for i, err := range cases {
		var want *codeErr
		wantOK := errors.As(err, &want)
		got, ok := As[*codeErr](err)
		if ok != wantOK || got != want {
			t.Errorf("case %d (%v): As = %v, %v; errors.As = %v, %v", i, err, got, ok, want, wantOK)
		}
		// An interface target, as the scenario package uses.
		var wantI interface{ Error() string }
		wantIOK := errors.As(err, &wantI)
		gotI, okI := As[interface{ Error() string }](err)
		if okI != wantIOK || (okI && gotI.Error() != wantI.Error()) {
			t.Errorf("case %d: interface target: As = %v, %v; errors.As = %v, %v", i, gotI, okI, wantI, wantIOK)
		}
		// A slice type, as scenario.ErrorList.
		wantL := listErr(nil)
		wantLOK := errors.As(err, &wantL)
		gotL, okL := As[listErr](err)
		if okL != wantLOK || len(gotL) != len(wantL) {
			t.Errorf("case %d: slice target: As = %v, %v; errors.As = %v, %v", i, gotL, okL, wantL, wantLOK)
		}
	}
}
