/*
 * preset.c - wasmauth's ready modules for common legacy schemas: one source, built once
 * per preset with -DPRESET_<NAME>, which picks the defaults of the configuration below.
 * A tenant uses one with PUT /admin/v1/tenants/{tenant}/script?preset=<name> and sets
 * the connection's "config" where its schema differs (examples-wasm/README.md, "Presets").
 *
 * Build (from examples-wasm/presets; see Makefile):
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Werror -Wno-unused-function -nodefaultlibs -lc \
 *     -Wl,--strip-all -DPRESET_DJANGO -o django.wasm preset.c
 *
 * Exports login, get_user, list_users, count_users (ABI v1.1; both of the active accounts)
 * and verify_hash (ABI v1.1). Every lookup compares
 * lower(column) with lower(identifier), for the email and the username alike, whatever
 * the legacy application did: wasmauth's identifiers are case-insensitive, and a legacy
 * "Leo" must block a new "leo" (409) rather than be lost to it.
 *
 * Configuration (connection "config"; every key optional, a string; "" switches a
 * column off):
 *   table            the users table
 *   id_column        the primary key (numbers are compared as numbers in list_users)
 *   email_column     the email address
 *   username_column  the user name
 *   password_column  the password hash (verified with the host's verify_password; a
 *                    32-hex-digit MD5, as old WordPress kept, with digest)
 *   name_columns     one or two columns, comma-separated, joined with a space
 *   verified_column  email verified when true, non-zero or a non-empty string (a date)
 *   active_column    the account is active when this is true or non-zero ...
 *   active_value     ... or, when set, when it equals this value (digits, letters, _ -)
 *   dialect          "postgres" for $1 placeholders; by default the input's "driver"
 */
#include "../c/wasmauth.h"

#define EXPORT(name) __attribute__((export_name(name)))

/* The defaults of each preset, in the order of the keys below. */
enum { K_TABLE, K_ID, K_EMAIL, K_USERNAME, K_PASSWORD, K_NAME, K_VERIFIED, K_ACTIVE, K_ACTIVE_VALUE, K_N };
static const char *const keys[K_N] = {"table",          "id_column",       "email_column",
                                      "username_column", "password_column", "name_columns",
                                      "verified_column", "active_column",   "active_value"};
#if defined(PRESET_DJANGO)
static const char *const defaults[K_N] = {"auth_user", "id", "email", "username", "password",
                                          "first_name,last_name", "", "is_active", ""};
#elif defined(PRESET_LARAVEL)
static const char *const defaults[K_N] = {"users", "id", "email", "", "password", "name",
                                          "email_verified_at", "", ""};
#elif defined(PRESET_WORDPRESS)
static const char *const defaults[K_N] = {"wp_users", "ID", "user_email", "user_login", "user_pass",
                                          "display_name", "", "user_status", "0"};
#elif defined(PRESET_TABLE)
static const char *const defaults[K_N] = {"users", "id", "email", "username", "password_hash", "name",
                                          "email_verified", "", ""};
#else
#error "define one of PRESET_DJANGO, PRESET_LARAVEL, PRESET_WORDPRESS, PRESET_TABLE"
#endif

/* The columns of every SELECT, in this order. */
enum { C_ID, C_EMAIL, C_USERNAME, C_VERIFIED, C_NAME1, C_NAME2, C_ACTIVE, C_PASSWORD, C_N };

/* cfg is the configuration of one call. */
typedef struct {
    wa_buf v[K_N];
    wa_buf name2; /* the second of name_columns, split off v[K_NAME] */
    int pg;
} cfg;

static void cfg_free(cfg *c) {
    for (int i = 0; i < K_N; i++) wa_buf_free(&c->v[i]);
    wa_buf_free(&c->name2);
}

static int ident_ok(const wa_buf *b, int value) {
    if (b->n > 64) return 0;
    for (size_t i = 0; i < b->n; i++) {
        char c = b->p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              (!value && c == '.') || (value && c == '-')))
            return 0;
    }
    return 1;
}

/* read_config fills c from the input's config and the preset's defaults; 0 and a log
 * line when a value is unusable. */
