// Package console is the web console at /console/: server-rendered pages
// (html/template, embedded, no JavaScript) over the same auth.Service
// methods as the admin API.
//
// An administrator signs in with the operator token or a tenant API key.
// The console keeps a server-side session in the store
// (auth.ConsoleSession), so that it works on every node sharing the store:
// the browser holds only an opaque random id in an HttpOnly,
// SameSite=Strict cookie, the store only its SHA-256. Every change is a form post carrying the
// session's CSRF token. A tenant key sees its own tenant only; any other
// tenant's pages answer exactly as a tenant that does not exist.
//
// The security headers, cookies and CSRF checks live here, small and on
// their own, until the hosted login pages (internal/pages) and the console
// share them.
package console
