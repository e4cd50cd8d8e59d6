package adversarial_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/httpapi"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// handlerApp returns the HTTP API on an in-memory store, without scripts,
// with tenant acme and its user alice, for fuzzing through fiber's app.Test.
func handlerApp(f *testing.F) *httpapi.Server {
	st, err := badgerstore.OpenInMemory()
	if err != nil {
		f.Fatal(err)
	}
	svc := auth.NewService(auth.Config{BaseURL: "http://wasmauth.test", OperatorTokenHash: auth.HashSecret(testserver.OperatorToken)},
		auth.Deps{Store: st, Hasher: password.NewHasher(password.Config{Params: testserver.CheapHash})})
	f.Cleanup(func() {
		_ = svc.Close()
		_ = st.Close()
	})
	ctx := context.Background()
	if _, _, err := svc.CreateTenant(ctx, "acme", "Acme", auth.Meta{}); err != nil {
		f.Fatal(err)
	}
	if _, err := svc.Register(ctx, "acme", auth.RegisterInput{Email: "alice@example.com", Username: "alice", Password: "correct-horse-1"}, auth.Meta{}); err != nil {
		f.Fatal(err)
	}
	return httpapi.New(httpapi.Config{}, svc, nil)
}

// bodySeeds are JSON bodies, valid and broken, for the fuzz targets.
var bodySeeds = []string{
	`{"identifier":"alice@example.com","password":"correct-horse-1"}`,
	`{"identifier":"ALICE","password":"wrong"}`,
	`{"email":"new@example.com","username":"new","password":"correct-horse-2","profile":{"a":[1,{"b":null}]}}`,
	`{"id":"beta","name":"Beta"}`,
	`{"identifier":"\u0000\u202e","password":"\ud800"}`,
	`{"identifier":1e999}`, `{"profile":"x"}`,
	`[[[[[[[[[[[[[[[[[[[[`, `{"a":{"a":{"a":{"a":{}}}}}`,
	`[]`, `null`, `"x"`, `{`, "\xff\xfe", ``, `{} {}`,
}

// checkAnswer fails on a server error or an error that is not a problem
// document.
func checkAnswer(t *testing.T, app *httpapi.Server, method, path, ctype string, body []byte) {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if strings.HasPrefix(path, "/admin/") {
		req.Header.Set("Authorization", "Bearer "+testserver.OperatorToken)
	}
	resp, err := app.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s %q: %v", method, path, body, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s %q: %d %s", method, path, body, resp.StatusCode, out)
	}
	if resp.StatusCode >= 400 && !strings.HasPrefix(path, "/t/acme/oauth/") {
		var p struct {
			Code   string `json:"code"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal(out, &p); err != nil || p.Code == "" || p.Status != resp.StatusCode {
			t.Fatalf("%s %s %q: %d answer is not a problem document: %s", method, path, body, resp.StatusCode, out)
		}
	}
}

// FuzzLoginBody decodes arbitrary bytes as the JSON body of POST
// /t/{tenant}/login at the handler: never a server error, every failure a
// problem document.
//
//	go test -run '^$' -fuzz '^FuzzLoginBody$' -fuzztime 10s ./internal/adversarial/
func FuzzLoginBody(f *testing.F) {
	app := handlerApp(f)
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAnswer(t, app, "POST", "/t/acme/login", "application/json", body)
	})
}

// FuzzRequestBodies sends arbitrary bytes to every other route that decodes
// a request body: register, password change, the OAuth forms and the
// operator's tenant creation.
//
//	go test -run '^$' -fuzz '^FuzzRequestBodies$' -fuzztime 10s ./internal/adversarial/
func FuzzRequestBodies(f *testing.F) {
	app := handlerApp(f)
	routes := []struct{ path, ctype string }{
		{"/t/acme/register", "application/json"},
		{"/t/acme/password", "application/json"},
		{"/t/acme/oauth/token", "application/x-www-form-urlencoded"},
		{"/t/acme/oauth/revoke", "application/x-www-form-urlencoded"},
		{"/admin/v1/tenants", "application/json"},
	}
	for i, s := range append(bodySeeds, "grant_type=refresh_token&refresh_token=abc", "token=%zz&token=1", "grant_type=password") {
		f.Add(byte(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		r := routes[int(which)%len(routes)]
		checkAnswer(t, app, "POST", r.path, r.ctype, body)
	})
}
