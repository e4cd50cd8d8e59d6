package examples

import (
	"embed"
	"slices"
)

// The preset modules, built from presets/preset.c by make -C examples-wasm/presets all.
//
//go:embed presets/django.wasm presets/laravel.wasm presets/wordpress.wasm presets/table.wasm
var presetFS embed.FS

// PresetNames returns the names of the preset modules, in a stable order:
// "django", "laravel", "wordpress", "table".
func PresetNames() []string { return []string{"django", "laravel", "wordpress", "table"} }

// Preset returns a preset module by name, and whether it exists. The bytes
// are new on each call.
func Preset(name string) ([]byte, bool) {
	if !slices.Contains(PresetNames(), name) {
		return nil, false
	}
	b, err := presetFS.ReadFile("presets/" + name + ".wasm")
	return b, err == nil
}

// Presets returns every preset module by name.
func Presets() map[string][]byte {
	m := map[string][]byte{}
	for _, n := range PresetNames() {
		m[n], _ = Preset(n)
	}
	return m
}
