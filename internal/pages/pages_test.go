package pages

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRenderEscapesAndSetsHeaders(t *testing.T) {
	for _, name := range []string{"signin", "signup", "message", "confirm"} {
		w := httptest.NewRecorder()
		evil := `<script>alert(1)</script>`
		var data any
		switch name {
		case "signin":
			data = SignIn{Page: Page{Tenant: evil, Title: "Sign in", Message: evil}, Action: "/t/a/signin", RequestID: `"><x`, CSRF: "tok", Identifier: evil}
		case "signup":
			data = SignUp{Page: Page{Tenant: evil, Title: "Create an account", Message: evil}, Action: "/t/a/signup", RequestID: `"><x`, CSRF: "tok", Email: evil, SignInURL: "javascript:alert(1)"}
		case "confirm":
			data = Confirm{Page: Page{Tenant: evil, Title: "Sign out?"}, Action: "/t/a/logout/confirm", CSRF: "tok", Button: "Sign out"}
		default:
			data = Page{Tenant: evil, Title: "Error", Message: evil}
		}
		Render(w, 400, name, data)
		body := w.Body.String()
		if w.Code != 400 || strings.Contains(body, "<script") || strings.Contains(body, `"><x`) || strings.Contains(body, "javascript:") {
			t.Errorf("%s: status %d, unescaped input in %s", name, w.Code, body)
		}
		for h, want := range map[string]string{
			"Content-Security-Policy": "frame-ancestors 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
			"Content-Type":            "text/html",
		} {
			if !strings.Contains(w.Header().Get(h), want) {
				t.Errorf("%s: %s = %q, want %q", name, h, w.Header().Get(h), want)
			}
		}
		if !strings.Contains(body, `name="viewport"`) {
			t.Errorf("%s: no mobile viewport", name)
		}
	}
}
