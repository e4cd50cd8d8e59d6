package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/pages"
	"github.com/wasmauth/wasmauth/internal/webui"
)

// Cookies of the hosted pages, both with path /t/{tenant}/.
const (
	sessionCookie = "wasmauth_session"
	csrfCookie    = "wasmauth_csrf"
)

// csrfTTL is how long a browser keeps its CSRF token.
const csrfTTL = 24 * time.Hour

// maxFormBody bounds the hosted forms' bodies.
const maxFormBody = 16 << 10

// tenantHandler serves one tenant's OpenID Provider paths (below the
// issuer's path): the library's endpoints and the hosted pages.
type tenantHandler struct {
	p      *Provider
	op     *op.Provider
	tenant string
	issuer string
	// reads holds the request's read memo (auth.WithReadMemo).
	reads context.Context
}

func (h *tenantHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case pathAuthorize:
		// The library's storage calls read the client, tenant and user
		// several times per request: once from the store is enough.
		h.authorize(w, r.WithContext(auth.SameReadMemo(r.Context(), h.reads)))
	case pathCallback:
		h.callback(w, r)
	case pathToken:
		h.token(w, r.WithContext(auth.SameReadMemo(r.Context(), h.reads)))
	case pathLogout:
		h.logout(w, r)
	case pathLogout + "/confirm":
		h.confirmLogout(w, r)
	case pathSignIn:
		if r.Method == http.MethodPost {
			h.signInPost(w, r)
		} else {
			h.signInGet(w, r)
		}
	case pathSignUp:
		if r.Method == http.MethodPost {
			h.signUpPost(w, r)
		} else {
			h.signUpGet(w, r)
		}
	case pathSignedOut:
		h.message(w, http.StatusOK, "Signed out", "You are signed out.")
	default:
		h.message(w, http.StatusNotFound, "Not found", "There is no page here.")
	}
}

// page returns what every page shows: the tenant's name, or its branding.
func (h *tenantHandler) page(ctx context.Context, title, msg string) pages.Page {
	p := pages.Page{Tenant: h.tenant, Title: title, Message: msg}
	t, err := h.p.svc.Tenant(ctx, h.tenant)
	if err != nil {
		return p
	}
	if t.Name != "" {
		p.Tenant = t.Name
	}
	if b := t.Branding; b != nil {
		if b.DisplayName != "" {
			p.Tenant = b.DisplayName
		}
		p.LogoURL, p.Accent = b.LogoURL, b.AccentColor
	}
	return p
}

func (h *tenantHandler) message(w http.ResponseWriter, status int, title, msg string) {
	pages.Render(w, status, "message", h.page(context.Background(), title, msg))
}

// cookie returns a cookie of the hosted pages.
func (h *tenantHandler) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/t/" + h.tenant + "/",
		MaxAge: int(maxAge / time.Second), HttpOnly: true, Secure: h.p.secure, SameSite: http.SameSiteLaxMode,
	}
}

// browserSession returns the live browser session of the request's cookie,
// or nil. A session ends with its user, and when the user's record changed
// after it began (a new password, for example).
func (h *tenantHandler) browserSession(r *http.Request) *auth.BrowserSession {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil
	}
	ctx := r.Context()
	b, err := h.p.records.GetBrowserSession(ctx, h.tenant, auth.HashSecret(c.Value))
	if err != nil || !h.p.svc.Now().Before(b.ExpiresAt) {
		return nil
	}
	u, err := h.p.svc.GetUser(ctx, h.tenant, b.UserID)
	if err != nil || u.UpdatedAt.After(b.CreatedAt) {
		return nil
	}
	return b
}

// csrfToken returns the browser's CSRF token, setting a new cookie when it
// has none.
func (h *tenantHandler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 128 {
		return c.Value
	}
	tok := randomID()
	http.SetCookie(w, h.cookie(csrfCookie, tok, csrfTTL))
	return tok
}

