/*
 * legacy.c - the wasmauth example guest in C: login and get_user against a legacy
 * "users" table, and ABI v1.1's list_users and verify_hash (see examples-wasm/README.md
 * for the behaviour every example shares).
 *
 * Build (from examples-wasm/c):
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Werror -nodefaultlibs -lc -Wl,--strip-all -o legacy.wasm legacy.c
 *
 * (-nodefaultlibs -lc: link wasi-libc but not compiler-rt's builtins, which Debian ships
 * separately as libclang-rt-14-dev-wasm32; this code needs none of them.)
 */
#include "wasmauth.h"

#define EXPORT(name) __attribute__((export_name(name)))

/* answer_none answers {"user": null} with an optional reason and the account's id
 * (id_n 0 for none). */
static int32_t answer_none(const char *reason, const char *id, size_t id_n) {
    int32_t st = wa_reject(reason, id, id_n);
    return st == 0 ? 0 : wa_fail_status("output_set", st);
}

/* put_string_member appends ,"name":"..." when v is a non-empty string. */
static void put_string_member(wa_buf *out, const char *name, wa_json v, wa_buf *tmp) {
    if (!wa_json_string(v, tmp) || tmp->n == 0) return;
    wa_buf_puts(out, ",\"");
    wa_buf_puts(out, name);
    wa_buf_puts(out, "\":");
    wa_buf_put_json_string(out, tmp->p, tmp->n);
}

