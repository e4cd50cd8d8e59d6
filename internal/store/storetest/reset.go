package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func tokenHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// testResetTokens: a token is found by its hash until it expires or is
// deleted, once; a new token of a subject replaces the old; tenants are
// apart; a tenant's deletion takes its tokens.
func testResetTokens(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")
	now := time.Now().UTC().Truncate(time.Millisecond)
	legacy := &auth.LegacyUser{ID: "42", Email: "old@example.com", Username: "old", EmailVerified: true, Name: "Old", Profile: map[string]any{"k": "v"}}
	put := func(tenant, tok, subject, userID string, lu *auth.LegacyUser, expires time.Time) {
		t.Helper()
		err := s.PutResetToken(ctx, &auth.ResetToken{Tenant: tenant, Hash: tokenHash(tok), Subject: subject, UserID: userID, Legacy: lu, CreatedAt: now, ExpiresAt: expires})
		if err != nil {
			t.Fatalf("PutResetToken %s: %v", tok, err)
		}
	}
	if err := s.PutResetToken(ctx, &auth.ResetToken{Tenant: "ghost", Hash: tokenHash("x"), Subject: "user:1", ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("PutResetToken of an unknown tenant: %v, want ErrNotFound", err)
	}
	put("acme", "a1", "user:u1", "u1", nil, now.Add(30*time.Minute))
	put("acme", "l1", "legacy:42", "", legacy, now.Add(30*time.Minute))
	put("acme", "gone", "user:u9", "u9", nil, now.Add(-time.Second))

	got, err := s.GetResetToken(ctx, "acme", tokenHash("a1"))
	if err != nil || got.UserID != "u1" || got.Subject != "user:u1" || got.Legacy != nil || !bytes.Equal(got.Hash, tokenHash("a1")) || !got.ExpiresAt.Equal(now.Add(30*time.Minute)) {
		t.Fatalf("GetResetToken a1 = %+v, %v", got, err)
	}
	got, err = s.GetResetToken(ctx, "acme", tokenHash("l1"))
	if err != nil || got.UserID != "" || got.Legacy == nil || fmt.Sprint(*got.Legacy) != fmt.Sprint(*legacy) {
		t.Fatalf("GetResetToken l1 = %+v, %v", got, err)
	}
	for _, c := range []struct{ tenant, tok string }{{"acme", "gone"}, {"other", "a1"}, {"acme", "nope"}, {"ghost", "a1"}} {
		if _, err := s.GetResetToken(ctx, c.tenant, tokenHash(c.tok)); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("GetResetToken %s/%s: %v, want ErrNotFound", c.tenant, c.tok, err)
		}
	}
	// A second token of u1 replaces the first.
	put("acme", "a2", "user:u1", "u1", nil, now.Add(30*time.Minute))
	if _, err := s.GetResetToken(ctx, "acme", tokenHash("a1")); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("the replaced token: %v, want ErrNotFound", err)
	}
	if err := s.DeleteResetToken(ctx, "other", tokenHash("a2")); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("DeleteResetToken of another tenant: %v, want ErrNotFound", err)
	}
	if err := s.DeleteResetToken(ctx, "acme", tokenHash("a2")); err != nil {
		t.Fatalf("DeleteResetToken: %v", err)
	}
	if err := s.DeleteResetToken(ctx, "acme", tokenHash("a2")); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("DeleteResetToken twice: %v, want ErrNotFound", err)
	}
	if _, err := s.GetResetToken(ctx, "acme", tokenHash("a2")); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a deleted token: %v, want ErrNotFound", err)
	}
	// After its token was used, the subject can get a new one.
	put("acme", "a3", "user:u1", "u1", nil, now.Add(30*time.Minute))
	if _, err := s.GetResetToken(ctx, "acme", tokenHash("a3")); err != nil {
		t.Fatalf("a new token after a used one: %v", err)
	}
	if err := s.DeleteTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	mustTenant(t, s, "acme")
	if _, err := s.GetResetToken(ctx, "acme", tokenHash("l1")); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a token of a deleted tenant: %v, want ErrNotFound", err)
	}
}