static int read_config(wa_json input, cfg *c) {
    wa_json config, v;
    int has = wa_json_member(input, "config", &config) && config.p[0] == '{';
    for (int i = 0; i < K_N; i++) {
        if (has && wa_json_member(config, keys[i], &v) && wa_json_is_string(v)) {
            wa_json_string(v, &c->v[i]);
        } else {
            wa_buf_puts(&c->v[i], defaults[i]);
        }
    }
    char *comma = c->v[K_NAME].n ? memchr(c->v[K_NAME].p, ',', c->v[K_NAME].n) : NULL;
    if (comma) {
        size_t at = (size_t)(comma - c->v[K_NAME].p);
        wa_buf_put(&c->name2, comma + 1, c->v[K_NAME].n - at - 1);
        c->v[K_NAME].n = at;
    }
    wa_buf dialect = {0};
    if (has && wa_json_member(config, "dialect", &v)) wa_json_string(v, &dialect);
    if (dialect.n == 0 && wa_json_member(input, "driver", &v)) wa_json_string(v, &dialect);
    c->pg = dialect.n == 8 && memcmp(dialect.p, "postgres", 8) == 0;
    wa_buf_free(&dialect);
    for (int i = 0; i < K_N; i++) {
        if (c->v[i].oom || c->name2.oom) return wa_fail("out of memory", NULL, 0), 0;
        if (!ident_ok(&c->v[i], i == K_ACTIVE_VALUE)) {
            wa_buf line = {0};
            wa_buf_puts(&line, "config: ");
            wa_buf_puts(&line, keys[i]);
            wa_buf_puts(&line, " must be at most 64 characters of A-Z a-z 0-9 _ . (a value: _ -)");
            wa_fail(line.p ? line.p : "config", NULL, 0);
            wa_buf_free(&line);
            return 0;
        }
    }
    if (!ident_ok(&c->name2, 0)) return wa_fail("config: name_columns must be one or two column names", NULL, 0), 0;
    if (c->v[K_TABLE].n == 0 || c->v[K_ID].n == 0 || c->v[K_PASSWORD].n == 0)
        return wa_fail("config: table, id_column and password_column cannot be empty", NULL, 0), 0;
    if (c->v[K_EMAIL].n == 0 && c->v[K_USERNAME].n == 0)
        return wa_fail("config: email_column and username_column cannot both be empty", NULL, 0), 0;
    return 1;
}

static void put_col(wa_buf *sql, const wa_buf *col) {
    if (col->n)
        wa_buf_put(sql, col->p, col->n);
    else
        wa_buf_puts(sql, "NULL");
}

static void placeholder(wa_buf *sql, const cfg *c, int n) {
    if (c->pg) {
        wa_buf_putc(sql, '$');
        wa_buf_put_int(sql, n);
    } else {
        wa_buf_putc(sql, '?');
    }
}

/* select_from appends the SELECT list and FROM of every lookup. */
static void select_from(wa_buf *sql, const cfg *c) {
    const wa_buf *cols[C_N] = {&c->v[K_ID],   &c->v[K_EMAIL], &c->v[K_USERNAME], &c->v[K_VERIFIED],
                               &c->v[K_NAME], &c->name2,      &c->v[K_ACTIVE],   &c->v[K_PASSWORD]};
    wa_buf_puts(sql, "SELECT ");
    for (int i = 0; i < C_N; i++) {
        if (i) wa_buf_puts(sql, ", ");
        put_col(sql, cols[i]);
    }
    wa_buf_puts(sql, " FROM ");
    wa_buf_put(sql, c->v[K_TABLE].p, c->v[K_TABLE].n);
}

/* col_string decodes a string or number column into out; 0 for null and others. */
static int col_string(wa_json v, wa_buf *out) {
    out->n = 0;
    if (wa_json_is_number(v)) {
        wa_buf_put(out, v.p, v.n);
        return !out->oom;
    }
    return wa_json_string(v, out) && out->n > 0;
}

/* is_active reads the active column of a row. */
static int is_active(const cfg *c, wa_json col, wa_buf *tmp) {
    if (c->v[K_ACTIVE].n == 0) return 1;
    if (c->v[K_ACTIVE_VALUE].n == 0) return wa_json_truthy(col);
    return col_string(col, tmp) && tmp->n == c->v[K_ACTIVE_VALUE].n &&
           memcmp(tmp->p, c->v[K_ACTIVE_VALUE].p, tmp->n) == 0;
}

