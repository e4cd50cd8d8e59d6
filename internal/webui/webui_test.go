package webui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCheckCSRF(t *testing.T) {
	post := func(form url.Values) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	tests := []struct {
		name  string
		form  url.Values
		want  string
		match bool
	}{
		{"equal", url.Values{CSRFField: {"tok"}}, "tok", true},
		{"different", url.Values{CSRFField: {"tok"}}, "other", false},
		{"no field", url.Values{}, "tok", false},
		{"both empty", url.Values{CSRFField: {""}}, "", false},
		{"a prefix", url.Values{CSRFField: {"to"}}, "tok", false},
	}
	for _, tt := range tests {
		if got := CheckCSRF(post(tt.form), tt.want); got != tt.match {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.match)
		}
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	h.Add("X-Content-Type-Options", "nosniff")
	SetHeaders(h, "frame-ancestors 'none'")
	for _, k := range HeaderNames {
		if v := h.Values(k); len(v) != 1 || v[0] == "" {
			t.Errorf("%s: %q, want one value", k, v)
		}
	}
}
