package fuel

import (
	"fmt"

	"github.com/wasmauth/wasmauth/internal/wasmbin"
)

// The element, data and code sections are read here only to refuse vectors
// that declare more entries than they have bytes, and functions with more
// than wasmbin.MaxLocals locals, which wazero would allocate for before
// finding out; the element and data sections pass through Instrument
// unchanged.

// checkElements reads the element section.
func checkElements(r *wasmbin.Reader) error {
	n, err := r.Count("element segments", 1)
	for i := uint32(0); i < n && err == nil; i++ {
		if _, err = r.ElementSegment(); err != nil {
			err = fmt.Errorf("element segment %d: %w", i, err)
		}
	}
	if err != nil {
		return err
	}
	return r.Done()
}

// checkCode reads the function bodies' local declarations.
func checkCode(r *wasmbin.Reader) error {
	n, err := r.Count("function bodies", 1)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		body, err := r.Body()
		if err != nil {
			return fmt.Errorf("body %d: %w", i, err)
		}
		if _, _, err := wasmbin.NewReader(body).Locals(); err != nil {
			return fmt.Errorf("body %d: %w", i, err)
		}
	}
	return r.Done()
}

// checkData reads the data section.
func checkData(r *wasmbin.Reader) error {
	n, err := r.Count("data segments", 1)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := r.DataSegment(); err != nil {
			return fmt.Errorf("data segment %d: %w", i, err)
		}
	}
	return r.Done()
}
