package oidc_test

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	app := newRP(t, e, e.clientID, e.secret)
	scrape := func() string {
		return string(e.ts.Must(e.ts.Do("GET", "/metrics", testserver.OperatorToken, nil), 200, "metrics").Body)
	}
	if s := scrape(); !strings.Contains(s, `wasmauth_oidc_events_total{event="code_exchange",outcome="ok"} 0`) {
		t.Fatalf("the counters are not exported at zero:\n%s", grep(s, "oidc"))
	}
	verifier := oauth2.GenerateVerifier()
	b := newBrowser(t)
	start := b.get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	b.signIn(start, e.email, "wrong password 1")
	q := codeOf(t, b.signIn(start, e.email, userPassword))
	if _, err := app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	_, _ = app.conf.Exchange(t.Context(), "bogus", oauth2.VerifierOption(verifier))
	codeOf(t, b.get(app.conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier)))) // single sign-on
	b.get(e.issuer + "/authorize?" + url.Values{"client_id": {"nope"}, "redirect_uri": {rpRedirect}, "response_type": {"code"}, "scope": {"openid"}}.Encode())
	s := scrape()
	for _, want := range []string{
		`{event="authorization",outcome="form"} 1`,
		`{event="authorization",outcome="refused"} 1`,
		`{event="authorization",outcome="sso"} 1`,
		`{event="hosted_login",outcome="rejected"} 1`,
		`{event="hosted_login",outcome="ok"} 1`,
		`{event="code_exchange",outcome="ok"} 1`,
		`{event="code_exchange",outcome="invalid_grant"} 1`,
	} {
		if !strings.Contains(s, "wasmauth_oidc_events_total"+want) {
			t.Errorf("no %s in\n%s", want, grep(s, "oidc"))
		}
	}
}

func grep(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
