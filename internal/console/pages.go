package console

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/webui"
)

// routes registers the console's pages. Every change is a POST.
func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusMovedPermanently)
	})
	m.HandleFunc("GET /console/{$}", c.home)
	m.HandleFunc("GET /console/console.css", c.stylesheet)
	m.HandleFunc("POST /console/signin", c.signIn)
	m.HandleFunc("POST /console/signout", c.handler(c.signOut))
	m.HandleFunc("/console/", c.handler(c.notFound404))

	t := "/console/tenants/{tenant}"
	m.HandleFunc("GET "+t, c.handler(c.overview))
	m.HandleFunc("GET "+t+"/{$}", c.handler(c.overview))
	m.HandleFunc("POST "+t+"/migration", c.handler(c.setMigration))
	m.HandleFunc("GET "+t+"/scripts", c.handler(c.scripts))
	m.HandleFunc("POST "+t+"/scripts", c.handler(c.uploadScript))
	m.HandleFunc("POST "+t+"/scripts/test", c.handler(c.testScript))
	m.HandleFunc("POST "+t+"/scripts/{version}/activate", c.handler(c.activateScript))
	m.HandleFunc("POST "+t+"/scripts/{version}/delete", c.handler(c.deleteScript))
	m.HandleFunc("GET "+t+"/connection", c.handler(c.connection))
	m.HandleFunc("POST "+t+"/connection", c.handler(c.setConnection))
	m.HandleFunc("POST "+t+"/connection/test", c.handler(c.testConnection))
	m.HandleFunc("POST "+t+"/connection/close", c.handler(c.closeConnection))
	m.HandleFunc("GET "+t+"/users", c.handler(c.users))
	m.HandleFunc("GET "+t+"/users/{id}", c.handler(c.user))
	m.HandleFunc("POST "+t+"/users/{id}/delete", c.handler(c.deleteUser))
	m.HandleFunc("GET "+t+"/logs", c.handler(c.logs))
	m.HandleFunc("GET "+t+"/audit", c.handler(c.audit))
}

