package pages

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRenderEscapesAndSetsHeaders(t *testing.T) {
	for _, name := range []string{"signin", "signup", "message", "confirm", "forgot", "reset"} {
		w := httptest.NewRecorder()
		evil := `<script>alert(1)</script>`
		var data any
		switch name {
		case "signin":
			data = SignIn{Page: Page{Tenant: evil, Title: "Sign in", Message: evil}, Action: "/t/a/signin", RequestID: `"><x`, CSRF: "tok", Identifier: evil, ForgotURL: "/t/a/password/forgot"}
		case "signup":
			data = SignUp{Page: Page{Tenant: evil, Title: "Create an account", Message: evil}, Action: "/t/a/signup", RequestID: `"><x`, CSRF: "tok", Email: evil, SignInURL: "javascript:alert(1)"}
		case "forgot":
			data = Forgot{Page: Page{Tenant: evil, Title: "Forgot", Message: evil}, Action: "/t/a/password/forgot", CSRF: `"><x`, Identifier: evil}
		case "reset":
			data = Reset{Page: Page{Tenant: evil, Title: "Reset", Message: evil}, Action: "/t/a/password/reset", CSRF: "tok", Token: `"><x`}
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
		if name == "signin" && !strings.Contains(body, `href="/t/a/password/forgot"`) {
			t.Errorf("the sign-in page does not link the forgot password page: %s", body)
		}
		if !strings.Contains(body, `name="viewport"`) {
			t.Errorf("%s: no mobile viewport", name)
		}
	}
}