/* put_user appends row's user object (without its closing brace) and its id in id. */
static int put_user(wa_buf *out, wa_json row, wa_buf *id, wa_buf *tmp) {
    wa_json col[C_N];
    for (int i = 0; i < C_N; i++)
        if (!wa_json_index(row, (size_t)i, &col[i])) return wa_fail("db_query: too few columns", NULL, 0), 0;
    if (!col_string(col[C_ID], id)) return wa_fail("a user row has no usable id", NULL, 0), 0;
    wa_buf_puts(out, "{\"id\":");
    wa_buf_put_json_string(out, id->p, id->n);
    /* An address without "@" (Django allows "") is left out rather than refused. */
    if (wa_json_string(col[C_EMAIL], tmp) && tmp->n > 0 && memchr(tmp->p, '@', tmp->n)) {
        wa_buf_puts(out, ",\"email\":");
        wa_buf_put_json_string(out, tmp->p, tmp->n);
    }
    if (col_string(col[C_USERNAME], tmp)) {
        wa_buf_puts(out, ",\"username\":");
        wa_buf_put_json_string(out, tmp->p, tmp->n);
    }
    int verified = wa_json_truthy(col[C_VERIFIED]) ||
                   (wa_json_is_string(col[C_VERIFIED]) && !wa_json_is(col[C_VERIFIED], "\"\"") &&
                    !wa_json_is(col[C_VERIFIED], "\"0\"") && !wa_json_is(col[C_VERIFIED], "\"f\"") &&
                    !wa_json_is(col[C_VERIFIED], "\"false\""));
    wa_buf_puts(out, verified ? ",\"email_verified\":true" : ",\"email_verified\":false");
    wa_buf name = {0};
    if (wa_json_string(col[C_NAME1], tmp) && tmp->n) wa_buf_put(&name, tmp->p, tmp->n);
    if (wa_json_string(col[C_NAME2], tmp) && tmp->n) {
        if (name.n) wa_buf_putc(&name, ' ');
        wa_buf_put(&name, tmp->p, tmp->n);
    }
    if (name.n) {
        wa_buf_puts(out, ",\"name\":");
        wa_buf_put_json_string(out, name.p, name.n);
    }
    wa_buf_free(&name);
    wa_buf_puts(out, ",\"profile\":{}");
    return !out->oom;
}

/* usable_hash reports whether a stored hash can be a password: Django marks unusable
 * passwords with a leading "!". */
static int usable_hash(const wa_buf *h) { return h->n > 0 && h->p[0] != '!'; }

static int is_md5_hex(const wa_buf *h) {
    if (h->n != 32) return 0;
    for (size_t i = 0; i < 32; i++)
        if (wa_hexval(h->p[i]) < 0) return 0;
    return 1;
}

/* check_password returns 1 (match), 0 (no match) or -1 (failed, logged). */
static int check_password(const wa_buf *hash, const wa_buf *pw) {
    if (!usable_hash(hash)) return 0;
    if (is_md5_hex(hash)) { /* WordPress before phpass, and some PHP apps */
        wa_buf sum = {0};
        int32_t st = wa_digest("md5", pw->p, pw->n, &sum);
        if (st != 0) {
            wa_buf_free(&sum);
            return wa_fail_status("digest", st), -1;
        }
        unsigned diff = sum.n != 16;
        for (size_t i = 0; i < sum.n && i < 16; i++) {
            unsigned char b = (unsigned char)sum.p[i];
            diff |= (unsigned)(wa_hexval(hash->p[2 * i]) ^ (b >> 4)) | (unsigned)(wa_hexval(hash->p[2 * i + 1]) ^ (b & 15));
        }
        wa_buf_free(&sum);
        return diff == 0;
    }
    int32_t ok = wa_verify_password(hash->p, hash->n, pw->p, pw->n);
    if (ok < 0) return wa_fail_status(ok == WA_TOO_LARGE ? "verify_password: the hash is over the host's cost caps"
                                                       : "verify_password: unknown hash format",
                                   ok),
                -1;
    return ok;
}

