package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/webui"
)

//go:embed templates/*.html static/console.css
var files embed.FS

// Options configures the console.
type Options struct {
	// Status maps an error code to the HTTP status the API answers it
	// with (httpapi.StatusOf, the one table).
	Status func(auth.Code) int
	// MaxModuleSize bounds a module upload (16 MiB); the server's body
	// limit applies first.
	MaxModuleSize int64
	// Log receives internal errors; nil discards them.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Console serves the pages under /console/.
type Console struct {
	svc   *auth.Service
	opt   Options
	mux   *http.ServeMux
	pages map[string]*template.Template
}

// metaKey is the key under which Fiber hands the request's auth.Meta to
// the console (see Fiber).
type metaKey struct{}

// New builds the console over svc.
func New(svc *auth.Service, opt Options) *Console {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxModuleSize <= 0 {
		opt.MaxModuleSize = 16 << 20
	}
	c := &Console{svc: svc, opt: opt, mux: http.NewServeMux(), pages: parsePages()}
	c.routes()
	return c
}

// Fiber returns the console as a Fiber handler, to mount with
// app.Use("/console", ...); meta gives each request's client address and
// request id as the API sees them (rate limits and audit use them).
func (c *Console) Fiber(meta func(*fiber.Ctx) auth.Meta) fiber.Handler {
	h := adaptor.HTTPHandler(webui.Detach(c))
	return func(fc *fiber.Ctx) error {
		if p := fc.Path(); p != "/console" && !strings.HasPrefix(p, "/console/") {
			return fc.Next()
		}
		fc.Locals(metaKey{}, meta(fc))
		// The adaptor adds the console's headers to those already set;
		// the console sets these itself.
		for _, k := range webui.HeaderNames {
			fc.Response().Header.Del(k)
		}
		return h(fc)
	}
}

// ServeHTTP answers a request under /console/.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	c.mux.ServeHTTP(w, r)
}

// parsePages parses each page with the base layout.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"bytes": func(n int) string {
			switch {
			case n >= 1<<20:
				return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
			case n >= 1<<10:
				return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
			}
			return fmt.Sprintf("%d B", n)
		},
		"drivers": func() []string { return []string{"postgres", "mysql", "sqlite"} },
		"time": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/base.html" {
			continue
		}
		pages[n[len("templates/"):len(n)-len(".html")]] = template.Must(
			template.New("base.html").Funcs(funcs).ParseFS(files, "templates/base.html", n))
	}
	return pages
}

// view is what every page template gets.
type view struct {
	Title string
	// Operator and SignedIn describe who is signed in.
	Operator bool
	SignedIn string
	CSRF     string
	// Tenant is the tenant whose pages these are, "" elsewhere.
	Tenant string
	// Section is the tenant page shown, for the navigation.
	Section string
	// Notice tells what the last change did.
	Notice string
	Error  *viewError
	Data   any
}

// viewError is an error as the API would answer it.
type viewError struct {
	Status     int
	Code       auth.Code
	Message    string
	RetryAfter time.Duration
}