func (c *Console) stylesheet(w http.ResponseWriter, r *http.Request) {
	b, _ := files.ReadFile("static/console.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

func (c *Console) notFound404(q *request) { c.notFound(q.w, q) }

// home is the sign-in form, the operator's list of tenants, or a tenant
// key's own tenant.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	q := c.signedIn(w, r)
	if q == nil {
		c.signInForm(w, r, http.StatusOK, nil)
		return
	}
	if !q.sess.Principal.Operator {
		q.tenant = q.sess.Principal.Tenant
		q.redirect("", "")
		return
	}
	list, err := c.svc.ListTenants(r.Context())
	v := q.view("Tenants", nil)
	if err != nil {
		v.Error = c.errorView(err)
		c.render(w, v.Error.Status, "error", v)
		return
	}
	v.Data = list
	c.render(w, http.StatusOK, "tenants", v)
}

// signInForm shows the sign-in form with a fresh token for preCookie.
func (c *Console) signInForm(w http.ResponseWriter, r *http.Request, status int, e *viewError) {
	pre := randomToken()
	setCookie(w, r, preCookie, pre, 600)
	c.render(w, status, "signin", &view{Title: "Sign in", CSRF: pre, Error: e})
}

// signIn checks the token as the API does (auth.Service.Authenticate, so
// wrong tokens count against the address's limit) and starts a session.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	pre, err := r.Cookie(preCookie)
	if err != nil || !webui.CheckCSRF(r, pre.Value) {
		c.signInForm(w, r, http.StatusForbidden, &viewError{Status: http.StatusForbidden, Code: auth.CodeForbidden,
			Message: "the sign-in form expired; try again"})
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	p, err := c.svc.Authenticate(r.Context(), token, metaOf(r))
	if err != nil {
		e := c.errorView(err)
		c.signInForm(w, r, e.Status, e)
		return
	}
	id, _, err := c.svc.StartConsoleSession(r.Context(), p, auth.HashSecret(token), c.opt.Now())
	if err != nil {
		e := c.errorView(err)
		c.signInForm(w, r, e.Status, e)
		return
	}
	setCookie(w, r, preCookie, "", -1)
	setCookie(w, r, SessionCookie, id, int(auth.ConsoleMaxLifetime/time.Second))
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (c *Console) signOut(q *request) {
	if err := c.svc.EndConsoleSession(q.r.Context(), q.sid); err != nil {
		c.render(q.w, http.StatusInternalServerError, "error", q.view("Error", c.errorView(err)))
		return
	}
	setCookie(q.w, q.r, SessionCookie, "", -1)
	http.Redirect(q.w, q.r, "/console/", http.StatusSeeOther)
}

// pageFunc builds a tenant page's view.
type pageFunc func(q *request) (*view, error)

// show renders a tenant page, with the notice a redirect named.
func (c *Console) show(q *request, name string, build pageFunc) {
	v, err := build(q)
	if err != nil {
		v := q.view("Error", c.errorView(err))
		c.render(q.w, v.Error.Status, "error", v)
		return
	}
	v.Notice = notices[q.r.URL.Query().Get("ok")]
	c.render(q.w, http.StatusOK, name, v)
}

// answer finishes a change: on success, back to the page with the notice;
// on failure, the page again with the error the API would give, and its
// status.
func (c *Console) answer(q *request, err error, page, ok, name string, build pageFunc) {
	if err == nil {
		q.redirect(page, ok)
		return
	}
	e := c.errorView(err)
	v, berr := build(q)
	if berr != nil {
		v = q.view("Error", nil)
		name = "error"
	}
	v.Error = e
	c.render(q.w, e.Status, name, v)
}

// overviewData is the tenant page: the same numbers as GET /migration and
// the chart of migrations.
type overviewData struct {
	Status *auth.MigrationStatus
	Total  int64
	// HasHistory is false when the store keeps no hourly counts.
	HasHistory bool
	Hours      *chart
	Days       *chart
	// LegacyUsers is the legacy database's number of users, the share's
	// denominator: typed into the page (?legacy_users=, as the CLI's
	// --legacy-users) until GET /migration counts them; 0 shows no share.
	LegacyUsers int64
	// Share is the migrated users' share of LegacyUsers, "12.3%".
	Share string
}

// Chart spans: per hour for today and chartHourDays days before; per day
// before them, from the first migration, for chartMinDays to chartDays.
const (
	chartHourDays = 2
	chartDays     = 90
	chartMinDays  = 14
)

func (c *Console) overviewPage(q *request) (*view, error) {
	st, err := c.svc.MigrationStatus(q.r.Context(), q.tenant)
	if err != nil {
		return nil, err
	}
	now := c.opt.Now().UTC()
	day := 24 * time.Hour
	// Per hour from 00:00 UTC chartHourDays days ago, so that the days
	// before line up with it.
	daysTo := now.Truncate(day).Add(-chartHourDays * day)
	hours := int(now.Sub(daysTo)/time.Hour) + 1
	buckets, ok, err := c.svc.MigrationHistory(q.r.Context(), q.tenant, daysTo.Add(-chartDays*day))
	if err != nil {
		return nil, err
	}
	d := &overviewData{Status: st, Total: st.Stats.UsersMigrated + st.Stats.UsersRegistered, HasHistory: ok}
	// The module's count_users when it has one, else what the admin typed.
	n, err := strconv.ParseInt(q.r.URL.Query().Get("legacy_users"), 10, 64)
	if st.LegacyUsers != nil {
		n, err = *st.LegacyUsers, nil
	}
	if err == nil && n > 0 {
		d.LegacyUsers = n
		d.Share = fmt.Sprintf("%.1f%%", float64(min(st.Stats.UsersMigrated, n))*100/float64(n))
	}
	if ok {
		d.Hours = newChart("Migrated users per hour, today and the two days before (UTC)", buckets, daysTo, time.Hour, hours)
		// Per day from the first day with migrations, when it is older.
		if len(buckets) > 0 && buckets[0].Start.Before(daysTo) {
			n := max(int(daysTo.Sub(buckets[0].Start.Truncate(day))/day), chartMinDays)
			d.Days = newChart("Migrated users per day before that (UTC)", buckets, daysTo.Add(-time.Duration(n)*day), day, n)
		}
	}
	v := q.view("Tenant "+q.tenant, nil)
	v.Section = "overview"
	v.Data = d
	return v, nil
}

func (c *Console) overview(q *request) { c.show(q, "tenant", c.overviewPage) }

func (c *Console) setMigration(q *request) {
	_, err := c.svc.SetMigration(q.r.Context(), q.tenant, q.r.PostFormValue("enabled") == "true", q.meta)
	c.answer(q, err, "", "migration", "tenant", c.overviewPage)
}

// scriptsData is the scripts page.
type scriptsData struct {
	Versions []*auth.Script
	Active   int
	Test     *testView
}

// testView is a dry run's form and answer.
type testView struct {
	Op, Identifier string
	Version        int
	Ran            bool
	OK             bool
	Result         string
	Failure        *auth.ScriptError
	Logs           []auth.LogEntry
	DurationMS     float64
	Fuel           int64
}

func (c *Console) scriptsPage(q *request) (*view, error) {
	list, active, err := c.svc.Scripts(q.r.Context(), q.tenant)
	if err != nil {
		return nil, err
	}
	// Newest first.
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	v := q.view("Scripts · "+q.tenant, nil)
	v.Section = "scripts"
	v.Data = &scriptsData{Versions: list, Active: active, Test: &testView{Op: auth.OpLogin}}
	return v, nil
}

func (c *Console) scripts(q *request) { c.show(q, "scripts", c.scriptsPage) }

// uploadScript stores the form's module as PUT /script does.
func (c *Console) uploadScript(q *request) {
	err := func() error {
		f, _, err := q.r.FormFile("module")
		if err != nil {
			return auth.Errorf(auth.CodeInvalidRequest, "choose a .wasm file to upload")
		}
		defer f.Close()
		module, err := io.ReadAll(io.LimitReader(f, c.opt.MaxModuleSize+1))
		if err != nil {
			return auth.Errorf(auth.CodeInvalidRequest, "the file could not be read")
		}
		if int64(len(module)) > c.opt.MaxModuleSize {
			return auth.Errorf(auth.CodeModuleTooLarge, "the module is larger than the limit")
		}
		_, err = c.svc.UploadScript(q.r.Context(), q.tenant, module, q.r.PostFormValue("activate") == "true", q.meta)
		return err
	}()
	c.answer(q, err, "/scripts", "uploaded", "scripts", c.scriptsPage)
}

// version reads the {version} of the path as the API does.
func version(q *request) (int, error) {
	v, err := strconv.Atoi(q.r.PathValue("version"))
	if err != nil || v <= 0 {
		return 0, auth.Errorf(auth.CodeNotFound, "no such script version")
	}
	return v, nil
}

func (c *Console) activateScript(q *request) {
	v, err := version(q)
	if err == nil {
		_, err = c.svc.ActivateScript(q.r.Context(), q.tenant, v, q.meta)
	}
	c.answer(q, err, "/scripts", "activated", "scripts", c.scriptsPage)
}

func (c *Console) deleteScript(q *request) {
	v, err := version(q)
	if err == nil {
		err = c.svc.DeleteScript(q.r.Context(), q.tenant, v, q.meta)
	}
	c.answer(q, err, "/scripts", "deleted", "scripts", c.scriptsPage)
}

// testScript runs a dry run as POST /script/test does and shows the
// answer on the scripts page.
func (c *Console) testScript(q *request) {
	f := q.r.PostForm
	in := auth.ScriptTest{Op: f.Get("op"), Identifier: f.Get("identifier"), Password: f.Get("password")}
	if s := f.Get("version"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			c.answer(q, auth.Errorf(auth.CodeInvalidRequest, "version must be a version number"), "", "", "scripts", c.scriptsPage)
			return
		}
		in.Version = n
	}
	res, failure, err := c.svc.TestScript(q.r.Context(), q.tenant, in)
	if err != nil {
		c.answer(q, err, "", "", "scripts", c.scriptsPage)
		return
	}
	v, err := c.scriptsPage(q)
	if err != nil {
		c.answer(q, err, "", "", "scripts", c.scriptsPage)
		return
	}
	tv := &testView{Op: in.Op, Identifier: in.Identifier, Version: in.Version, Ran: true, OK: failure == nil,
		Failure: failure, Logs: res.Logs, DurationMS: float64(res.Duration.Microseconds()) / 1000, Fuel: res.FuelUsed}
	if failure == nil {
		tv.Result = indentJSON(res.Output)
	}
	v.Data.(*scriptsData).Test = tv
	c.render(q.w, http.StatusOK, "scripts", v)
}

// indentJSON formats a module's answer for reading.
func indentJSON(raw json.RawMessage) string {
	var b strings.Builder
	var out json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return string(raw)
	}
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return string(raw)
	}
	return strings.TrimSpace(b.String())
}

