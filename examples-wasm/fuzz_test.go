package examples_test

import (
	"context"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/runtime"
)

// FuzzLegacyInput feeds arbitrary input bytes to every example's login and get_user on
// the sample SQLite database. The examples parse their input with their own JSON code
// (except Go), so this looks for inputs that make one trap or answer badly: a script may
// answer or fail (script_failed), nothing else.
func FuzzLegacyInput(f *testing.F) {
	for _, seed := range []string{
		`{"identifier":"alice","password":"wonderland-42","tenant":"t","config":{"dialect":"sqlite"}}`,
		`{"identifier":"dave","password":"s3cret \"quoted\" \\ \u0026 \u003ctag\u003e zo\u00eb","config":{}}`,
		`{"identifier":"\ud83d\ude00\ud800x","config":{"table":"users","dialect":"postgres"}}`,
		`{"identifier":"erin","config":{"table":7}}`,
		`{"identifier":["alice"],"password":null}`,
		`{"config":{"table":"u\u0073ers"},"identifier":"bob"}`,
		`  {"identifier" : "carol" , "password" : "test12345" }  `,
		`{"identifier":"alice"`,
		`[]`, `"x"`, ``, `{"a":{"b":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}}`,
	} {
		f.Add([]byte(seed))
	}
	ctx := context.Background()
	engine, infos := sharedEngine(f)
	db := openSQLiteCopy(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		for _, lang := range examples.Languages() {
			for _, op := range []string{runtime.OpLogin, runtime.OpGetUser} {
				callCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
				res, err := engine.Call(callCtx, runtime.CallRequest{
					Tenant: "fuzz-" + lang, Version: 1, SHA256: infos[lang].SHA256, Op: op, Input: input, DB: db,
				})
				cancel()
				if err == nil || runtime.ErrorKind(err) == runtime.KindScriptFailed {
					continue
				}
				var logs []runtime.LogLine
				if res != nil {
					logs = res.Logs
				}
				t.Fatalf("%s %s on %q: %v; logs %v", lang, op, input, err, logs)
			}
		}
	})
}