// checkCSRF reports whether the form's token matches the browser's cookie.
func checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	return err == nil && webui.CheckCSRF(r, c.Value)
}

// needsLogin reports whether the request asks for a password although the
// browser has a session: prompt=login, or a max_age the session is past.
func (p *Provider) needsLogin(ar *auth.AuthRequest, b *auth.BrowserSession) bool {
	if b == nil || slices.Contains(ar.Prompt, oidc.PromptLogin) {
		return true
	}
	if ar.MaxAge != nil && p.svc.Now().Sub(b.AuthTime) > time.Duration(*ar.MaxAge)*time.Second {
		return true
	}
	return false
}

// ssoKey carries an /authorize request's live browser session to
// CreateAuthRequest.
type ssoKey struct{}

// sso is the live browser session of an /authorize request and, when
// CreateAuthRequest found that the session answers the request, the
// request, validated but not stored.
type sso struct {
	b  *auth.BrowserSession
	ar *auth.AuthRequest
}

// authorize runs the library's authorization endpoint. With a live browser
// session that the request does not ask to re-enter, it answers at once
// with the code (single sign-on, the contract's "no page"): the library
// validates the request, CreateAuthRequest leaves it unstored, the
// library's redirect to the sign-in page is dropped, and SaveAuthCode
// stores the request with its user and code in one write.
func (h *tenantHandler) authorize(w http.ResponseWriter, r *http.Request) {
	var s *sso
	out := w
	var buf *bufferedResponse
	if b := h.browserSession(r); b != nil {
		s = &sso{b: b}
		r = r.WithContext(context.WithValue(r.Context(), ssoKey{}, s))
		buf = &bufferedResponse{header: http.Header{}}
		out = buf
	}
	f := &responseFixer{ResponseWriter: out, h: h, addIss: true, htmlErrors: true}
	h.op.ServeHTTP(f, r)
	if s != nil && s.ar != nil {
		h.p.observe.OIDCEvent("authorization", "sso")
		h.complete(w, r, s.ar, s.b.UserID, s.b.AuthTime, false)
		return
	}
	if buf != nil {
		buf.flush(w)
	}
	if f.status == http.StatusBadRequest || f.toApp {
		h.p.observe.OIDCEvent("authorization", "refused")
	}
}

// pendingRequest loads the authorization request named by the id field,
// or answers with the error page.
func (h *tenantHandler) pendingRequest(w http.ResponseWriter, r *http.Request, id string) *auth.AuthRequest {
	ar, err := h.p.records.GetAuthRequest(r.Context(), h.tenant, id)
	if err != nil || ar.CodeHash != nil {
		h.message(w, http.StatusBadRequest, "Sign-in expired",
			"This sign-in link is no longer valid. Go back to the app and sign in again.")
		return nil
	}
	return ar
}

// signInGet shows the sign-in form, or, with a live browser session, goes
// straight back to the app (single sign-on). prompt=none without a session
// returns login_required to the app.
func (h *tenantHandler) signInGet(w http.ResponseWriter, r *http.Request) {
	ar := h.pendingRequest(w, r, r.URL.Query().Get("id"))
	if ar == nil {
		return
	}
	b := h.browserSession(r)
	if !h.p.needsLogin(ar, b) {
		h.p.observe.OIDCEvent("authorization", "sso")
		h.complete(w, r, ar, b.UserID, b.AuthTime, true)
		return
	}
	if slices.Contains(ar.Prompt, oidc.PromptNone) {
		h.p.observe.OIDCEvent("authorization", "login_required")
		op.AuthRequestError(&responseFixer{ResponseWriter: w, h: h, addIss: true, htmlErrors: true}, r,
			&authRequest{ar}, oidc.ErrLoginRequired(), h.op)
		return
	}
	h.p.observe.OIDCEvent("authorization", "form")
	h.renderSignIn(w, r, http.StatusOK, ar.ID, ar.LoginHint, "")
}