/* lookup implements login and get_user. */
static int32_t lookup(int is_login) {
    int32_t rc = 1;
    cfg c = {0};
    wa_buf in = {0}, ident = {0}, pw = {0}, sql = {0}, args = {0}, resp = {0}, tmp = {0}, id = {0}, hash = {0},
           out = {0};
    wa_json input, v, rows, row, col;
    int truncated;
    int32_t st;
    if (wa_read_object(&in, &input) != 0 || !read_config(input, &c)) goto done;
    if (wa_json_member(input, "identifier", &v)) wa_json_string(v, &ident);
    if (is_login && wa_json_member(input, "password", &v)) wa_json_string(v, &pw);
    const char *not_found = is_login ? "not_found" : NULL;
    if (ident.n == 0) {
        rc = wa_reject(not_found, NULL, 0) == 0 ? 0 : 1;
        goto done;
    }
    select_from(&sql, &c);
    wa_buf_puts(&sql, " WHERE ");
    int n = 0;
    const wa_buf *match[2] = {&c.v[K_EMAIL], &c.v[K_USERNAME]};
    for (int i = 0; i < 2; i++) {
        if (!match[i]->n) continue;
        if (n) wa_buf_puts(&sql, " OR ");
        wa_buf_puts(&sql, "lower(");
        wa_buf_put(&sql, match[i]->p, match[i]->n);
        wa_buf_puts(&sql, ") = lower(");
        placeholder(&sql, &c, ++n);
        wa_buf_putc(&sql, ')');
        if (n > 1) wa_buf_putc(&args, ',');
        wa_buf_put_json_string(&args, ident.p, ident.n);
    }
    wa_buf_puts(&sql, " ORDER BY ");
    wa_buf_put(&sql, c.v[K_ID].p, c.v[K_ID].n);
    wa_buf_puts(&sql, " LIMIT 1");
    if (wa_query_rows(&sql, &args, &resp, &rows, &truncated) != 0) goto done;
    if (!wa_json_index(rows, 0, &row)) {
        rc = wa_reject(not_found, NULL, 0) == 0 ? 0 : 1;
        goto done;
    }
    wa_buf_puts(&out, "{\"user\":");
    if (!put_user(&out, row, &id, &tmp)) goto done;
    wa_buf_puts(&out, "}}");
    if (is_login) {
        wa_json_index(row, C_PASSWORD, &col);
        wa_json_string(col, &hash);
        int ok = check_password(&hash, &pw);
        if (ok < 0) goto done;
        if (!ok) {
            rc = wa_reject("wrong_password", id.p, id.n) == 0 ? 0 : 1;
            goto done;
        }
        wa_json_index(row, C_ACTIVE, &col);
        if (!is_active(&c, col, &tmp)) {
            rc = wa_reject("inactive", id.p, id.n) == 0 ? 0 : 1;
            goto done;
        }
    }
    if ((st = wa_output(&out)) != 0) {
        rc = wa_fail_status("output_set", st);
        goto done;
    }
    rc = 0;
done:
    cfg_free(&c);
    wa_buf_free(&in);
    wa_buf_free(&ident);
    wa_buf_free(&pw);
    wa_buf_free(&sql);
    wa_buf_free(&args);
    wa_buf_free(&resp);
    wa_buf_free(&tmp);
    wa_buf_free(&id);
    wa_buf_free(&hash);
    wa_buf_free(&out);
    return rc;
}

