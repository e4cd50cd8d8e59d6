package webui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Detach returns h with each request's strings copied before h sees them.
// Fiber's net/http adaptor builds the *http.Request from fasthttp's buffers
// without copying (its URL, request URI, host and header values point into
// memory fasthttp reuses for the connection's next request), so a value a
// handler keeps past its answer — an audit event written in the background,
// a map key — would change under it.
//
// The request's context is detached from fasthttp's too: the adaptor's
// context is the fasthttp.RequestCtx, whose Done channel the server rewrites
// at shutdown without a lock, so a context.WithTimeout derived from it (a
// module call's) starts a goroutine that races with Shutdown. fasthttp
// closes that channel only at shutdown, so no cancellation is lost that a
// handler relies on; the values stay.
func Detach(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.Clone(context.WithoutCancel(r.Context()))
		r.RequestURI = strings.Clone(r.RequestURI)
		r.Host = strings.Clone(r.Host)
		r.RemoteAddr = strings.Clone(r.RemoteAddr)
		r.Method = strings.Clone(r.Method)
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			u.Host, u.Scheme = r.URL.Host, r.URL.Scheme
			r.URL = u
		} else {
			u := *r.URL
			u.Path, u.RawPath, u.RawQuery = strings.Clone(u.Path), strings.Clone(u.RawPath), strings.Clone(u.RawQuery)
			r.URL = &u
		}
		h2 := make(http.Header, len(r.Header))
		for k, vs := range r.Header {
			c := make([]string, len(vs))
			for i, v := range vs {
				c[i] = strings.Clone(v)
			}
			h2[strings.Clone(k)] = c
		}
		r.Header = h2
		h.ServeHTTP(w, r)
	})
}