func (h *tenantHandler) renderSignIn(w http.ResponseWriter, r *http.Request, status int, id, identifier, msg string) {
	pages.Render(w, status, "signin", pages.SignIn{
		Page:   h.page(r.Context(), "Sign in", msg),
		Action: h.issuer + pathSignIn, RequestID: id, CSRF: h.csrfToken(w, r), Identifier: identifier,
		SignUpURL: h.issuer + pathSignUp + "?id=" + url.QueryEscape(id),
		ForgotURL: h.issuer + pages.ForgotPath,
	})
}

// signInPost checks the form's password with the v1 login rules, starts a
// browser session and goes back to the app.
func (h *tenantHandler) signInPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil || !checkCSRF(r) {
		h.message(w, http.StatusForbidden, "Request refused",
			"This form was not sent from this browser's sign-in page. Go back to the app and sign in again.")
		return
	}
	ar := h.pendingRequest(w, r, r.PostFormValue("id"))
	if ar == nil {
		return
	}
	identifier := r.PostFormValue("identifier")
	u, err := h.p.svc.CheckCredentials(r.Context(), h.tenant, identifier, r.PostFormValue("password"), metaOf(r.Context()))
	h.p.observe.OIDCEvent("hosted_login", loginOutcome(err))
	if err != nil {
		h.fail(err, func(status int, msg string) { h.renderSignIn(w, r, status, ar.ID, identifier, msg) })
		return
	}
	h.startSession(w, r, ar, u.ID)
}

// startSession starts a browser session for a user who has just entered
// their password, and goes back to the app. It lasts the tenant's browser
// session lifetime (24 h unless its settings say otherwise).
func (h *tenantHandler) startSession(w http.ResponseWriter, r *http.Request, ar *auth.AuthRequest, userID string) {
	now := h.p.svc.Now()
	ttl := auth.DefaultBrowserSessionTTL
	if t, err := h.p.svc.Tenant(r.Context(), h.tenant); err == nil {
		ttl = t.BrowserSessionTTL()
	}
	id := randomID()
	if err := h.p.records.CreateBrowserSession(r.Context(), &auth.BrowserSession{
		IDHash: auth.HashSecret(id), Tenant: h.tenant, UserID: userID, AuthTime: now,
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}); err != nil {
		h.p.log.Error("storing a browser session", "tenant", h.tenant, "err", err)
		h.message(w, http.StatusInternalServerError, "Something went wrong", "Sign-in is not available right now. Try again later.")
		return
	}
	http.SetCookie(w, h.cookie(sessionCookie, id, ttl))
	h.complete(w, r, ar, userID, now, true)
}

// signUpGet shows the registration form of a pending request.
func (h *tenantHandler) signUpGet(w http.ResponseWriter, r *http.Request) {
	if ar := h.pendingRequest(w, r, r.URL.Query().Get("id")); ar != nil {
		h.renderSignUp(w, r, http.StatusOK, ar.ID, "", "", "")
	}
}

func (h *tenantHandler) renderSignUp(w http.ResponseWriter, r *http.Request, status int, id, email, username, msg string) {
	pages.Render(w, status, "signup", pages.SignUp{
		Page:   h.page(r.Context(), "Create an account", msg),
		Action: h.issuer + pathSignUp, RequestID: id, CSRF: h.csrfToken(w, r), Email: email, Username: username,
		SignInURL: h.issuer + pathSignIn + "?id=" + url.QueryEscape(id),
	})
}

// signUpPost registers a user with v1's /register rules (get_user while
// migration is on), signs them in and goes back to the app.
func (h *tenantHandler) signUpPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil || !checkCSRF(r) {
		h.message(w, http.StatusForbidden, "Request refused",
			"This form was not sent from this browser's page. Go back to the app and sign in again.")
		return
	}
	ar := h.pendingRequest(w, r, r.PostFormValue("id"))
	if ar == nil {
		return
	}
	email, username := r.PostFormValue("email"), r.PostFormValue("username")
	u, err := h.p.svc.Register(r.Context(), h.tenant, auth.RegisterInput{
		Email: email, Username: username, Password: r.PostFormValue("password"),
	}, metaOf(r.Context()))
	if err != nil {
		h.fail(err, func(status int, msg string) { h.renderSignUp(w, r, status, ar.ID, email, username, msg) })
		return
	}
	h.startSession(w, r, ar, u.ID)
}