// render writes page name with v and status, and the Retry-After of a
// 429 or 503 as the API sets it.
func (c *Console) render(w http.ResponseWriter, status int, name string, v *view) {
	if v.Error != nil && v.Error.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(v.Error.RetryAfter.Seconds()))))
	}
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, v); err != nil {
		c.opt.Log.Error("console: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorView turns err into what the API would answer: its status, code and
// client-safe message.
func (c *Console) errorView(err error) *viewError {
	code := auth.ErrorCode(err)
	msg := auth.ErrorMessage(err)
	if code == auth.CodeInternal {
		c.opt.Log.Error("console: internal error", "err", err)
		msg = "internal error"
	}
	status := http.StatusInternalServerError
	if c.opt.Status != nil {
		status = c.opt.Status(code)
	}
	e := &viewError{Status: status, Code: code, Message: msg}
	var ae *auth.Error
	if errors.As(err, &ae) {
		e.RetryAfter = ae.RetryAfter
	}
	if e.RetryAfter <= 0 && (code == auth.CodeRateLimited || code == auth.CodeOverloaded) {
		e.RetryAfter = time.Second // as the API answers them
	}
	return e
}

// request is one request of a signed-in administrator.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	sid  string
	sess *auth.ConsoleSession
	meta auth.Meta
	// tenant is the {tenant} of the path, once authorized.
	tenant string
}

// metaOf returns the request's auth.Meta, as Fiber handed it over.
func metaOf(r *http.Request) auth.Meta {
	m, _ := r.Context().Value(metaKey{}).(auth.Meta)
	return m
}

// signedIn returns the request's live session, or nil. A tenant's session
// ends when its key was rotated or the tenant deleted.
func (c *Console) signedIn(w http.ResponseWriter, r *http.Request) *request {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	sess, err := c.svc.ConsoleSession(r.Context(), ck.Value, c.opt.Now())
	if err != nil {
		if !errors.Is(err, auth.ErrNotFound) {
			c.opt.Log.Error("console session", "err", err)
		}
		return nil
	}
	m := metaOf(r)
	m.Actor = sess.Principal.Actor()
	return &request{w: w, r: r, sid: ck.Value, sess: sess, meta: m}
}

// handler wraps a page: it needs a session (else it goes to the sign-in
// page), a post's CSRF token, and, when the path names a tenant, the right
// to see it — a tenant the session may not see answers as one that does not
// exist.
func (c *Console) handler(fn func(*request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := c.signedIn(w, r)
		if q == nil {
			http.Redirect(w, r, "/console/", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			// The body is in memory already (fasthttp read it): keep the
			// form there too, and leave no temporary files behind.
			r.Body = http.MaxBytesReader(w, r.Body, c.opt.MaxModuleSize+1<<20)
			err := r.ParseMultipartForm(c.opt.MaxModuleSize + 1<<20)
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
			if err != nil && !errors.Is(err, http.ErrNotMultipart) {
				c.render(w, http.StatusBadRequest, "error", q.view("Bad request", &viewError{
					Status: http.StatusBadRequest, Code: auth.CodeInvalidRequest, Message: "the form could not be read"}))
				return
			}
			if !webui.CheckCSRF(r, q.sess.CSRF) {
				c.render(w, http.StatusForbidden, "error", q.view("Form expired", &viewError{
					Status: http.StatusForbidden, Code: auth.CodeForbidden,
					Message: "the form is missing its security token or it has expired; reload the page and try again"}))
				return
			}
		}
		if t := r.PathValue("tenant"); t != "" {
			if q.sess.Principal.Authorize(t) != nil {
				c.notFound(w, q)
				return
			}
			if _, err := c.svc.Tenant(r.Context(), t); err != nil {
				if auth.ErrorCode(err) == auth.CodeTenantNotFound {
					c.notFound(w, q)
					return
				}
				c.render(w, http.StatusInternalServerError, "error", q.view("Error", c.errorView(err)))
				return
			}
			q.tenant = t
		}
		fn(q)
	}
}

// notFound answers a tenant the session may not see, or that does not
// exist, with the same page.
func (c *Console) notFound(w http.ResponseWriter, q *request) {
	c.render(w, http.StatusNotFound, "error", q.view("Not found", &viewError{
		Status: http.StatusNotFound, Code: auth.CodeNotFound, Message: "there is no such page"}))
}

// view starts a page's view with who is signed in.
func (q *request) view(title string, e *viewError) *view {
	v := &view{Title: title, Operator: q.sess.Principal.Operator, SignedIn: q.sess.Principal.Tenant, CSRF: q.sess.CSRF, Tenant: q.tenant, Error: e}
	if v.Operator {
		v.SignedIn = "operator"
	}
	return v
}

// redirect answers a successful change by going back to page (a path
// under the tenant) with the notice key ok.
func (q *request) redirect(page, ok string) {
	u := "/console/tenants/" + url.PathEscape(q.tenant) + page
	if ok != "" {
		u += "?ok=" + url.QueryEscape(ok)
	}
	http.Redirect(q.w, q.r, u, http.StatusSeeOther)
}

// notices are the messages a redirect after a change may show; the query
// names one, so nothing the URL carries is echoed.
var notices = map[string]string{
	"migration":  "Migration switch saved.",
	"uploaded":   "Module uploaded.",
	"activated":  "Version activated.",
	"deleted":    "Version deleted.",
	"connection": "Connection saved: the database answered.",
	"tested":     "The database answered.",
	"closed":     "Connection closed; migration is off.",
	"user":       "User deleted.",
}

// ModuleUpload reports whether a request head is a module upload
// (POST /console/tenants/{tenant}/scripts) of a live session that may see
// the tenant: the server then reads a body as large as a module, plus the
// form's overhead, instead of its JSON limit. It is called before the body
// is read; the handler checks everything again.
func (c *Console) ModuleUpload(method, uri, cookie string) bool {
	if method != http.MethodPost || cookie == "" {
		return false
	}
	p, _, _ := strings.Cut(uri, "?")
	rest, ok := strings.CutPrefix(p, "/console/tenants/")
	if !ok {
		return false
	}
	tenant, ok := strings.CutSuffix(rest, "/scripts")
	if !ok || tenant == "" || strings.Contains(tenant, "/") {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, err := c.svc.ConsoleSession(ctx, cookie, c.opt.Now())
	return err == nil && sess.Principal.Authorize(tenant) == nil
}