// connectionData is the connection page; the DSN is never shown.
type connectionData struct {
	Conn   *auth.Connection
	Config string
	Limits auth.Limits
	// Driver is the form's driver.
	Driver string
}

func (c *Console) connectionPage(q *request) (*view, error) {
	conn, err := c.svc.Connection(q.r.Context(), q.tenant)
	if err != nil {
		return nil, err
	}
	d := &connectionData{Conn: conn, Config: "{}", Driver: "postgres"}
	if conn != nil {
		if conn.Config != nil {
			b, _ := json.MarshalIndent(conn.Config, "", "  ")
			d.Config = string(b)
		}
		d.Limits, d.Driver = conn.Limits, conn.Driver
	}
	if q.r.Method == http.MethodPost {
		// Keep what was typed, but never the DSN.
		d.Driver, d.Config = q.r.PostFormValue("driver"), q.r.PostFormValue("config")
	}
	v := q.view("Connection · "+q.tenant, nil)
	v.Section = "connection"
	v.Data = d
	return v, nil
}

func (c *Console) connection(q *request) { c.show(q, "connection", c.connectionPage) }

// setConnection sets the connection as PUT /connection does: the same
// checks, the same ping, the same errors.
func (c *Console) setConnection(q *request) {
	err := func() error {
		f := q.r.PostForm
		conn := &auth.Connection{Driver: f.Get("driver"), DSN: f.Get("dsn"), Config: map[string]any{}}
		if s := strings.TrimSpace(f.Get("config")); s != "" {
			if err := json.Unmarshal([]byte(s), &conn.Config); err != nil || conn.Config == nil {
				return auth.Errorf(auth.CodeInvalidRequest, "config must be a JSON object")
			}
		}
		for _, l := range []struct {
			name string
			set  func(int64)
		}{
			{"timeout_ms", func(n int64) { conn.Limits.TimeoutMS = int(n) }},
			{"memory_mb", func(n int64) { conn.Limits.MemoryMB = int(n) }},
			{"fuel", func(n int64) { conn.Limits.Fuel = n }},
			{"max_queries", func(n int64) { conn.Limits.MaxQueries = int(n) }},
			{"max_rows", func(n int64) { conn.Limits.MaxRows = int(n) }},
			{"instances", func(n int64) { conn.Limits.Instances = int(n) }},
		} {
			s := strings.TrimSpace(f.Get(l.name))
			if s == "" {
				continue
			}
			n, err := strconv.ParseInt(s, 10, 32)
			if l.name == "fuel" {
				n, err = strconv.ParseInt(s, 10, 64)
			}
			if err != nil {
				return auth.Errorf(auth.CodeInvalidRequest, "%s must be a whole number", l.name)
			}
			l.set(n)
		}
		return c.svc.SetConnection(q.r.Context(), q.tenant, conn, q.meta)
	}()
	c.answer(q, err, "/connection", "connection", "connection", c.connectionPage)
}