// loginOutcome is the metrics outcome of a hosted-form login.
func loginOutcome(err error) string {
	switch auth.ErrorCode(err) {
	case "":
		return "ok"
	case auth.CodeInvalidCredentials, auth.CodeInvalidRequest:
		return "rejected"
	case auth.CodeRateLimited:
		return "rate_limited"
	}
	return "unavailable"
}

// token runs the library's token endpoint and counts code exchanges by
// their OAuth outcome. The request's client id goes into the context, for
// the client's ID token algorithm (SigningKey); an answer for a grant
// without the openid scope loses the ID token the library always makes.
func (h *tenantHandler) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	_ = r.ParseForm() // the library reads r.Form; a bad body is its error to report
	clientID := r.PostForm.Get("client_id")
	if user, _, ok := r.BasicAuth(); ok {
		if id, err := url.QueryUnescape(user); err == nil {
			clientID = id
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), tokenClientKey{}, clientID))
	buf := &bufferedResponse{header: http.Header{}}
	f := &responseFixer{ResponseWriter: buf, h: h, basicChallenge: true}
	h.op.ServeHTTP(f, r)
	buf.stripIDTokenWithoutOpenID()
	buf.flush(w)
	if r.PostForm.Get("grant_type") != "authorization_code" {
		return
	}
	outcome := "ok"
	if f.status >= 400 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(f.body, &e)
		switch e.Error {
		case "invalid_grant", "invalid_client", "invalid_request":
			outcome = e.Error
		default:
			outcome = "error"
		}
	}
	h.p.observe.OIDCEvent("code_exchange", outcome)
}

// bufferedResponse holds a token response until it is complete.
type bufferedResponse struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

// stripIDTokenWithoutOpenID removes the id_token from a successful token
// response whose scope lacks openid: OpenID Connect Core 1.0 §3.1.2.1 makes
// the request without it plain OAuth 2.0, and the contract gives an ID
// token only when openid was asked. The library makes one for every grant.
func (b *bufferedResponse) stripIDTokenWithoutOpenID() {
	if b.status != http.StatusOK {
		return
	}
	var resp map[string]json.RawMessage
	if json.Unmarshal(b.body, &resp) != nil {
		return
	}
	if _, ok := resp["id_token"]; !ok {
		return
	}
	var scope string
	_ = json.Unmarshal(resp["scope"], &scope)
	if slices.Contains(strings.Fields(scope), oidc.ScopeOpenID) {
		return
	}
	delete(resp, "id_token")
	if out, err := json.Marshal(resp); err == nil {
		b.body = out
		b.header.Del("Content-Length")
	}
}

func (b *bufferedResponse) flush(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body)
}

// failureMessage is the page's message for a failed sign-in or
// registration: one for an unknown user and a wrong password, the service's
// own for what the person can fix, and "try again later" when the tenant's
// module or the server fails.
func failureMessage(err error) string {
	switch auth.ErrorCode(err) {
	case auth.CodeInvalidCredentials:
		return "Wrong email, username or password."
	case auth.CodeInvalidRequest, auth.CodeWeakPassword, auth.CodeUserExists:
		return auth.ErrorMessage(err)
	case auth.CodeRateLimited:
		return "Too many attempts. Try again later."
	}
	return "This is not available right now. Try again later."
}

// fail re-renders a form after err with the status the HTTP API gives err's
// code (its one table) and failureMessage.
func (h *tenantHandler) fail(err error, render func(status int, msg string)) {
	code := auth.ErrorCode(err)
	if code == auth.CodeInternal {
		h.p.log.Error("hosted form failed", "tenant", h.tenant, "err", err)
	}
	render(h.p.statusOf(code), failureMessage(err))
}