// testOutbox: mails come out oldest first when due, with their retry
// state, until deleted, or their tenant is.
func testOutbox(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")
	if err := s.EnqueueMail(ctx, &auth.Mail{Tenant: "ghost", To: "a@example.com"}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("EnqueueMail of an unknown tenant: %v, want ErrNotFound", err)
	}
	var ids []string
	for i, tenant := range []string{"acme", "other", "acme"} {
		m := &auth.Mail{Tenant: tenant, FromName: "Acme", To: fmt.Sprintf("u%d@example.com", i), Subject: "s", Text: "text", HTML: "<p>html</p>",
			CreatedAt: at(i), NextAttempt: at(i)}
		if err := s.EnqueueMail(ctx, m); err != nil || m.ID == "" {
			t.Fatalf("EnqueueMail: %v, id %q", err, m.ID)
		}
		ids = append(ids, m.ID)
		time.Sleep(2 * time.Millisecond) // ids are time-ordered to the millisecond
	}
	due, err := s.DueMail(ctx, at(1), 10)
	if err != nil || len(due) != 2 || due[0].ID != ids[0] || due[1].ID != ids[1] {
		t.Fatalf("DueMail at 1 = %v, %v; want %v", due, err, ids[:2])
	}
	if m := due[0]; m.Tenant != "acme" || m.FromName != "Acme" || m.To != "u0@example.com" || m.Subject != "s" || m.Text != "text" || m.HTML != "<p>html</p>" || !m.CreatedAt.Equal(at(0)) {
		t.Fatalf("mail = %+v", m)
	}
	if due, _ := s.DueMail(ctx, at(5), 1); len(due) != 1 || due[0].ID != ids[0] {
		t.Fatalf("DueMail limit 1 = %v", due)
	}
	// A failed try moves the mail back.
	m := due[0]
	m.Attempts, m.NextAttempt, m.LastError = 1, at(10), "connection refused"
	if err := s.UpdateMail(ctx, m); err != nil {
		t.Fatalf("UpdateMail: %v", err)
	}
	due, _ = s.DueMail(ctx, at(5), 10)
	if len(due) != 2 || due[0].ID != ids[1] || due[1].ID != ids[2] {
		t.Fatalf("DueMail after a retry = %v", due)
	}
	due, _ = s.DueMail(ctx, at(10), 10)
	if len(due) != 3 || due[0].Attempts != 1 || due[0].LastError != "connection refused" || !due[0].NextAttempt.Equal(at(10)) {
		t.Fatalf("DueMail at 10 = %+v", due[0])
	}
	if err := s.DeleteMail(ctx, ids[0]); err != nil {
		t.Fatalf("DeleteMail: %v", err)
	}
	if err := s.DeleteMail(ctx, ids[0]); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("DeleteMail twice: %v, want ErrNotFound", err)
	}
	if err := s.UpdateMail(ctx, &auth.Mail{ID: ids[0]}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("UpdateMail of a deleted mail: %v, want ErrNotFound", err)
	}
	if due, _ := s.DueMail(ctx, at(10), 10); len(due) != 2 {
		t.Fatalf("DueMail after a delete = %v", due)
	}
	// A tenant's deletion takes its mails, and only its, for good.
	if err := s.DeleteTenant(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	mustTenant(t, s, "other")
	if due, err := s.DueMail(ctx, at(10), 10); err != nil || len(due) != 1 || due[0].ID != ids[2] {
		t.Fatalf("DueMail after the deletion of a tenant = %v, %v; want [%s]", due, err, ids[2])
	}
	if err := s.UpdateMail(ctx, &auth.Mail{ID: ids[1]}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("UpdateMail of a deleted tenant's mail: %v, want ErrNotFound", err)
	}
}
