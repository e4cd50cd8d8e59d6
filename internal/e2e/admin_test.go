package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

func TestOperatorTenants(t *testing.T) {
	t.Parallel()
	e := start(t)

	before := time.Now().Add(-time.Minute)
	r := e.Do(http.MethodPost, "/admin/v1/tenants", testserver.OperatorToken, map[string]string{"id": "acme", "name": "Acme Inc"})
	wantStatus(t, r, http.StatusCreated)
	var created struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		CreatedAt time.Time `json:"created_at"`
		APIKey    string    `json:"api_key"`
	}
	r.Decode(t, &created)
	if created.ID != "acme" || created.Name != "Acme Inc" || created.APIKey == "" || created.CreatedAt.Before(before) {
		t.Fatalf("created tenant %+v from %s", created, r.Body)
	}

	t.Run("invalid ids", func(t *testing.T) {
		for _, id := range []string{"", "a", "Acme", "-acme", "acme_corp", "acme corp", "ac/me", strings.Repeat("a", 64), "äcme"} {
			r := e.Do(http.MethodPost, "/admin/v1/tenants", testserver.OperatorToken, map[string]string{"id": id, "name": "x"})
			wantProblem(t, r, http.StatusBadRequest, "invalid_tenant_id")
		}
	})

	t.Run("longest and shortest valid ids", func(t *testing.T) {
		for _, id := range []string{"ab", "0-", strings.Repeat("z", 63)} {
			r := e.Do(http.MethodPost, "/admin/v1/tenants", testserver.OperatorToken, map[string]string{"id": id, "name": "x"})
			wantStatus(t, r, http.StatusCreated)
		}
	})

	t.Run("bad bodies", func(t *testing.T) {
		for _, body := range []string{"", "{", `{"id": 42}`, `[]`} {
			r := e.Send(http.MethodPost, "/admin/v1/tenants", testserver.OperatorToken, "application/json", []byte(body))
			wantProblem(t, r, http.StatusBadRequest, "invalid_request")
		}
	})

	t.Run("duplicate", func(t *testing.T) {
		r := e.Do(http.MethodPost, "/admin/v1/tenants", testserver.OperatorToken, map[string]string{"id": "acme", "name": "Again"})
		wantProblem(t, r, http.StatusConflict, "tenant_exists")
		// The first tenant's key still works: the duplicate changed nothing.
		r = e.Do(http.MethodGet, "/admin/v1/tenants/acme/users", created.APIKey, nil)
		wantStatus(t, r, http.StatusOK)
	})

	t.Run("list", func(t *testing.T) {
		r := e.Do(http.MethodGet, "/admin/v1/tenants", testserver.OperatorToken, nil)
		wantStatus(t, r, http.StatusOK)
		var out struct {
			Tenants []map[string]any `json:"tenants"`
		}
		r.Decode(t, &out)
		var found map[string]any
		for _, tn := range out.Tenants {
			if _, leaked := tn["api_key"]; leaked {
				t.Errorf("list shows an api_key: %v", tn)
			}
			if tn["id"] == "acme" {
				found = tn
			}
		}
		if found == nil || found["name"] != "Acme Inc" || found["created_at"] == nil {
			t.Fatalf("acme not listed properly: %s", r.Body)
		}
	})

	t.Run("get", func(t *testing.T) {
		r := e.Do(http.MethodGet, "/admin/v1/tenants/acme", testserver.OperatorToken, nil)
		wantStatus(t, r, http.StatusOK)
		got := r.Object(t)
		if got["id"] != "acme" || got["name"] != "Acme Inc" || got["created_at"] == nil {
			t.Fatalf("got %s", r.Body)
		}
		if _, leaked := got["api_key"]; leaked {
			t.Errorf("get shows the api_key: %s", r.Body)
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, req := range []struct{ method, path string }{
			{http.MethodGet, "/admin/v1/tenants/nope"},
			{http.MethodDelete, "/admin/v1/tenants/nope"},
			{http.MethodPost, "/admin/v1/tenants/nope/api-keys"},
			{http.MethodGet, "/admin/v1/tenants/nope/users"},
		} {
			wantProblem(t, e.Do(req.method, req.path, testserver.OperatorToken, nil), http.StatusNotFound, "tenant_not_found")
		}
	})
}