// signedInKey carries, for one request, the user who has just signed in to
// the authorization request being answered, so that SaveAuthCode stores
// the user and the code in one write.
type signedInKey struct{}

type signedIn struct {
	requestID string
	userID    string
	authTime  time.Time
	// unsaved is the request when it is not stored yet (single sign-on at
	// /authorize): SaveAuthCode stores it whole.
	unsaved *auth.AuthRequest
}

// complete answers a request whose person has just signed in (or has a
// live browser session) with the library's authorization response: the
// redirect to the app with the code. SaveAuthCode stores the user with the
// code (and the request itself when it is not stored yet); nothing else
// is written.
func (h *tenantHandler) complete(w http.ResponseWriter, r *http.Request, ar *auth.AuthRequest, userID string, authTime time.Time, stored bool) {
	if ar.CodeHash != nil || (ar.UserID != "" && ar.UserID != userID) {
		h.message(w, http.StatusBadRequest, "Sign-in expired", "This sign-in link is no longer valid. Go back to the app and sign in again.")
		return
	}
	done := *ar
	done.UserID, done.AuthTime = userID, authTime
	in := signedIn{requestID: ar.ID, userID: userID, authTime: authTime}
	if !stored {
		in.unsaved = &done
	}
	r = r.WithContext(context.WithValue(r.Context(), signedInKey{}, in))
	op.AuthResponse(&authRequest{&done}, h.op, &responseFixer{ResponseWriter: w, h: h, addIss: true, htmlErrors: true}, r)
}

// callback hands a signed-in request to the library, which redirects to the
// app with the code, but only in the browser that signed in: a request id
// seen elsewhere (it is in the sign-in page's URL) gives no code. The
// hosted pages answer with the code themselves (complete); the callback
// stays for the library's flow.
func (h *tenantHandler) callback(w http.ResponseWriter, r *http.Request) {
	ar, err := h.p.records.GetAuthRequest(r.Context(), h.tenant, r.URL.Query().Get("id"))
	b := h.browserSession(r)
	if err != nil || b == nil || ar.UserID == "" || ar.UserID != b.UserID {
		h.message(w, http.StatusBadRequest, "Sign-in expired", "This sign-in link is no longer valid. Go back to the app and sign in again.")
		return
	}
	h.op.ServeHTTP(&responseFixer{ResponseWriter: w, h: h, addIss: true, htmlErrors: true}, r)
}

// browserSessionKey carries the request's browser session to
// TerminateSessionFromRequest.
type browserSessionKey struct{}

// logout runs the library's end_session with the browser's session in the
// context.
func (h *tenantHandler) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if b := h.browserSession(r); b != nil {
		ctx = context.WithValue(ctx, browserSessionKey{}, b)
	}
	h.op.ServeHTTP(&responseFixer{ResponseWriter: w, h: h, htmlErrors: true}, r.WithContext(ctx))
}

// TerminateSessionFromRequest ends the browser session when the
// id_token_hint names its user, and returns where the library redirects:
// the validated post_logout_redirect_uri (with state) or the signed-out
// page. Without such a hint a live session is not ended here: the person
// confirms on a page first (RP-Initiated Logout §2).
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	b, _ := ctx.Value(browserSessionKey{}).(*auth.BrowserSession)
	if b == nil {
		return req.RedirectURI, nil
	}
	if req.IDTokenHintClaims == nil || req.UserID != b.UserID {
		// The confirmation page sends the person on to the redirect the
		// library validated; the MAC keeps the page from being an open
		// redirect.
		return s.issuer + pathLogout + "/confirm?" + url.Values{"to": {req.RedirectURI}, "mac": {s.p.mac(req.RedirectURI)}}.Encode(), nil
	}
	if err := s.p.records.DeleteBrowserSession(ctx, s.tenant, b.IDHash); err != nil {
		return "", err
	}
	return req.RedirectURI, nil
}

