//go:build !amd64 || purego

package argon2x

// implementations lists the compression functions this CPU supports,
// slowest first.
func implementations() []impl {
	return []impl{{"generic", compressGeneric}}
}