static int valid_table(const char *s, size_t n) {
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* check_sha256 verifies "sha256$<salt>$<hex of sha256(salt + password)>": 1, 0, or -1
 * when the hash is malformed or digest failed (logged). */
static int check_sha256(const char *hash, size_t n, const wa_buf *pw) {
    const char *salt = hash + 7, *end = hash + n;
    const char *dollar = memchr(salt, '$', (size_t)(end - salt));
    if (!dollar) return wa_fail("malformed sha256 hash", NULL, 0), -1;
    wa_buf data = {0}, sum = {0};
    wa_buf_put(&data, salt, (size_t)(dollar - salt));
    wa_buf_put(&data, pw->p, pw->n);
    int32_t st = data.oom ? WA_ERR_NOMEM : wa_digest("sha256", data.p, data.n, &sum);
    wa_buf_free(&data);
    if (st != 0) {
        wa_buf_free(&sum);
        return wa_fail_status("digest", st), -1;
    }
    /* Compare the hex digests without an early exit (the length is not secret). */
    static const char hex[] = "0123456789abcdef";
    const char *want = dollar + 1;
    size_t want_n = (size_t)(end - want);
    unsigned diff = want_n != sum.n * 2;
    for (size_t i = 0; want_n == sum.n * 2 && i < sum.n; i++) {
        unsigned char b = (unsigned char)sum.p[i];
        diff |= (unsigned)(want[2 * i] ^ hex[b >> 4]) | (unsigned)(want[2 * i + 1] ^ hex[b & 15]);
    }
    wa_buf_free(&sum);
    return diff == 0;
}

/* check_password verifies pw against a stored hash: salted SHA-256 here, every other
 * format with the host's verify_password. 1, 0 (no hash matches nothing), or -1 when the
 * call must fail (logged: a malformed hash, an unknown format, a host status). */
static int check_password(const wa_buf *hash, const wa_buf *pw) {
    if (hash->n == 0) {
        wa_log(WA_WARN, "no password hash");
        return 0;
    }
    if (hash->n >= 7 && memcmp(hash->p, "sha256$", 7) == 0) return check_sha256(hash->p, hash->n, pw);
    int32_t ok = wa_verify_password(hash->p, hash->n, pw->p, pw->n);
    if (ok < 0) return wa_fail_status("verify_password", ok), -1;
    return ok;
}

/* setup reads the input into in/input and the config's table and dialect. Returns 0,
 * or the export's failure result (logged). */
static int32_t setup(wa_buf *in, wa_json *input, wa_buf *table, int *pg) {
    wa_buf dialect = {0};
    wa_json config, v;
    if (wa_read_object(in, input) != 0) return 1;
    if (wa_json_member(*input, "config", &config)) {
        if (wa_json_member(config, "table", &v)) wa_json_string(v, table);
        if (wa_json_member(config, "dialect", &v)) wa_json_string(v, &dialect);
    }
    *pg = dialect.n == 8 && memcmp(dialect.p, "postgres", 8) == 0;
    wa_buf_free(&dialect);
    if (table->n == 0) wa_buf_puts(table, "users");
    if (!valid_table(table->p, table->n)) return wa_fail("config: table must be 1-64 characters of A-Z a-z 0-9 _ .", NULL, 0);
    return 0;
}

/* put_user appends the user of a row as {"id":...,...,"profile":{} (left open) and its
 * id to id. Returns 0, or the export's failure result (logged). */
static int32_t put_user(wa_buf *out, wa_json row, wa_buf *id, wa_buf *tmp) {
    wa_json col;
    wa_buf_puts(out, "{\"id\":");
    if (!wa_json_index(row, 0, &col)) return wa_fail("db_query: too few columns", NULL, 0);
    id->n = 0;
    if (wa_json_is_number(col)) {
        wa_buf_put(id, col.p, col.n);
    } else if (!wa_json_string(col, id) || id->n == 0) {
        return wa_fail("user row has no usable id", NULL, 0);
    }
    wa_buf_put_json_string(out, id->p, id->n);
    static const char *const names[] = {NULL, "email", "username", NULL, "name"};
    for (int i = 1; i <= 4; i++) {
        if (!wa_json_index(row, (size_t)i, &col)) return wa_fail("db_query: too few columns", NULL, 0);
        if (names[i])
            put_string_member(out, names[i], col, tmp);
        else
            wa_buf_puts(out, wa_json_truthy(col) ? ",\"email_verified\":true" : ",\"email_verified\":false");
    }
    wa_buf_puts(out, ",\"profile\":{}");
    return 0;
}

/* run implements login and get_user. */
static int32_t run(int is_login) {
    int32_t rc = 1;
    wa_buf in = {0}, ident = {0}, pw = {0}, table = {0}, sql = {0}, args = {0}, resp = {0}, tmp = {0}, id = {0},
           out = {0};
    wa_json input, v, rows, row, col;
    int pg;
    if ((rc = setup(&in, &input, &table, &pg)) != 0) goto done;
    rc = 1;
    if (wa_json_member(input, "identifier", &v)) wa_json_string(v, &ident);
    if (is_login && wa_json_member(input, "password", &v)) wa_json_string(v, &pw);
    const char *not_found = is_login ? "not_found" : NULL;
    if (ident.n == 0) {
        rc = answer_none(not_found, NULL, 0);
        goto done;
    }

    wa_buf_puts(&sql, "SELECT id, email, username, email_verified, name");
    if (is_login) wa_buf_puts(&sql, ", password_hash");
    wa_buf_puts(&sql, " FROM ");
    wa_buf_put(&sql, table.p, table.n);
    wa_buf_puts(&sql, pg ? " WHERE lower(email) = lower($1) OR lower(username) = lower($2)"
                         : " WHERE lower(email) = lower(?) OR lower(username) = lower(?)");
    wa_buf_puts(&sql, " ORDER BY id LIMIT 1");
    wa_buf_put_json_string(&args, ident.p, ident.n);
    wa_buf_putc(&args, ',');
    wa_buf_put_json_string(&args, ident.p, ident.n);
    if (wa_query_rows(&sql, &args, &resp, &rows, NULL) != 0) goto done;
    if (!wa_json_index(rows, 0, &row)) {
        rc = answer_none(not_found, NULL, 0);
        goto done;
    }

    wa_buf_puts(&out, "{\"user\":");
    if ((rc = put_user(&out, row, &id, &tmp)) != 0) goto done;
    rc = 1;
    wa_buf_puts(&out, "}}");

    if (is_login) {
        if (!wa_json_index(row, 5, &col)) {
            rc = wa_fail("db_query: too few columns", NULL, 0);
            goto done;
        }
        if (!wa_json_string(col, &tmp)) tmp.n = 0;
        int ok = check_password(&tmp, &pw);
        if (ok < 0) goto done; /* already logged */
        if (!ok) {
            rc = answer_none("wrong_password", id.p, id.n);
            goto done;
        }
    }
    int32_t st;
    if ((st = wa_output(&out)) != 0) {
        rc = wa_fail_status("output_set", st);
        goto done;
    }
    rc = 0;
done:
    wa_buf_free(&in);
    wa_buf_free(&ident);
    wa_buf_free(&pw);
    wa_buf_free(&table);
    wa_buf_free(&sql);
    wa_buf_free(&args);
    wa_buf_free(&resp);
    wa_buf_free(&tmp);
    wa_buf_free(&id);
    wa_buf_free(&out);
    return rc;
}

/* list_users: the users after the cursor (the last id of the previous page) in id
 * order, at most the input's limit (up to WA_MAX_PAGE) of them, each with its hash. */
static int32_t list(void) {
    int32_t rc = 1, st;
    wa_buf in = {0}, table = {0}, cursor = {0}, sql = {0}, args = {0}, resp = {0}, tmp = {0}, id = {0}, out = {0};
    wa_json input, v, rows, row, col;
    int pg;
    if ((rc = setup(&in, &input, &table, &pg)) != 0) goto done;
    rc = 1;
    int limit = wa_input_limit(input, WA_MAX_PAGE);
    int has_cursor = wa_json_member(input, "cursor", &v) && !wa_json_is(v, "null");
    if (has_cursor && (!wa_json_string(v, &cursor) || !wa_is_digits(&cursor))) {
        rc = wa_fail("list_users: the cursor must be 1-18 digits", NULL, 0);
        goto done;
    }

    wa_buf_puts(&sql, "SELECT id, email, username, email_verified, name, password_hash FROM ");
    wa_buf_put(&sql, table.p, table.n);
    if (has_cursor) wa_buf_puts(&sql, pg ? " WHERE id > $1" : " WHERE id > ?");
    wa_buf_puts(&sql, pg ? (has_cursor ? " ORDER BY id LIMIT $2" : " ORDER BY id LIMIT $1") : " ORDER BY id LIMIT ?");
    /* The arguments are JSON numbers: the database compares integers, not text. */
    if (has_cursor) {
        wa_buf_put(&args, cursor.p, cursor.n);
        wa_buf_putc(&args, ',');
    }
    wa_buf_put_int(&args, limit);
    if (wa_query_rows(&sql, &args, &resp, &rows, NULL) != 0) goto done;

    wa_page_begin(&out);
    /* Walk the rows once with wa_json_next (wa_json_index would rescan from the start). */
    int n = 0;
    const char *pos = rows.p + 1;
    wa_json key;
    for (; wa_json_next(rows, &pos, &key, &row); n++) {
        if (n > 0) wa_buf_putc(&out, ',');
        if ((rc = put_user(&out, row, &id, &tmp)) != 0) goto done;
        rc = 1;
        if (!wa_json_index(row, 5, &col)) {
            rc = wa_fail("db_query: too few columns", NULL, 0);
            goto done;
        }
        wa_buf_puts(&out, ",\"password_hash\":");
        if (wa_json_string(col, &tmp) && tmp.n > 0)
            wa_buf_put_json_string(&out, tmp.p, tmp.n);
        else
            wa_buf_puts(&out, "null");
        wa_buf_putc(&out, '}');
    }
    /* A full page may have more after it: its last id is the next cursor. */
    if ((st = wa_page_end(&out, id.p, n == limit ? id.n : 0)) != 0) {
        rc = wa_fail_status("output_set", st);
        goto done;
    }
    rc = 0;
done:
    wa_buf_free(&in);
    wa_buf_free(&table);
    wa_buf_free(&cursor);
    wa_buf_free(&sql);
    wa_buf_free(&args);
    wa_buf_free(&resp);
    wa_buf_free(&tmp);
    wa_buf_free(&id);
    wa_buf_free(&out);
    return rc;
}

EXPORT("login") int32_t login(void) { return run(1); }

EXPORT("get_user") int32_t get_user(void) { return run(0); }

EXPORT("list_users") int32_t list_users(void) { return list(); }

/* verify_hash: the same check as login's, with no database. */
EXPORT("verify_hash") int32_t verify_hash(void) { return wa_verify_export(check_password); }
