/*
 * wasmauth.h - the guest side of the wasmauth ABI for tenant modules in C.
 *
 * A single header: the host function imports of the "wasmauth" module, a growable byte
 * buffer, a small JSON reader (enough to read the call's input and db_query responses),
 * JSON string writing, rejections (wa_reject), the answers of ABI v1.1's optional exports
 * (wa_page_begin/wa_page_end for list_users, wa_answer_verified for verify_hash), and the
 * steps every export takes: failing with a log line (wa_fail), reading the input
 * (wa_read_object), running a query (wa_query_rows), a whole verify_hash (wa_verify_export).
 * Everything is static; include it in one translation unit.
 *
 * Build a reactor with wasi-libc (see legacy.c):
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 ... -o legacy.wasm legacy.c
 *
 * The JSON reader works on spans of the original text and never allocates: it trusts
 * nothing (every step is bounds-checked) but it does not validate whole documents; it
 * is meant for JSON the host wrote.
 */
#ifndef WASMAUTH_H
#define WASMAUTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- host functions (import module "wasmauth"); negative results are statuses ---- */

#define WA_IMPORT(name) __attribute__((import_module("wasmauth"), import_name(name)))

WA_IMPORT("input_len") int32_t wa_host_input_len(void);
WA_IMPORT("input_read") int32_t wa_host_input_read(void *ptr, int32_t len);
WA_IMPORT("output_set") int32_t wa_host_output_set(const void *ptr, int32_t len);
WA_IMPORT("log") void wa_host_log(int32_t level, const void *ptr, int32_t len);
WA_IMPORT("db_query") int32_t wa_host_db_query(const void *ptr, int32_t len);
WA_IMPORT("result_read") int32_t wa_host_result_read(void *ptr, int32_t len);
WA_IMPORT("verify_password")
int32_t wa_host_verify_password(const void *hash, int32_t hash_len, const void *pw, int32_t pw_len);
WA_IMPORT("digest")
int32_t wa_host_digest(const void *algo, int32_t algo_len, const void *data, int32_t data_len);

/* Statuses returned by host functions. WA_ERR_NOMEM is this header's own. */
enum {
    WA_BAD_MEMORY = -1,
    WA_TOO_LARGE = -2,
    WA_NO_CONNECTION = -3,
    WA_LIMIT = -4,
    WA_UNKNOWN_HASH = -5,
    WA_ERR_NOMEM = -100,
};

/* Log levels. */
enum { WA_DEBUG = 0, WA_INFO = 1, WA_WARN = 2, WA_ERROR = 3 };

/* ---- byte buffer ---- */

/* wa_buf is a growable byte buffer; zero-initialise it, release it with wa_buf_free.
 * After an allocation failure it stays empty with oom set, so callers check once. */
typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} wa_buf;

static void wa_buf_free(wa_buf *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static int wa_buf_reserve(wa_buf *b, size_t extra) {
    if (b->oom) return 0;
    if (b->n + extra <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        wa_buf_free(b);
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

static void wa_buf_put(wa_buf *b, const void *p, size_t n) {
    if (n && wa_buf_reserve(b, n)) {
        memcpy(b->p + b->n, p, n);
        b->n += n;
    }
}

static void wa_buf_puts(wa_buf *b, const char *s) { wa_buf_put(b, s, strlen(s)); }

static void wa_buf_putc(wa_buf *b, char c) { wa_buf_put(b, &c, 1); }

/* wa_buf_put_json_string appends s (UTF-8) as a JSON string literal. */
static void wa_buf_put_json_string(wa_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    wa_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            wa_buf_putc(b, '\\');
            wa_buf_putc(b, (char)c);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            wa_buf_put(b, e, 6);
        } else {
            wa_buf_putc(b, (char)c);
        }
    }
    wa_buf_putc(b, '"');
}

/* ---- JSON reader ---- */

/* wa_json is one JSON value: a span of the document's text. */
typedef struct {
    const char *p;
    size_t n;
} wa_json;

static const char *wa_json_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* wa_json_skip returns the end of the value starting at p, or NULL if malformed. */
static const char *wa_json_skip(const char *p, const char *end) {
    int depth = 0;
    do {
        p = wa_json_ws(p, end);
        if (p >= end) return NULL;
        char c = *p;
        if (c == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\') p++;
            if (p >= end) return NULL;
            p++;
        } else if (c == '{' || c == '[') {
            depth++;
            p++;
            continue;
        } else if (c == '}' || c == ']') {
            if (depth == 0) return NULL;
            depth--;
            p++;
        } else if (c == ',' || c == ':') {
            if (depth == 0) return NULL;
            p++;
            continue;
        } else {
            const char *s = p;
            while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || *p == '-' ||
                               *p == '+' || *p == '.' || *p == 'E'))
                p++;
            if (p == s) return NULL;
        }
    } while (depth > 0);
    return p;
}

