// Package errs has As, a generic errors.As for the packages linked into
// app.wasm. errors.As takes its target as `any` and checks assignability
// with internal/reflectlite, which adds about 24 KiB of code to app.wasm;
// As[T] does the same walk with a type assertion.
package errs

// As finds the first error in err's tree (Unwrap() error and Unwrap()
// []error, depth first, as errors.As walks it) that is a T, and returns it.
// Unlike errors.As it does not consult As(any) bool methods: no error in
// bpfplay defines one.
func As[T any](err error) (T, bool) {
	for err != nil {
		if t, ok := err.(T); ok {
			return t, true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if t, ok := As[T](e); ok {
					return t, true
				}
			}
			return *new(T), false
		default:
			return *new(T), false
		}
	}
	return *new(T), false
}