func TestRotateAPIKey(t *testing.T) {
	t.Parallel()
	e := start(t)
	oldKey := e.CreateTenant("acme")

	r := e.Do(http.MethodPost, "/admin/v1/tenants/acme/api-keys", testserver.OperatorToken, nil)
	wantStatus(t, r, http.StatusCreated)
	var out struct {
		APIKey string `json:"api_key"`
	}
	r.Decode(t, &out)
	if out.APIKey == "" || out.APIKey == oldKey {
		t.Fatalf("rotated key %q (old %q)", out.APIKey, oldKey)
	}
	wantProblem(t, e.Do(http.MethodGet, "/admin/v1/tenants/acme/users", oldKey, nil), http.StatusUnauthorized, "unauthorized")
	wantStatus(t, e.Do(http.MethodGet, "/admin/v1/tenants/acme/users", out.APIKey, nil), http.StatusOK)
}

func TestDeleteTenant(t *testing.T) {
	t.Parallel()
	e := start(t)
	key := e.CreateTenant("acme")
	e.CreateTenant("other")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	e.register("other", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	tok := e.login("acme", "alice@example.com", "correct horse")

	wantStatus(t, e.Do(http.MethodDelete, "/admin/v1/tenants/acme", testserver.OperatorToken, nil), http.StatusNoContent)

	wantProblem(t, e.Do(http.MethodGet, "/admin/v1/tenants/acme", testserver.OperatorToken, nil), http.StatusNotFound, "tenant_not_found")
	if r := e.Do(http.MethodGet, "/admin/v1/tenants", testserver.OperatorToken, nil); strings.Contains(string(r.Body), `"acme"`) {
		t.Errorf("the deleted tenant is still listed: %s", r.Body)
	}
	wantProblem(t, e.Login("acme", "alice@example.com", "correct horse"), http.StatusNotFound, "tenant_not_found")
	wantProblem(t, e.userinfo("acme", tok.AccessToken), http.StatusNotFound, "tenant_not_found")
	wantProblem(t, e.refresh("acme", tok.RefreshToken), http.StatusNotFound, "tenant_not_found")
	wantProblem(t, e.Do(http.MethodGet, "/admin/v1/tenants/acme/users", key, nil), http.StatusUnauthorized, "unauthorized")
	// The other tenant is untouched.
	e.login("other", "alice@example.com", "correct horse")

	// The id can be taken again, and nothing of the old tenant comes back.
	newKey := e.CreateTenant("acme")
	wantProblem(t, e.Login("acme", "alice@example.com", "correct horse"), http.StatusUnauthorized, "invalid_credentials")
	wantOAuthError(t, e.refresh("acme", tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
	wantProblem(t, e.userinfo("acme", tok.AccessToken), http.StatusUnauthorized, "unauthorized")
	wantProblem(t, e.Do(http.MethodGet, "/admin/v1/tenants/acme/users", key, nil), http.StatusUnauthorized, "unauthorized")
	r := e.Do(http.MethodGet, "/admin/v1/tenants/acme/users", newKey, nil)
	wantStatus(t, r, http.StatusOK)
	var users struct {
		Users []map[string]any `json:"users"`
	}
	r.Decode(t, &users)
	if len(users.Users) != 0 {
		t.Fatalf("recreated tenant has old users: %s", r.Body)
	}
	// The old user's email is free again.
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "another horse"})
}

func TestAdminAuthorization(t *testing.T) {
	t.Parallel()
	e := start(t)
	acmeKey := e.CreateTenant("acme")
	e.CreateTenant("globex")

	tests := []struct {
		name   string
		method string
		path   string
		token  string
		status int
		code   string
	}{
		{"no token on operator route", http.MethodGet, "/admin/v1/tenants", "", 401, "unauthorized"},
		{"garbage token on operator route", http.MethodGet, "/admin/v1/tenants", "garbage", 401, "unauthorized"},
		{"forged key for a tenant", http.MethodGet, "/admin/v1/tenants/acme/users", "wak_acme.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401, "unauthorized"},
		{"no token on tenant route", http.MethodGet, "/admin/v1/tenants/acme/users", "", 401, "unauthorized"},
		{"garbage token on tenant route", http.MethodGet, "/admin/v1/tenants/acme/migration", "garbage", 401, "unauthorized"},
		{"no token on unknown tenant", http.MethodGet, "/admin/v1/tenants/nope/users", "", 401, "unauthorized"},
		{"tenant key lists tenants", http.MethodGet, "/admin/v1/tenants", acmeKey, 403, "forbidden"},
		{"tenant key creates a tenant", http.MethodPost, "/admin/v1/tenants", acmeKey, 403, "forbidden"},
		{"tenant key gets its tenant record", http.MethodGet, "/admin/v1/tenants/acme", acmeKey, 403, "forbidden"},
		{"tenant key deletes its tenant", http.MethodDelete, "/admin/v1/tenants/acme", acmeKey, 403, "forbidden"},
		{"tenant key rotates its key", http.MethodPost, "/admin/v1/tenants/acme/api-keys", acmeKey, 403, "forbidden"},
		{"tenant key on another tenant's users", http.MethodGet, "/admin/v1/tenants/globex/users", acmeKey, 403, "forbidden"},
		{"tenant key on another tenant's migration", http.MethodGet, "/admin/v1/tenants/globex/migration", acmeKey, 403, "forbidden"},
		{"tenant key on another tenant's audit", http.MethodGet, "/admin/v1/tenants/globex/audit", acmeKey, 403, "forbidden"},
		{"tenant key on an unknown tenant", http.MethodGet, "/admin/v1/tenants/nope/users", acmeKey, 403, "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == http.MethodPost && strings.HasSuffix(tc.path, "/tenants") {
				body = map[string]string{"id": "evil", "name": "Evil"}
			}
			r := e.Do(tc.method, tc.path, tc.token, body)
			wantProblem(t, r, tc.status, tc.code)
		})
	}

	// Nothing above took effect.
	wantProblem(t, e.Do(http.MethodGet, "/admin/v1/tenants/evil", testserver.OperatorToken, nil), http.StatusNotFound, "tenant_not_found")
	wantStatus(t, e.Do(http.MethodGet, "/admin/v1/tenants/acme", testserver.OperatorToken, nil), http.StatusOK)

	t.Run("allowed", func(t *testing.T) {
		for _, tc := range []struct {
			name, path, token string
		}{
			{"tenant key on its users", "/admin/v1/tenants/acme/users", acmeKey},
			{"tenant key on its migration", "/admin/v1/tenants/acme/migration", acmeKey},
			{"operator on a tenant's users", "/admin/v1/tenants/globex/users", testserver.OperatorToken},
			{"operator on a tenant's migration", "/admin/v1/tenants/globex/migration", testserver.OperatorToken},
			{"operator on a tenant's audit", "/admin/v1/tenants/globex/audit", testserver.OperatorToken},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantStatus(t, e.Do(http.MethodGet, tc.path, tc.token, nil), http.StatusOK)
			})
		}
	})
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	e := start(t)
	key := e.CreateTenant("acme")
	ids := map[string]bool{}
	for i := range 5 {
		u := e.register("acme", map[string]any{"email": fmt.Sprintf("user%d@example.com", i), "password": "correct horse"})
		ids[u.ID] = true
	}

	t.Run("pages", func(t *testing.T) {
		seen := map[string]bool{}
		cursor := ""
		for page := 0; ; page++ {
			if page > 5 {
				t.Fatal("the cursor never ends")
			}
			path := "/admin/v1/tenants/acme/users?limit=2"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			r := e.Do(http.MethodGet, path, key, nil)
			wantStatus(t, r, http.StatusOK)
			var out struct {
				Users      []userJSON `json:"users"`
				NextCursor *string    `json:"next_cursor"`
			}
			r.Decode(t, &out)
			if len(out.Users) > 2 {
				t.Fatalf("limit=2 gave %d users", len(out.Users))
			}
			for _, u := range out.Users {
				if seen[u.ID] {
					t.Fatalf("user %s on two pages", u.ID)
				}
				seen[u.ID] = true
			}
			if out.NextCursor == nil || *out.NextCursor == "" {
				break
			}
			cursor = *out.NextCursor
		}
		if len(seen) != len(ids) {
			t.Fatalf("pages listed %d users, want %d", len(seen), len(ids))
		}
	})

	t.Run("source filter", func(t *testing.T) {
		for source, want := range map[string]int{"local": 5, "legacy": 0} {
			r := e.Do(http.MethodGet, "/admin/v1/tenants/acme/users?source="+source, key, nil)
			wantStatus(t, r, http.StatusOK)
			var out struct {
				Users []userJSON `json:"users"`
			}
			r.Decode(t, &out)
			if len(out.Users) != want {
				t.Errorf("source=%s listed %d users, want %d", source, len(out.Users), want)
			}
		}
	})

	t.Run("get and delete", func(t *testing.T) {
		u := e.register("acme", map[string]any{"email": "gone@example.com", "password": "correct horse"})
		tok := e.login("acme", "gone@example.com", "correct horse")
		r := e.Do(http.MethodGet, "/admin/v1/tenants/acme/users/"+u.ID, key, nil)
		wantStatus(t, r, http.StatusOK)
		var got userJSON
		r.Decode(t, &got)
		if got.ID != u.ID || got.Email == nil || *got.Email != "gone@example.com" || got.Source != "local" {
			t.Fatalf("got %s", r.Body)
		}

		wantStatus(t, e.Do(http.MethodDelete, "/admin/v1/tenants/acme/users/"+u.ID, key, nil), http.StatusNoContent)
		r = e.Do(http.MethodGet, "/admin/v1/tenants/acme/users/"+u.ID, key, nil)
		if r.Status != http.StatusNotFound {
			t.Fatalf("deleted user: %s", r)
		}
		checkProblemShape(t, r)
		r = e.Do(http.MethodDelete, "/admin/v1/tenants/acme/users/"+u.ID, key, nil)
		if r.Status != http.StatusNotFound {
			t.Fatalf("deleting again: %s", r)
		}
		wantProblem(t, e.Login("acme", "gone@example.com", "correct horse"), 401, "invalid_credentials")
		wantProblem(t, e.userinfo("acme", tok.AccessToken), 401, "unauthorized")
		wantOAuthError(t, e.refresh("acme", tok.RefreshToken), 400, "invalid_grant")
		// The email is free again.
		e.register("acme", map[string]any{"email": "gone@example.com", "password": "correct horse"})
	})
}

