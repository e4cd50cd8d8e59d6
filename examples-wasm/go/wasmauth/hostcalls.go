//go:build wasip1

package wasmauth

import "unsafe"

// The host functions of the "wasmauth" import module; see the ABI for their contracts.
// Pointers are offsets into linear memory; Go's garbage collector does not move objects,
// so a pointer stays valid for the duration of one call.

//go:wasmimport wasmauth input_len
func hostInputLen() int32

//go:wasmimport wasmauth input_read
func hostInputRead(ptr unsafe.Pointer, n int32) int32

//go:wasmimport wasmauth output_set
func hostOutputSet(ptr unsafe.Pointer, n int32) int32

//go:wasmimport wasmauth log
func hostLog(level int32, ptr unsafe.Pointer, n int32)

//go:wasmimport wasmauth db_query
func hostDBQuery(ptr unsafe.Pointer, n int32) int32

//go:wasmimport wasmauth result_read
func hostResultRead(ptr unsafe.Pointer, n int32) int32

//go:wasmimport wasmauth verify_password
func hostVerifyPassword(hashPtr unsafe.Pointer, hashLen int32, pwPtr unsafe.Pointer, pwLen int32) int32

//go:wasmimport wasmauth digest
func hostDigest(algoPtr unsafe.Pointer, algoLen int32, dataPtr unsafe.Pointer, dataLen int32) int32

// bytesPtr returns the address of b's first byte, or nil for an empty slice.
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}

// stringPtr returns the address of s's first byte, or nil for an empty string.
func stringPtr(s string) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.StringData(s))
}

// readLastResult copies the host's last result (of db_query or digest), n bytes long.
func readLastResult(n int32) ([]byte, error) {
	buf := make([]byte, n)
	if n == 0 {
		return buf, nil
	}
	got := hostResultRead(bytesPtr(buf), n)
	if got < 0 {
		return nil, Status(got)
	}
	return buf[:got], nil
}