/* wa_json_parse returns the value filling text (surrounding whitespace allowed). */
static int wa_json_parse(const char *text, size_t n, wa_json *out) {
    const char *end = text + n, *p = wa_json_ws(text, end);
    const char *e = wa_json_skip(p, end);
    if (!e || wa_json_ws(e, end) != end) return 0;
    out->p = p;
    out->n = (size_t)(e - p);
    return 1;
}

/* wa_json_next reads the element at *pos of an object or array (after its opening
 * bracket or a comma): the key (objects only, as raw string text without quotes) and the
 * value. It returns 1 and advances *pos, or 0 at the end or on malformed input. */
static int wa_json_next(wa_json container, const char **pos, wa_json *key, wa_json *val) {
    const char *end = container.p + container.n, *p = wa_json_ws(*pos, end);
    if (p >= end || *p == '}' || *p == ']') return 0;
    if (*p == ',') p = wa_json_ws(p + 1, end);
    if (container.p[0] == '{') {
        const char *ke = wa_json_skip(p, end);
        if (!ke || *p != '"') return 0;
        key->p = p + 1;
        key->n = (size_t)(ke - p - 2);
        p = wa_json_ws(ke, end);
        if (p >= end || *p != ':') return 0;
        p++;
    }
    p = wa_json_ws(p, end);
    const char *ve = wa_json_skip(p, end);
    if (!ve) return 0;
    val->p = p;
    val->n = (size_t)(ve - p);
    *pos = ve;
    return 1;
}

/* wa_json_member finds key (compared with the raw key text, so keys must not need
 * escapes) in an object; it returns 1 and the value, or 0. */
static int wa_json_member(wa_json obj, const char *key, wa_json *out) {
    if (obj.n < 2 || obj.p[0] != '{') return 0;
    size_t kn = strlen(key);
    const char *pos = obj.p + 1;
    wa_json k, v;
    while (wa_json_next(obj, &pos, &k, &v))
        if (k.n == kn && memcmp(k.p, key, kn) == 0) {
            *out = v;
            return 1;
        }
    return 0;
}

/* wa_json_index returns element i of an array. */
static int wa_json_index(wa_json arr, size_t i, wa_json *out) {
    if (arr.n < 2 || arr.p[0] != '[') return 0;
    const char *pos = arr.p + 1;
    wa_json k, v;
    for (size_t j = 0; wa_json_next(arr, &pos, &k, &v); j++)
        if (j == i) {
            *out = v;
            return 1;
        }
    return 0;
}

static int wa_json_is_string(wa_json v) { return v.n >= 2 && v.p[0] == '"'; }
static int wa_json_is_number(wa_json v) { return v.n > 0 && (v.p[0] == '-' || (v.p[0] >= '0' && v.p[0] <= '9')); }
static int wa_json_is(wa_json v, const char *lit) { return v.n == strlen(lit) && memcmp(v.p, lit, v.n) == 0; }