/* list pages through the active users by id; count counts the rows. */
static int32_t list(int count) {
    int32_t rc = 1;
    cfg c = {0};
    wa_buf in = {0}, cursor = {0}, sql = {0}, args = {0}, resp = {0}, tmp = {0}, id = {0}, hash = {0}, out = {0};
    wa_json input, v, rows, row, col;
    int truncated = 0;
    int32_t st;
    if (wa_read_object(&in, &input) != 0 || !read_config(input, &c)) goto done;
    if (count) {
        /* The active accounts, as list_users gives them: the active value is inlined as a
         * quoted literal (it is only letters, digits, _ and -), which PostgreSQL, MySQL and
         * SQLite all compare with a number or a string column. */
        wa_buf_puts(&sql, "SELECT count(*) FROM ");
        wa_buf_put(&sql, c.v[K_TABLE].p, c.v[K_TABLE].n);
        if (c.v[K_ACTIVE].n) {
            wa_buf_puts(&sql, " WHERE ");
            wa_buf_put(&sql, c.v[K_ACTIVE].p, c.v[K_ACTIVE].n);
            if (c.v[K_ACTIVE_VALUE].n) {
                wa_buf_puts(&sql, " = '");
                wa_buf_put(&sql, c.v[K_ACTIVE_VALUE].p, c.v[K_ACTIVE_VALUE].n);
                wa_buf_putc(&sql, '\'');
            }
        }
        if (wa_query_rows(&sql, &args, &resp, &rows, &truncated) != 0) goto done;
        if (!wa_json_index(rows, 0, &row) || !wa_json_index(row, 0, &col) || !col_string(col, &tmp) ||
            !wa_is_digits(&tmp)) {
            rc = wa_fail("count(*) is not a number", NULL, 0);
            goto done;
        }
        wa_buf_puts(&out, "{\"count\":");
        wa_buf_put(&out, tmp.p, tmp.n);
        wa_buf_putc(&out, '}');
        st = wa_output(&out);
    } else {
        long limit = wa_input_limit(input, 1000);
        int has_cursor = wa_json_member(input, "cursor", &v) && wa_json_string(v, &cursor) && cursor.n > 0;
        select_from(&sql, &c);
        if (has_cursor) {
            wa_buf_puts(&sql, " WHERE ");
            wa_buf_put(&sql, c.v[K_ID].p, c.v[K_ID].n);
            wa_buf_puts(&sql, " > ");
            placeholder(&sql, &c, 1);
            if (wa_is_digits(&cursor))
                wa_buf_put(&args, cursor.p, cursor.n);
            else
                wa_buf_put_json_string(&args, cursor.p, cursor.n);
        }
        wa_buf_puts(&sql, " ORDER BY ");
        wa_buf_put(&sql, c.v[K_ID].p, c.v[K_ID].n);
        wa_buf_puts(&sql, " LIMIT ");
        wa_buf_put_int(&sql, limit);
        if (wa_query_rows(&sql, &args, &resp, &rows, &truncated) != 0) goto done;
        wa_page_begin(&out);
        long got = 0;
        int first = 1;
        for (const char *pos = rows.p + 1; wa_json_next(rows, &pos, &col, &row); got++) {
            wa_buf user = {0};
            if (!put_user(&user, row, &id, &tmp)) {
                wa_buf_free(&user);
                goto done;
            }
            wa_json a;
            wa_json_index(row, C_ACTIVE, &a);
            if (!is_active(&c, a, &tmp)) { /* an inactive account stays behind */
                wa_buf_free(&user);
                continue;
            }
            if (!first) wa_buf_putc(&out, ',');
            first = 0;
            wa_buf_put(&out, user.p, user.n);
            wa_buf_free(&user);
            wa_json_index(row, C_PASSWORD, &col);
            wa_json_string(col, &hash);
            wa_buf_puts(&out, ",\"password_hash\":");
            if (usable_hash(&hash))
                wa_buf_put_json_string(&out, hash.p, hash.n);
            else
                wa_buf_puts(&out, "null");
            wa_buf_putc(&out, '}');
        }
        /* A full or cut page may have more after it: its last id is the next cursor. */
        st = wa_page_end(&out, id.p, got > 0 && (got >= limit || truncated) ? id.n : 0);
    }
    if (st != 0) {
        rc = wa_fail_status("output_set", st);
        goto done;
    }
    rc = 0;
done:
    cfg_free(&c);
    wa_buf_free(&in);
    wa_buf_free(&cursor);
    wa_buf_free(&sql);
    wa_buf_free(&args);
    wa_buf_free(&resp);
    wa_buf_free(&tmp);
    wa_buf_free(&id);
    wa_buf_free(&hash);
    wa_buf_free(&out);
    return rc;
}

/* verify_hash (ABI v1.1) checks a drained user's hash at its first login, for the formats
 * the server does not verify itself (here, WordPress's plain MD5); an unknown format fails
 * the call, as the ABI asks. */
EXPORT("verify_hash") int32_t verify_hash(void) { return wa_verify_export(check_password); }

EXPORT("login") int32_t login(void) { return lookup(1); }

EXPORT("get_user") int32_t get_user(void) { return lookup(0); }

EXPORT("list_users") int32_t list_users(void) { return list(0); }

EXPORT("count_users") int32_t count_users(void) { return list(1); }
