package badgerstore

import (
	"context"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Kinds of the OpenID Provider's records, under the tenant's prefix:
//
//	oc␀{client id}                  client JSON
//	oo␀{created_at:8}{client id}    (empty)                     creation order
//	ob␀{browser session id hash}    browser session JSON        TTL: its ExpiresAt
const (
	kindClient      = "oc"
	kindClientOrder = "oo"
	// "oa" and "ok" held authorization requests and their codes before
	// they moved to memory (pendingRequests); old ones expire by TTL.
	kindBrowser = "ob"
)

type clientRecord struct {
	ID                     string    `json:"id"`
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

func fromClient(c *auth.Client) *clientRecord {
	return &clientRecord{
		ID: c.ID, Name: c.Name, Type: c.Type, SecretHash: c.SecretHash,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		GrantTypes: c.GrantTypes, IDTokenAlg: c.IDTokenAlg,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
}

func (r *clientRecord) client(tenant string) *auth.Client {
	return &auth.Client{
		ID: r.ID, Tenant: tenant, Name: r.Name, Type: r.Type, SecretHash: r.SecretHash,
		RedirectURIs: r.RedirectURIs, PostLogoutRedirectURIs: r.PostLogoutRedirectURIs,
		GrantTypes: r.GrantTypes, IDTokenAlg: r.IDTokenAlg,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func clientOrderKey(tenant string, r *clientRecord) []byte {
	return key(tenant, kindClientOrder, string(sortableTime(r.CreatedAt))+r.ID)
}

// CreateClient stores a new client. Returns auth.ErrNotFound for an unknown
// tenant.
func (s *Store) CreateClient(ctx context.Context, c *auth.Client) error {
	if !validID(c.ID) {
		return fmt.Errorf("badgerstore: invalid client id %q", c.ID)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now().UTC()
	}
	rec := fromClient(c)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, c.Tenant); err != nil {
			return err
		}
		k := key(c.Tenant, kindClient, c.ID)
		if ok, err := exists(txn, k); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("badgerstore: client %q exists", c.ID)
		}
		if err := setJSON(txn, k, rec, time.Time{}); err != nil {
			return err
		}
		return set(txn, clientOrderKey(c.Tenant, rec), nil, time.Time{})
	})
}

func getClient(txn *badger.Txn, tenant, id string) (*clientRecord, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	var rec clientRecord
	if err := getJSON(txn, key(tenant, kindClient, id), &rec); err != nil {
		return nil, fmt.Errorf("client %q: %w", id, err)
	}
	return &rec, nil
}

// GetClient returns a client. Returns auth.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, tenant, id string) (*auth.Client, error) {
	var out *auth.Client
	err := s.view(ctx, func(txn *badger.Txn) error {
		rec, err := getClient(txn, tenant, id)
		if err == nil {
			out = rec.client(tenant)
		}
		return err
	})
	return out, err
}

// ListClients returns the tenant's clients in creation order.
func (s *Store) ListClients(ctx context.Context, tenant string) ([]*auth.Client, error) {
	out := []*auth.Client{}
	if !validID(tenant) {
		return out, nil
	}
	err := s.view(ctx, func(txn *badger.Txn) error {
		p := prefix(tenant, kindClientOrder)
		return scan(txn, p, nil, false, func(item *badger.Item) (bool, error) {
			suffix := item.Key()[len(p):]
			if len(suffix) <= 8 {
				return true, nil
			}
			rec, err := getClient(txn, tenant, string(suffix[8:]))
			if err != nil {
				return false, err
			}
			out = append(out, rec.client(tenant))
			return true, nil
		})
	})
	return out, err
}

// UpdateClient applies fn to the stored client atomically. Returns
// auth.ErrNotFound.
func (s *Store) UpdateClient(ctx context.Context, tenant, id string, fn func(*auth.Client) error) (*auth.Client, error) {
	var out *auth.Client
	err := s.update(ctx, func(txn *badger.Txn) error {
		rec, err := getClient(txn, tenant, id)
		if err != nil {
			return err
		}
		c := rec.client(tenant)
		if err := fn(c); err != nil {
			return err
		}
		// The id, tenant and creation time are not the caller's to change.
		c.ID, c.Tenant, c.CreatedAt = rec.ID, tenant, rec.CreatedAt
		if err := setJSON(txn, key(tenant, kindClient, id), fromClient(c), time.Time{}); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// DeleteClient removes a client. Returns auth.ErrNotFound.
func (s *Store) DeleteClient(ctx context.Context, tenant, id string) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		rec, err := getClient(txn, tenant, id)
		if err != nil {
			return err
		}
		if err := txn.Delete(key(tenant, kindClient, id)); err != nil {
			return err
		}
		return txn.Delete(clientOrderKey(tenant, rec))
	})
}