// testConnection pings the stored connection by setting it again: the
// same checks and errors as PUT /connection.
func (c *Console) testConnection(q *request) {
	conn, err := c.svc.Connection(q.r.Context(), q.tenant)
	if err == nil && conn == nil {
		err = auth.Errorf(auth.CodeNotFound, "the tenant has no connection")
	}
	if err == nil {
		err = c.svc.SetConnection(q.r.Context(), q.tenant, conn, q.meta)
	}
	c.answer(q, err, "/connection", "tested", "connection", c.connectionPage)
}

func (c *Console) closeConnection(q *request) {
	err := c.svc.DeleteConnection(q.r.Context(), q.tenant, q.meta)
	c.answer(q, err, "/connection", "closed", "connection", c.connectionPage)
}

// usersData is a page of users, or the one a search found.
type usersData struct {
	Query, Source string
	Users         []*auth.User
	Next          string
	Searched      bool
}

func (c *Console) users(q *request) {
	c.show(q, "users", func(q *request) (*view, error) {
		qs := q.r.URL.Query()
		d := &usersData{Query: strings.TrimSpace(qs.Get("q")), Source: qs.Get("source")}
		if d.Query != "" {
			d.Searched = true
			u, err := c.svc.FindUser(q.r.Context(), q.tenant, d.Query)
			if err != nil && auth.ErrorCode(err) != auth.CodeNotFound {
				return nil, err
			}
			if u != nil {
				d.Users = []*auth.User{u}
			}
		} else {
			list, next, err := c.svc.ListUsers(q.r.Context(), q.tenant, auth.UserQuery{
				Source: auth.Source(d.Source), Limit: 50, Cursor: qs.Get("cursor")})
			if err != nil {
				return nil, err
			}
			d.Users, d.Next = list, next
		}
		v := q.view("Users · "+q.tenant, nil)
		v.Section = "users"
		v.Data = d
		return v, nil
	})
}