func TestAudit(t *testing.T) {
	t.Parallel()
	e := start(t)
	key := e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	wantProblem(t, e.Login("acme", "alice@example.com", "wrong horse"), 401, "invalid_credentials")
	tok := e.login("acme", "alice@example.com", "correct horse")
	wantStatus(t, e.refresh("acme", tok.RefreshToken), http.StatusOK)
	wantOAuthError(t, e.refresh("acme", tok.RefreshToken), 400, "invalid_grant")
	tok = e.login("acme", "alice@example.com", "correct horse")
	wantStatus(t, e.Do(http.MethodPost, "/t/acme/password", tok.AccessToken,
		map[string]any{"current_password": "correct horse", "new_password": "another horse"}), http.StatusNoContent)

	r := e.Do(http.MethodGet, "/admin/v1/tenants/acme/audit", key, nil)
	wantStatus(t, r, http.StatusOK)
	var out struct {
		Events []struct {
			Time    time.Time      `json:"time"`
			Type    string         `json:"type"`
			Actor   string         `json:"actor"`
			Subject string         `json:"subject"`
			IP      string         `json:"ip"`
			Detail  map[string]any `json:"detail"`
		} `json:"events"`
	}
	r.Decode(t, &out)
	found := map[string]bool{}
	for i, ev := range out.Events {
		found[ev.Type] = true
		if i > 0 && ev.Time.After(out.Events[i-1].Time) {
			t.Errorf("events not newest first: %v after %v", ev.Time, out.Events[i-1].Time)
		}
	}
	if strings.Contains(string(r.Body), "correct horse") || strings.Contains(string(r.Body), "wrong horse") {
		t.Fatalf("the audit trail shows a password: %s", r.Body)
	}
	for _, want := range []string{"login_failed", "login_succeeded", "refresh_token_reused", "password_changed"} {
		if !found[want] {
			t.Errorf("no %s event in %s", want, r.Body)
		}
	}
}
