package webui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unsafe"
)

// TestDetachCopiesStrings builds a request whose strings point into a buffer,
// as Fiber's adaptor does, and checks that what the handler keeps does not
// change when the buffer is reused.
func TestDetachCopiesStrings(t *testing.T) {
	buf := []byte("/t/acme/authorize?client_id=app1|Bearer abc")
	s := unsafe.String(&buf[0], len(buf))
	uri, auth, _ := strings.Cut(s, "|")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RequestURI = uri
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	r.URL = u
	r.Header = http.Header{"Authorization": {auth}}

	var path, query, header string
	Detach(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		path, query, header = r.URL.Path, r.URL.Query().Get("client_id"), r.Header.Get("Authorization")
	})).ServeHTTP(httptest.NewRecorder(), r)

	for i := range buf {
		buf[i] = 'x'
	}
	if path != "/t/acme/authorize" || query != "app1" || header != "Bearer abc" {
		t.Fatalf("kept %q %q %q after the buffer was reused", path, query, header)
	}
}