// userData is one user with its profile as JSON.
type userData struct {
	User    *auth.User
	Profile string
}

func (c *Console) userPage(q *request) (*view, error) {
	u, err := c.svc.GetUser(q.r.Context(), q.tenant, q.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p, _ := json.MarshalIndent(u.Profile, "", "  ")
	v := q.view("User · "+q.tenant, nil)
	v.Section = "users"
	v.Data = &userData{User: u, Profile: string(p)}
	return v, nil
}

func (c *Console) user(q *request) { c.show(q, "user", c.userPage) }

func (c *Console) deleteUser(q *request) {
	err := c.svc.DeleteUser(q.r.Context(), q.tenant, q.r.PathValue("id"), q.meta)
	if err != nil {
		c.answer(q, err, "", "", "user", c.userPage)
		return
	}
	q.redirect("/users", "user")
}

// logsData is the newest lines of the script log; More is the limit that
// shows more of them, 0 when there are no more.
type logsData struct {
	Logs []auth.LogEntry
	More int
}

// maxPage is the most lines or events one page shows, as in the API.
const maxPage = 1000

func (c *Console) logs(q *request) {
	c.show(q, "logs", func(q *request) (*view, error) {
		limit, _ := strconv.Atoi(q.r.URL.Query().Get("limit"))
		limit = min(max(limit, 100), maxPage)
		list, err := c.svc.Logs(q.r.Context(), q.tenant, limit)
		if err != nil {
			return nil, err
		}
		d := &logsData{Logs: list}
		if len(list) == limit && limit < maxPage {
			d.More = min(limit*2, maxPage)
		}
		v := q.view("Logs · "+q.tenant, nil)
		v.Section = "logs"
		v.Data = d
		return v, nil
	})
}

// auditData is a page of the audit trail, newest first.
type auditData struct {
	Events []*auth.AuditEvent
	Next   string
}

func (c *Console) audit(q *request) {
	c.show(q, "audit", func(q *request) (*view, error) {
		events, next, err := c.svc.Audit(q.r.Context(), q.tenant, 50, q.r.URL.Query().Get("cursor"))
		if err != nil {
			return nil, err
		}
		v := q.view("Audit · "+q.tenant, nil)
		v.Section = "audit"
		v.Data = &auditData{Events: events, Next: next}
		return v, nil
	})
}