// confirmLogout asks the person to confirm signing out, and on the form's
// post (with its CSRF token) ends the browser session.
func (h *tenantHandler) confirmLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		q := r.URL.Query()
		to, mac := q.Get("to"), q.Get("mac")
		if !h.p.checkMAC(to, mac) {
			to, mac = "", ""
		}
		pages.Render(w, http.StatusOK, "confirm", pages.Confirm{
			Page:   h.page(r.Context(), "Sign out?", "An app asked to sign you out."),
			Action: h.issuer + pathLogout + "/confirm", CSRF: h.csrfToken(w, r), Button: "Sign out",
			To: to, MAC: mac,
		})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil || !checkCSRF(r) {
		h.message(w, http.StatusForbidden, "Request refused", "This form was not sent from this browser's page.")
		return
	}
	next := h.issuer + pathSignedOut
	if to := r.PostFormValue("to"); to != "" && h.p.checkMAC(to, r.PostFormValue("mac")) {
		next = to
	}
	if b := h.browserSession(r); b != nil {
		if err := h.p.records.DeleteBrowserSession(r.Context(), h.tenant, b.IDHash); err != nil {
			h.message(w, http.StatusInternalServerError, "Something went wrong", "Try again later.")
			return
		}
	}
	http.SetCookie(w, h.cookie(sessionCookie, "", -time.Second))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// mac authenticates a value the server hands to the browser and takes
// back (the confirmed logout's redirect), with the process's random key.
func (p *Provider) mac(v string) string {
	m := hmac.New(sha256.New, p.cryptoKey[:])
	m.Write([]byte("logout-redirect\x00" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (p *Provider) checkMAC(v, mac string) bool {
	return v != "" && hmac.Equal([]byte(p.mac(v)), []byte(mac))
}

// responseFixer adjusts the library's answers to the contract: the
// authorization response carries iss (RFC 9207), an error the library shows
// instead of redirecting (unknown client, unregistered redirect_uri) is the
// HTML error page, and a 401 from the token endpoint has WWW-Authenticate.
type responseFixer struct {
	http.ResponseWriter
	h              *tenantHandler
	addIss         bool
	htmlErrors     bool
	basicChallenge bool
	swallow        bool // the library's plain-text error body is replaced

	status int    // the status written
	toApp  bool   // a redirect to the app (not to a page of the issuer)
	body   []byte // the start of an error body, for metrics
}

func (f *responseFixer) WriteHeader(status int) {
	hdr := f.Header()
	f.status = status
	switch {
	case f.addIss && (status == http.StatusFound || status == http.StatusSeeOther):
		if loc := hdr.Get("Location"); loc != "" && !strings.HasPrefix(loc, f.h.issuer+"/") {
			f.toApp = true
			if u, err := url.Parse(loc); err == nil {
				q := u.Query()
				q.Set("iss", f.h.issuer)
				u.RawQuery = q.Encode()
				hdr.Set("Location", u.String())
			}
		}
	case f.htmlErrors && status >= 400 && strings.HasPrefix(hdr.Get("Content-Type"), "text/plain"):
		f.swallow = true
		hdr.Del("Content-Length")
		pages.Render(f.ResponseWriter, status, "message", f.h.page(context.Background(), "Sign-in error",
			"This app's sign-in request is not valid (unknown app or redirect address). Contact the app's owner."))
		return
	case f.basicChallenge && status == http.StatusUnauthorized:
		hdr.Set("WWW-Authenticate", `Basic realm="`+f.h.issuer+`"`)
	}
	f.ResponseWriter.WriteHeader(status)
}

func (f *responseFixer) Write(b []byte) (int, error) {
	if f.status == 0 {
		f.status = http.StatusOK
	}
	if f.swallow {
		return len(b), nil
	}
	if f.status >= 400 && len(f.body) < 512 {
		f.body = append(f.body, b[:min(len(b), 512-len(f.body))]...)
	}
	return f.ResponseWriter.Write(b)
}
