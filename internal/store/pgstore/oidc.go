package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// clientRec is the jsonb form of an auth.Client in clients; its json names
// are the stored format.
type clientRec struct {
	Name                   string    `json:"name"`
	Type                   string    `json:"type"`
	SecretHash             []byte    `json:"secret_hash,omitempty"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes             []string  `json:"grant_types"`
	IDTokenAlg             string    `json:"id_token_alg"`
	CreatedAt              time.Time `json:"created_at"`
	UpdatedAt              time.Time `json:"updated_at"`
}

func clientJSON(c *auth.Client) ([]byte, error) {
	return json.Marshal(clientRec{
		Name: c.Name, Type: c.Type, SecretHash: c.SecretHash, RedirectURIs: c.RedirectURIs,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, GrantTypes: c.GrantTypes, IDTokenAlg: c.IDTokenAlg,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	})
}

// scanClient reads a row of id, client.
func scanClient(row pgx.Row, tenant string) (*auth.Client, error) {
	var (
		id string
		b  []byte
		r  clientRec
	)
	if err := row.Scan(&id, &b); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, auth.ErrNotFound
		}
		return nil, mapErr(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("pgstore: corrupt client %q: %w", id, err)
	}
	return &auth.Client{
		ID: id, Tenant: tenant, Name: r.Name, Type: r.Type, SecretHash: r.SecretHash,
		RedirectURIs: r.RedirectURIs, PostLogoutRedirectURIs: r.PostLogoutRedirectURIs,
		GrantTypes: r.GrantTypes, IDTokenAlg: r.IDTokenAlg, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}, nil
}

// insertClient is the statement that stores a client: $1 tenant, $2 id,
// $3 created_at, $4 the jsonb record.
const insertClient = "INSERT INTO clients (tenant_id, id, created_at, client) VALUES ($1, $2, $3, $4)"

// CreateClient stores a new client, filling in CreatedAt when zero.
// Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) CreateClient(ctx context.Context, c *auth.Client) error {
	if !validID(c.ID) {
		return fmt.Errorf("pgstore: invalid client id %q", c.ID)
	}
	if !validID(c.Tenant) {
		return auth.ErrNotFound
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now().UTC()
	}
	b, err := clientJSON(c)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, insertClient, c.Tenant, c.ID, nanos(c.CreatedAt), b)
	return mapErr(err)
}

// GetClient returns a client. Returns auth.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, tenant, id string) (*auth.Client, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	c, err := scanClient(s.pool.QueryRow(ctx, "SELECT id, client FROM clients WHERE tenant_id = $1 AND id = $2", tenant, id), tenant)
	if err != nil {
		return nil, fmt.Errorf("client %q: %w", id, err)
	}
	return c, nil
}

// ListClients returns the tenant's clients in creation order; none for an
// unknown tenant.
func (s *Store) ListClients(ctx context.Context, tenant string) ([]*auth.Client, error) {
	out := []*auth.Client{}
	if !validID(tenant) {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT id, client FROM clients WHERE tenant_id = $1 ORDER BY created_at, id", tenant)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanClient(rows, tenant)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

// UpdateClient applies fn to the stored client, locked for the transaction,
// and returns the result; its id, tenant and CreatedAt do not change.
// Returns auth.ErrNotFound.
func (s *Store) UpdateClient(ctx context.Context, tenant, id string, fn func(*auth.Client) error) (*auth.Client, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	var out *auth.Client
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := scanClient(tx.QueryRow(ctx, "SELECT id, client FROM clients WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant, id), tenant)
		if err != nil {
			return fmt.Errorf("client %q: %w", id, err)
		}
		created := c.CreatedAt
		if err := fn(c); err != nil {
			return fnError{err}
		}
		c.ID, c.Tenant, c.CreatedAt = id, tenant, created
		b, err := clientJSON(c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE clients SET client = $3 WHERE tenant_id = $1 AND id = $2", tenant, id, b); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, unwrapFn(err)
	}
	return out, nil
}

// DeleteClient removes a client. Returns auth.ErrNotFound.
func (s *Store) DeleteClient(ctx context.Context, tenant, id string) error {
	if !validID(tenant) || !validID(id) {
		return auth.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM clients WHERE tenant_id = $1 AND id = $2", tenant, id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("client %q: %w", id, auth.ErrNotFound)
	}
	return nil
}

// SessionByRefreshToken returns the session of a refresh token, current or
// rotated, without changing anything. Returns auth.ErrNotFound.
func (s *Store) SessionByRefreshToken(ctx context.Context, tenant string, hash []byte) (*auth.Session, error) {
	if !validID(tenant) || len(hash) == 0 {
		return nil, auth.ErrNotFound
	}
	sess, err := scanSession(s.pool.QueryRow(ctx, `SELECT s.id, s.user_id, s.created_at, s.expires_at, s.revoked_at, s.client_id, s.scopes, s.auth_time
		FROM refresh_tokens r JOIN sessions s ON s.tenant_id = r.tenant_id AND s.id = r.session_id
		WHERE r.tenant_id = $1 AND r.hash = $2`, tenant, hash), tenant)
	if err != nil {
		return nil, fmt.Errorf("refresh token: %w", err)
	}
	return sess, nil
}

// authRequestRec is the jsonb form of an auth.AuthRequest in
// auth_requests; its json names are the stored format.
type authRequestRec struct {
	ClientID            string    `json:"client_id"`
	RedirectURI         string    `json:"redirect_uri"`
	State               string    `json:"state,omitempty"`
	Nonce               string    `json:"nonce,omitempty"`
	Scopes              []string  `json:"scopes,omitempty"`
	ResponseType        string    `json:"response_type,omitempty"`
	CodeChallenge       string    `json:"code_challenge,omitempty"`
	CodeChallengeMethod string    `json:"code_challenge_method,omitempty"`
	Prompt              []string  `json:"prompt,omitempty"`
	MaxAge              *uint     `json:"max_age,omitempty"`
	LoginHint           string    `json:"login_hint,omitempty"`
	UserID              string    `json:"user_id,omitempty"`
	AuthTime            time.Time `json:"auth_time,omitzero"`
	CodeHash            []byte    `json:"code_hash,omitempty"`
	CodeExpiresAt       time.Time `json:"code_expires_at,omitzero"`
	SessionID           string    `json:"session_id,omitempty"`
	CreatedAt           time.Time `json:"created_at"`
	ExpiresAt           time.Time `json:"expires_at"`
}

// authRequestArgs returns r's tenant, id, code hash, expiry and record.
func authRequestArgs(r *auth.AuthRequest) ([]any, error) {
	b, err := json.Marshal(authRequestRec{
		ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce, Scopes: r.Scopes,
		ResponseType: r.ResponseType, CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod,
		Prompt: r.Prompt, MaxAge: r.MaxAge, LoginHint: r.LoginHint, UserID: r.UserID, AuthTime: r.AuthTime.UTC(),
		CodeHash: r.CodeHash, CodeExpiresAt: r.CodeExpiresAt.UTC(), SessionID: r.SessionID,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
	})
	if err != nil {
		return nil, err
	}
	var code any
	if len(r.CodeHash) > 0 {
		code = r.CodeHash
	}
	return []any{r.Tenant, r.ID, code, r.ExpiresAt.UnixNano(), b}, nil
}

// scanAuthRequest reads a row of id, request.
func scanAuthRequest(row pgx.Row, tenant string) (*auth.AuthRequest, error) {
	var (
		id string
		b  []byte
		r  authRequestRec
	)
	if err := row.Scan(&id, &b); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, auth.ErrNotFound
		}
		return nil, mapErr(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("pgstore: corrupt authorization request %q: %w", id, err)
	}
	return &auth.AuthRequest{
		ID: id, Tenant: tenant, ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		Scopes: r.Scopes, ResponseType: r.ResponseType, CodeChallenge: r.CodeChallenge,
		CodeChallengeMethod: r.CodeChallengeMethod, Prompt: r.Prompt, MaxAge: r.MaxAge, LoginHint: r.LoginHint,
		UserID: r.UserID, AuthTime: r.AuthTime, CodeHash: r.CodeHash, CodeExpiresAt: r.CodeExpiresAt,
		SessionID: r.SessionID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
	}, nil
}

// CreateAuthRequest stores a pending authorization request until
// r.ExpiresAt, filling in CreatedAt when zero. Returns auth.ErrNotFound for
// an unknown tenant.
func (s *Store) CreateAuthRequest(ctx context.Context, r *auth.AuthRequest) error {
	switch {
	case !validID(r.ID):
		return fmt.Errorf("pgstore: invalid authorization request id %q", r.ID)
	case r.ExpiresAt.IsZero():
		return errors.New("pgstore: authorization request has no expiry")
	case !validID(r.Tenant):
		return auth.ErrNotFound
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	args, err := authRequestArgs(r)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, "INSERT INTO auth_requests (tenant_id, id, code_hash, expires_at, request) VALUES ($1, $2, $3, $4, $5)", args...)
	return mapErr(err)
}

// GetAuthRequest returns an authorization request. Returns
// auth.ErrNotFound, also once it has expired.
func (s *Store) GetAuthRequest(ctx context.Context, tenant, id string) (*auth.AuthRequest, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	r, err := scanAuthRequest(s.pool.QueryRow(ctx, `SELECT id, request FROM auth_requests
		WHERE tenant_id = $1 AND id = $2 AND expires_at > $3`, tenant, id, time.Now().UnixNano()), tenant)
	if err != nil {
		return nil, fmt.Errorf("authorization request %q: %w", id, err)
	}
	return r, nil
}

// AuthRequestByCode returns the unexpired authorization request whose code
// has the hash codeHash. Returns auth.ErrNotFound.
func (s *Store) AuthRequestByCode(ctx context.Context, tenant string, codeHash []byte) (*auth.AuthRequest, error) {
	if !validID(tenant) || len(codeHash) == 0 {
		return nil, auth.ErrNotFound
	}
	r, err := scanAuthRequest(s.pool.QueryRow(ctx, `SELECT id, request FROM auth_requests
		WHERE tenant_id = $1 AND code_hash = $2 AND expires_at > $3`, tenant, codeHash, time.Now().UnixNano()), tenant)
	if err != nil {
		return nil, fmt.Errorf("authorization code: %w", err)
	}
	return r, nil
}

// UpdateAuthRequest applies fn to the stored request, locked for the
// transaction; its id, tenant and CreatedAt do not change, its code hash
// and expiry columns follow the record. Returns auth.ErrNotFound.
func (s *Store) UpdateAuthRequest(ctx context.Context, tenant, id string, fn func(*auth.AuthRequest) error) (*auth.AuthRequest, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	var out *auth.AuthRequest
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		r, err := scanAuthRequest(tx.QueryRow(ctx, `SELECT id, request FROM auth_requests
			WHERE tenant_id = $1 AND id = $2 AND expires_at > $3 FOR UPDATE`, tenant, id, time.Now().UnixNano()), tenant)
		if err != nil {
			return fmt.Errorf("authorization request %q: %w", id, err)
		}
		created := r.CreatedAt
		if err := fn(r); err != nil {
			return fnError{err}
		}
		r.ID, r.Tenant, r.CreatedAt = id, tenant, created
		args, err := authRequestArgs(r)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE auth_requests SET code_hash = $3, expires_at = $4, request = $5 WHERE tenant_id = $1 AND id = $2", args...)
		if err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, unwrapFn(err)
	}
	return out, nil
}

// DeleteAuthRequest removes an authorization request. Returns
// auth.ErrNotFound.
func (s *Store) DeleteAuthRequest(ctx context.Context, tenant, id string) error {
	if !validID(tenant) || !validID(id) {
		return auth.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM auth_requests WHERE tenant_id = $1 AND id = $2", tenant, id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("authorization request %q: %w", id, auth.ErrNotFound)
	}
	return nil
}

// CreateBrowserSession stores a browser session until its ExpiresAt,
// filling in CreatedAt when zero. Returns auth.ErrNotFound for an unknown
// tenant or user (the foreign key says so).
func (s *Store) CreateBrowserSession(ctx context.Context, b *auth.BrowserSession) error {
	switch {
	case len(b.IDHash) == 0:
		return errors.New("pgstore: empty browser session id hash")
	case b.ExpiresAt.IsZero():
		return errors.New("pgstore: browser session has no expiry")
	case !validID(b.Tenant) || !validID(b.UserID):
		return auth.ErrNotFound
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = time.Now().UTC()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO browser_sessions (tenant_id, id_hash, user_id, auth_time, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, b.Tenant, b.IDHash, b.UserID, nanos(b.AuthTime), nanos(b.CreatedAt), b.ExpiresAt.UnixNano())
	return mapErr(err)
}

// GetBrowserSession returns the browser session with the id hash. Returns
// auth.ErrNotFound, also once it has expired.
func (s *Store) GetBrowserSession(ctx context.Context, tenant string, idHash []byte) (*auth.BrowserSession, error) {
	if !validID(tenant) || len(idHash) == 0 {
		return nil, auth.ErrNotFound
	}
	b := &auth.BrowserSession{IDHash: idHash, Tenant: tenant}
	err := s.pool.QueryRow(ctx, `SELECT user_id, auth_time, created_at, expires_at FROM browser_sessions
		WHERE tenant_id = $1 AND id_hash = $2 AND expires_at > $3`, tenant, idHash, time.Now().UnixNano()).Scan(
		&b.UserID, ns(&b.AuthTime), ns(&b.CreatedAt), ns(&b.ExpiresAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("browser session: %w", auth.ErrNotFound)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return b, nil
}

// DeleteBrowserSession ends a browser session; an unknown one is not an
// error.
func (s *Store) DeleteBrowserSession(ctx context.Context, tenant string, idHash []byte) error {
	if !validID(tenant) || len(idHash) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, "DELETE FROM browser_sessions WHERE tenant_id = $1 AND id_hash = $2", tenant, idHash)
	return mapErr(err)
}
