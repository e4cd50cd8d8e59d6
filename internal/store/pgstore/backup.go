package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
)

// backupFormat names the stream Backup writes: a header, then one JSON
// object per row, {"table": ..., "row": ...}, each row as PostgreSQL's
// row_to_json gives it (bytea as "\x..." hex).
const backupFormat = "wasmauth-pgstore"

// backupTables are the tables a backup holds, in an order a restore can
// insert them in (the tenants' key to their active script is deferred).
var backupTables = []string{
	"tenants", "scripts", "users", "tenant_stats", "sessions", "refresh_tokens",
	"audit", "script_logs", "rate_limits",
}

type backupHeader struct {
	Format string `json:"format"`
	Schema int64  `json:"schema"`
}

type backupRow struct {
	Table string          `json:"table"`
	Row   json.RawMessage `json:"row"`
}

// Backup writes a consistent copy of the whole store (one repeatable-read
// snapshot) to w in this store's own format, which only Restore of a
// PostgreSQL store reads.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback(ctx)
	enc := json.NewEncoder(w)
	if err := enc.Encode(backupHeader{Format: backupFormat, Schema: SchemaVersion()}); err != nil {
		return err
	}
	for _, table := range backupTables {
		rows, err := tx.Query(ctx, "SELECT row_to_json(t)::text FROM "+table+" t")
		if err != nil {
			return mapErr(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				rows.Close()
				return mapErr(err)
			}
			if err := enc.Encode(backupRow{Table: table, Row: json.RawMessage(row)}); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// Restore loads a backup made by Backup of a store of the same schema
// version into this store, which must be empty, in one transaction.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	dec := json.NewDecoder(r)
	var h backupHeader
	if err := dec.Decode(&h); err != nil || h.Format != backupFormat {
		return errors.New("pgstore: not a backup of a PostgreSQL store")
	}
	if h.Schema != SchemaVersion() {
		return fmt.Errorf("pgstore: the backup has schema version %d, this binary %d", h.Schema, SchemaVersion())
	}
	known := make(map[string]bool, len(backupTables))
	for _, t := range backupTables {
		known[t] = true
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var used bool
		err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tenants) OR EXISTS (SELECT 1 FROM rate_limits)").Scan(&used)
		if err != nil {
			return err
		}
		if used {
			return errors.New("pgstore: restore needs an empty store")
		}
		if _, err := tx.Exec(ctx, "SET CONSTRAINTS tenants_active_script_fkey DEFERRED"); err != nil {
			return err
		}
		b := &pgx.Batch{}
		flush := func() error {
			if b.Len() == 0 {
				return nil
			}
			err := tx.SendBatch(ctx, b).Close()
			b = &pgx.Batch{}
			return err
		}
		for {
			var row backupRow
			err := dec.Decode(&row)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("pgstore: reading the backup: %w", err)
			}
			if !known[row.Table] {
				return fmt.Errorf("pgstore: the backup has rows of an unknown table %q", row.Table)
			}
			b.Queue("INSERT INTO "+row.Table+" SELECT * FROM json_populate_record(NULL::"+row.Table+", $1)", string(row.Row))
			if b.Len() == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence('script_logs', 'seq'), coalesce(max(seq), 0) + 1, false) FROM script_logs")
		return err
	})
}