static int wa_hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int wa_hex4(const char *p, const char *end) {
    if (end - p < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = wa_hexval(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

static void wa_buf_put_utf8(wa_buf *b, uint32_t cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    wa_buf_put(b, u, n);
}

/* wa_json_string decodes a JSON string value into out (UTF-8, not NUL-terminated;
 * out is reset first). It returns 1, or 0 if v is not a well-formed string. */
static int wa_json_string(wa_json v, wa_buf *out) {
    out->n = 0;
    if (!wa_json_is_string(v) || v.p[v.n - 1] != '"') return 0;
    const char *p = v.p + 1, *end = v.p + v.n - 1;
    while (p < end) {
        const char *s = p;
        while (p < end && *p != '\\') p++;
        wa_buf_put(out, s, (size_t)(p - s));
        if (p >= end) break;
        if (++p >= end) return 0;
        char c = *p++;
        switch (c) {
        case '"': case '\\': case '/': wa_buf_putc(out, c); break;
        case 'b': wa_buf_putc(out, '\b'); break;
        case 'f': wa_buf_putc(out, '\f'); break;
        case 'n': wa_buf_putc(out, '\n'); break;
        case 'r': wa_buf_putc(out, '\r'); break;
        case 't': wa_buf_putc(out, '\t'); break;
        case 'u': {
            int cp = wa_hex4(p, end);
            if (cp < 0) return 0;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                int lo = wa_hex4(p + 2, end);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD; /* a lone surrogate */
            wa_buf_put_utf8(out, (uint32_t)cp);
            break;
        }
        default: return 0;
        }
    }
    return !out->oom;
}

/* wa_json_truthy: the boolean true, a number other than zero, or the strings "1", "t"
 * and "true" (how some drivers spell booleans). */
static int wa_json_truthy(wa_json v) {
    if (wa_json_is(v, "true") || wa_json_is(v, "\"1\"") || wa_json_is(v, "\"t\"") || wa_json_is(v, "\"true\""))
        return 1;
    if (!wa_json_is_number(v)) return 0;
    for (size_t i = 0; i < v.n && v.p[i] != 'e' && v.p[i] != 'E'; i++)
        if (v.p[i] >= '1' && v.p[i] <= '9') return 1;
    return 0;
}

/* ---- calls ---- */

/* wa_read_input reads this call's input JSON into in. Returns 0 or a status. */
static int32_t wa_read_input(wa_buf *in) {
    int32_t n = wa_host_input_len();
    if (n < 0) return n;
    in->n = 0;
    if (!wa_buf_reserve(in, (size_t)n + 1)) return WA_ERR_NOMEM;
    int32_t got = n ? wa_host_input_read(in->p, n) : 0;
    if (got < 0) return got;
    in->n = (size_t)got;
    return 0;
}

/* wa_output sets this call's answer. Returns 0 or a status. */
static int32_t wa_output(const wa_buf *json) {
    if (json->oom) return WA_ERR_NOMEM;
    return wa_host_output_set(json->p, (int32_t)json->n);
}

/* WA_MAX_ID is the longest legacy id a rejection may carry, in bytes. */
#define WA_MAX_ID 256

/* wa_reject answers {"user": null} with a reason ("not_found", "wrong_password", or NULL
 * for none) and, when id is 1 to WA_MAX_ID bytes, the account's legacy id (ABI v1.1):
 * name the account on a wrong password, so that the host counts failures per account
 * whatever spelling of the identifier was typed. Returns 0 or a status. */
static int32_t wa_reject(const char *reason, const char *id, size_t id_n) {
    wa_buf out = {0};
    wa_buf_puts(&out, "{\"user\":null");
    if (reason) {
        wa_buf_puts(&out, ",\"reason\":");
        wa_buf_put_json_string(&out, reason, strlen(reason));
    }
    if (id_n > 0 && id_n <= WA_MAX_ID) {
        wa_buf_puts(&out, ",\"id\":");
        wa_buf_put_json_string(&out, id, id_n);
    }
    wa_buf_putc(&out, '}');
    int32_t st = wa_output(&out);
    wa_buf_free(&out);
    return st;
}

/* ---- ABI v1.1: list_users and verify_hash ---- */

/* WA_MAX_PAGE is the most users the examples put in one list_users page: db_query
 * returns at most 100 rows by default. */
#define WA_MAX_PAGE 100

/* wa_input_limit returns list_users's "limit" clamped to 1..max (max when absent). */
static int wa_input_limit(wa_json input, int max) {
    wa_json v;
    if (!wa_json_member(input, "limit", &v) || !wa_json_is_number(v) || v.p[0] == '-') return max;
    long n = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9') return max; /* a fraction or an exponent */
        n = n * 10 + (v.p[i] - '0');
        if (n > max) return max;
    }
    return n < 1 ? max : (int)n;
}

/* wa_page_begin starts a list_users answer in out: {"users":[ . Append each user
 * object (the shape of login's user plus "password_hash", a string or null), separated
 * by commas, then call wa_page_end. */
static void wa_page_begin(wa_buf *out) { wa_buf_puts(out, "{\"users\":["); }

/* wa_page_end ends a list_users answer with the cursor of the next page (next_n 0 for
 * null: the last page) and sets it as the output. Returns 0 or a status. The page must
 * fit the 64 KiB output limit; the host's drain page size lowers it. */
static int32_t wa_page_end(wa_buf *out, const char *next, size_t next_n) {
    wa_buf_puts(out, "],\"next_cursor\":");
    if (next_n)
        wa_buf_put_json_string(out, next, next_n);
    else
        wa_buf_puts(out, "null");
    wa_buf_putc(out, '}');
    return wa_output(out);
}

/* wa_answer_verified answers verify_hash: {"ok": true} or {"ok": false}. A hash whose
 * format the module does not know is not false: fail the call instead. */
static int32_t wa_answer_verified(int ok) {
    const char *s = ok ? "{\"ok\":true}" : "{\"ok\":false}";
    return wa_host_output_set(s, (int32_t)strlen(s));
}

/* wa_log writes a NUL-terminated line to the tenant's log. */
static void wa_log(int level, const char *msg) { wa_host_log(level, msg, (int32_t)strlen(msg)); }

/* wa_read_result copies the host's last result (n bytes) into out. */
static int32_t wa_read_result(int32_t n, wa_buf *out) {
    out->n = 0;
    if (!wa_buf_reserve(out, (size_t)n + 1)) return WA_ERR_NOMEM;
    int32_t got = n ? wa_host_result_read(out->p, n) : 0;
    if (got < 0) return got;
    out->n = (size_t)got;
    return 0;
}

/* wa_query runs a request {"sql": ..., "args": [...]} and reads the response JSON into
 * resp. Returns 0 or a status; an SQL error is a response with an "error" member. */
static int32_t wa_query(const wa_buf *req, wa_buf *resp) {
    if (req->oom) return WA_ERR_NOMEM;
    int32_t n = wa_host_db_query(req->p, (int32_t)req->n);
    if (n < 0) return n;
    return wa_read_result(n, resp);
}

/* wa_verify_password returns 1 (match), 0 (no match) or a status. */
static int32_t wa_verify_password(const char *hash, size_t hash_n, const char *pw, size_t pw_n) {
    return wa_host_verify_password(hash, (int32_t)hash_n, pw, (int32_t)pw_n);
}

/* wa_digest hashes data with algo ("md5", "sha1", "sha256", "sha512") into out (the
 * raw digest). Returns 0 or a status. */
static int32_t wa_digest(const char *algo, const void *data, size_t n, wa_buf *out) {
    int32_t len = wa_host_digest(algo, (int32_t)strlen(algo), data, (int32_t)n);
    if (len < 0) return len;
    return wa_read_result(len, out);
}

/* ---- the shape of an export: failing, reading the input, querying ---- */

/* wa_fail logs why the call failed, with detail when detail_n > 0, and returns 1: the
 * result of a failed export. */
static int32_t wa_fail(const char *why, const char *detail, size_t detail_n) {
    wa_buf line = {0};
    wa_buf_puts(&line, why);
    if (detail_n) {
        wa_buf_puts(&line, ": ");
        wa_buf_put(&line, detail, detail_n);
    }
    if (!line.oom) wa_host_log(WA_ERROR, line.p, (int32_t)line.n);
    wa_buf_free(&line);
    return 1;
}

/* wa_buf_put_int appends v in decimal. */
static void wa_buf_put_int(wa_buf *b, long v) {
    char num[24];
    int i = (int)sizeof num;
    unsigned long u = v < 0 ? (unsigned long)(-(v + 1)) + 1 : (unsigned long)v;
    do num[--i] = (char)('0' + u % 10); while ((u /= 10) && i > 1);
    if (v < 0) num[--i] = '-';
    wa_buf_put(b, num + i, sizeof num - (size_t)i);
}

/* wa_fail_status is wa_fail with a host status as the detail. */
static int32_t wa_fail_status(const char *why, int32_t status) {
    wa_buf n = {0};
    wa_buf_put_int(&n, status);
    int32_t rc = wa_fail(why, n.p, n.n);
    wa_buf_free(&n);
    return rc;
}

/* wa_read_object reads this call's input into in and parses it into input, which must
 * be a JSON object. Returns 0, or 1 (logged). */
static int32_t wa_read_object(wa_buf *in, wa_json *input) {
    int32_t st = wa_read_input(in);
    if (st != 0) return wa_fail_status("input", st);
    if (!wa_json_parse(in->p, in->n, input) || input->p[0] != '{') return wa_fail("input is not a JSON object", NULL, 0);
    return 0;
}

/* wa_is_digits: 1 to 18 ASCII digits, a number that fits in a 64-bit integer (an id
 * compared as a number, a count). */
static int wa_is_digits(const wa_buf *b) {
    if (b->n == 0 || b->n > 18) return 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->p[i] < '0' || b->p[i] > '9') return 0;
    return 1;
}

/* wa_query_rows runs sql with args (the members of a JSON array, without its brackets)
 * and finds the rows of the response in resp (an empty array when it has none) and,
 * when truncated is not NULL, whether db_query cut them. Returns 0, or 1 (logged: a
 * host status, an SQL error). */
static int32_t wa_query_rows(const wa_buf *sql, const wa_buf *args, wa_buf *resp, wa_json *rows, int *truncated) {
    wa_buf req = {0};
    wa_buf_puts(&req, "{\"sql\":");
    wa_buf_put_json_string(&req, sql->p, sql->n);
    wa_buf_puts(&req, ",\"args\":[");
    if (args->n) wa_buf_put(&req, args->p, args->n);
    wa_buf_puts(&req, "]}");
    int32_t st = wa_query(&req, resp);
    wa_buf_free(&req);
    if (st != 0) return wa_fail_status("db_query", st);
    wa_json res, v;
    if (!wa_json_parse(resp->p, resp->n, &res)) return wa_fail("db_query: response is not JSON", NULL, 0);
    if (wa_json_member(res, "error", &v)) {
        wa_buf msg = {0};
        wa_json_string(v, &msg);
        int32_t rc = wa_fail("db_query", msg.p, msg.n);
        wa_buf_free(&msg);
        return rc;
    }
    if (!wa_json_member(res, "rows", rows)) {
        rows->p = "[]";
        rows->n = 2;
    }
    if (rows->p[0] != '[') return wa_fail("db_query: rows is not an array", NULL, 0);
    if (truncated) *truncated = wa_json_member(res, "truncated", &v) && wa_json_is(v, "true");
    return 0;
}

/* wa_verify_export implements verify_hash: it reads the input's password_hash and
 * password and answers what check says (1 a match, 0 none, -1 failed and logged: the
 * call fails). Returns the export's result. */
static int32_t wa_verify_export(int (*check)(const wa_buf *hash, const wa_buf *pw)) {
    int32_t rc = 1, st;
    wa_buf in = {0}, hash = {0}, pw = {0};
    wa_json input, v;
    if (wa_read_object(&in, &input) != 0) goto done;
    if (wa_json_member(input, "password_hash", &v)) wa_json_string(v, &hash);
    if (wa_json_member(input, "password", &v)) wa_json_string(v, &pw);
    int ok = check(&hash, &pw);
    if (ok < 0) goto done; /* logged */
    if ((st = wa_answer_verified(ok)) != 0) {
        rc = wa_fail_status("output_set", st);
        goto done;
    }
    rc = 0;
done:
    wa_buf_free(&in);
    wa_buf_free(&hash);
    wa_buf_free(&pw);
    return rc;
}

#endif /* WASMAUTH_H */
