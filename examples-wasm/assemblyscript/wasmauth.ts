// wasmauth.ts: the guest side of the wasmauth ABI for tenant modules in AssemblyScript.
//
// It wraps the host functions of the "wasmauth" import module and carries a small JSON
// value type (parse and write), enough for the call's input, db_query responses and
// the answer. Strings cross the boundary as UTF-8.

// ---- host functions; negative results are statuses ----

@external("wasmauth", "input_len")
declare function host_input_len(): i32;
@external("wasmauth", "input_read")
declare function host_input_read(ptr: usize, len: i32): i32;
@external("wasmauth", "output_set")
declare function host_output_set(ptr: usize, len: i32): i32;
@external("wasmauth", "log")
declare function host_log(level: i32, ptr: usize, len: i32): void;
@external("wasmauth", "db_query")
declare function host_db_query(ptr: usize, len: i32): i32;
@external("wasmauth", "result_read")
declare function host_result_read(ptr: usize, len: i32): i32;
@external("wasmauth", "verify_password")
declare function host_verify_password(hashPtr: usize, hashLen: i32, pwPtr: usize, pwLen: i32): i32;
@external("wasmauth", "digest")
declare function host_digest(algoPtr: usize, algoLen: i32, dataPtr: usize, dataLen: i32): i32;

/** Log levels. */
export const DEBUG: i32 = 0;
export const INFO: i32 = 1;
export const WARN: i32 = 2;
export const ERROR: i32 = 3;

/** Writes one line to the tenant's log (cut at 1 KiB by the host; never log secrets). */
export function log(level: i32, msg: string): void {
  const b = String.UTF8.encode(msg);
  host_log(level, changetype<usize>(b), b.byteLength);
}

/**
 * Failure is what a helper reports: `status` is a negative host status (-1 bad memory,
 * -2 too large, -3 no connection, -4 per-call limit, -5 unknown hash format) or 0, and
 * `message` says what went wrong (an SQL error carries the database's message).
 * AssemblyScript has no exceptions that a script can catch, so helpers return it.
 */
export class Failure {
  constructor(public status: i32, public message: string) {}
  toString(): string {
    return this.status != 0 ? this.message + " (status " + this.status.toString() + ")" : this.message;
  }
}

function readResult(n: i32): ArrayBuffer | null {
  const buf = new ArrayBuffer(n);
  if (n > 0 && host_result_read(changetype<usize>(buf), n) != n) return null;
  return buf;
}

// ---- JSON ----

export const J_NULL: i32 = 0;
export const J_BOOL: i32 = 1;
export const J_NUMBER: i32 = 2;
export const J_STRING: i32 = 3;
export const J_ARRAY: i32 = 4;
export const J_OBJECT: i32 = 5;

/** JSONValue is a parsed JSON value; numbers keep their text, so integer ids stay exact. */
export class JSONValue {
  kind: i32 = J_NULL;
  bool: bool = false;
  /** A string's value or a number's text. */
  text: string = "";
  items: JSONValue[] = [];
  keys: string[] = [];

  /** Returns an object's member, or null. */
  get(key: string): JSONValue | null {
    if (this.kind != J_OBJECT) return null;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }

  /** Returns a string's value, or "" for anything else. */
  str(): string {
    return this.kind == J_STRING ? this.text : "";
  }

  /** true, a number other than zero, or "1", "t", "true" (how drivers spell booleans). */
  truthy(): bool {
    if (this.kind == J_BOOL) return this.bool;
    if (this.kind == J_STRING) return this.text == "1" || this.text == "t" || this.text == "true";
    if (this.kind != J_NUMBER) return false;
    for (let i = 0; i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c == 0x65 || c == 0x45) break; // e E
      if (c >= 0x31 && c <= 0x39) return true;
    }
    return false;
  }
}

class Parser {
  pos: i32 = 0;
  depth: i32 = 0;
  failed: bool = false;
  constructor(public s: Uint8Array) {}

  ws(): void {
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  peek(): i32 {
    return this.pos < this.s.length ? <i32>this.s[this.pos] : -1;
  }

  eat(c: i32): bool {
    this.ws();
    if (this.peek() != c) return false;
    this.pos++;
    return true;
  }

  fail(): JSONValue {
    this.failed = true;
    return new JSONValue();
  }

  value(): JSONValue {
    this.ws();
    const c = this.peek();
    const v = new JSONValue();
    if (c == 0x7b || c == 0x5b) { // { [
      this.pos++;
      if (++this.depth > 64) return this.fail();
      const isObj = c == 0x7b;
      v.kind = isObj ? J_OBJECT : J_ARRAY;
      if (!this.eat(isObj ? 0x7d : 0x5d)) {
        while (!this.failed) {
          if (isObj) {
            this.ws();
            if (this.peek() != 0x22) return this.fail();
            v.keys.push(this.string());
            if (!this.eat(0x3a)) return this.fail();
          }
          v.items.push(this.value());
          if (this.eat(isObj ? 0x7d : 0x5d)) break;
          if (!this.eat(0x2c)) return this.fail();
        }
      }
      this.depth--;
    } else if (c == 0x22) {
      v.kind = J_STRING;
      v.text = this.string();
    } else if (c == 0x74 || c == 0x66 || c == 0x6e) { // t f n
      const word = c == 0x74 ? "true" : c == 0x66 ? "false" : "null";
      for (let i = 0; i < word.length; i++) if (this.peek() != word.charCodeAt(i)) return this.fail(); else this.pos++;
      v.kind = c == 0x6e ? J_NULL : J_BOOL;
      v.bool = c == 0x74;
    } else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = this.pos;
      while (this.pos < this.s.length) {
        const d = this.s[this.pos];
        if (!((d >= 0x30 && d <= 0x39) || d == 0x2d || d == 0x2b || d == 0x2e || d == 0x65 || d == 0x45)) break;
        this.pos++;
      }
      v.kind = J_NUMBER;
      v.text = String.UTF8.decodeUnsafe(this.s.dataStart + start, this.pos - start);
    } else {
      return this.fail();
    }
    return v;
  }

  hex4(): i32 {
    if (this.pos + 4 > this.s.length) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>this.s[this.pos + i];
      let h = -1;
      if (c >= 0x30 && c <= 0x39) h = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) h = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) h = c - 0x41 + 10;
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    this.pos += 4;
    return v;
  }

  // string reads a string literal at pos (which is at its opening quote).
  string(): string {
    this.pos++;
    let out = "";
    let start = this.pos;
    while (true) {
      if (this.pos >= this.s.length) { this.failed = true; return ""; }
      const c = this.s[this.pos];
      if (c == 0x22) break;
      if (c != 0x5c) { this.pos++; continue; }
      out += String.UTF8.decodeUnsafe(this.s.dataStart + start, this.pos - start);
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22 || e == 0x5c || e == 0x2f) out += String.fromCharCode(e);
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        let cp = this.hex4();
        if (cp < 0) { this.failed = true; return ""; }
        if (cp >= 0xd800 && cp < 0xdc00 && this.peek() == 0x5c && this.pos + 1 < this.s.length && this.s[this.pos + 1] == 0x75) {
          const save = this.pos;
          this.pos += 2;
          const lo = this.hex4();
          if (lo >= 0xdc00 && lo < 0xe000) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          else this.pos = save;
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; // a lone surrogate
        out += String.fromCodePoint(cp);
      } else { this.failed = true; return ""; }
      start = this.pos;
    }
    out += String.UTF8.decodeUnsafe(this.s.dataStart + start, this.pos - start);
    this.pos++;
    return out;
  }
}

/** Parses a whole JSON document; returns null when it is malformed. */
export function parseJSON(text: Uint8Array): JSONValue | null {
  const p = new Parser(text);
  const v = p.value();
  p.ws();
  if (p.failed || p.pos != text.length) return null;
  return v;
}

/** Returns s as a JSON string literal. */
export function jsonString(s: string): string {
  let out = "\"";
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c != 0x22 && c != 0x5c && c >= 0x20) continue;
    out += s.substring(start, i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else out += "\\u00" + (c < 16 ? "0" : "") + c.toString(16);
    start = i + 1;
  }
  return out + s.substring(start) + "\"";
}

// ---- calls ----

/** Input is one call's input; list_users gets cursor and limit, verify_hash passwordHash and password (ABI v1.1). */
export class Input {
  identifier: string = "";
  password: string = "";
  tenant: string = "";
  config: JSONValue = new JSONValue();
  /** "postgres", "mysql" or "sqlite" when a connection is set. */
  driver: string = "";
  /** list_users: null for the first page, else the last page's next cursor. */
  cursor: string | null = null;
  /** list_users: the most users the page may hold (0 when absent). */
  limit: i64 = 0;
  /** verify_hash: the legacy hash to check password against. */
  passwordHash: string = "";

  /** Returns the list_users limit clamped to 1..max (max when the input has none). */
  pageSize(max: i64): i64 {
    return this.limit < 1 || this.limit > max ? max : this.limit;
  }

  /** Returns the config value under key when it is a non-empty string, else fallback. */
  setting(key: string, fallback: string): string {
    const v = this.config.get(key);
    if (v != null && v.kind == J_STRING && v.text.length > 0) return v.text;
    return fallback;
  }
}

/** Reads and decodes this call's input; null when it cannot. */
export function readInput(): Input | null {
  const n = host_input_len();
  if (n < 0) return null;
  const buf = new Uint8Array(n);
  if (n > 0 && host_input_read(buf.dataStart, n) != n) return null;
  const v = parseJSON(buf);
  if (v == null || v.kind != J_OBJECT) return null;
  const input = new Input();
  let f = v.get("identifier");
  if (f != null) input.identifier = f.str();
  f = v.get("password");
  if (f != null) input.password = f.str();
  f = v.get("tenant");
  if (f != null) input.tenant = f.str();
  f = v.get("config");
  if (f != null) input.config = f;
  f = v.get("driver");
  if (f != null) input.driver = f.str();
  f = v.get("cursor");
  if (f != null && f.kind == J_STRING) input.cursor = f.text;
  f = v.get("limit");
  if (f != null && f.kind == J_NUMBER) input.limit = I64.parseInt(f.text);
  f = v.get("password_hash");
  if (f != null) input.passwordHash = f.str();
  return input;
}

/** User is the legacy user a script answers with; empty strings are left out. */
export class User {
  id: string = "";
  email: string = "";
  username: string = "";
  emailVerified: bool = false;
  name: string = "";
}

/** Sets this call's output: the user, or no user with a reason ("" for none). Returns 0 or a status. */
export function answer(user: User | null, reason: string): i32 {
  let out = "{\"user\":";
  if (user == null) {
    out += "null";
  } else {
    out += userJSON(user) + "}";
  }
  if (reason.length > 0) out += ",\"reason\":" + jsonString(reason);
  return setOutput(out + "}");
}

/** userJSON is a user as {"id":...,"profile":{} (left open for more members). */
function userJSON(user: User): string {
  let out = "{\"id\":" + jsonString(user.id);
  if (user.email.length > 0) out += ",\"email\":" + jsonString(user.email);
  if (user.username.length > 0) out += ",\"username\":" + jsonString(user.username);
  out += user.emailVerified ? ",\"email_verified\":true" : ",\"email_verified\":false";
  if (user.name.length > 0) out += ",\"name\":" + jsonString(user.name);
  return out + ",\"profile\":{}";
}

/** The most users the examples put in one list_users page: db_query returns at most 100 rows by default. */
export const MAX_PAGE: i64 = 100;

/** ListedUser is one user of a list_users page: the user and its legacy hash as stored ("" for none, sent as null). */
export class ListedUser {
  constructor(public user: User, public passwordHash: string) {}
}

/**
 * Answers list_users (ABI v1.1): the page's users and the cursor the host passes back for
 * the next page, "" (null) after the last page. The page must fit the 64 KiB output limit;
 * the host's drain page size lowers it. Returns 0 or a status.
 */
export function answerPage(users: ListedUser[], next: string): i32 {
  // One join at the end: appending to one string would copy it once per user.
  const parts: string[] = [];
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    parts.push(userJSON(u.user) + ",\"password_hash\":" +
      (u.passwordHash.length > 0 ? jsonString(u.passwordHash) : "null") + "}");
  }
  return setOutput("{\"users\":[" + parts.join(",") + "],\"next_cursor\":" +
    (next.length > 0 ? jsonString(next) : "null") + "}");
}

/**
 * Answers verify_hash (ABI v1.1): whether the password matches the hash. A hash whose
 * format the module does not know is not false: fail the call instead. Returns 0 or a status.
 */
export function answerVerified(ok: bool): i32 {
  return setOutput(ok ? "{\"ok\":true}" : "{\"ok\":false}");
}

/** The longest legacy id a rejection may carry, in bytes. */
export const MAX_ID: i32 = 256;

/**
 * Sets this call's output to no user with a reason ("" for none) and the legacy id of the
 * account the identifier named (ABI v1.1): give the id on a wrong password, so that the
 * host counts failures per account whatever spelling of the identifier was typed. An
 * empty id, or one longer than MAX_ID bytes, is left out. Returns 0 or a status.
 */
export function reject(reason: string, id: string): i32 {
  let out = "{\"user\":null";
  if (reason.length > 0) out += ",\"reason\":" + jsonString(reason);
  const n = String.UTF8.byteLength(id);
  if (n > 0 && n <= MAX_ID) out += ",\"id\":" + jsonString(id);
  return setOutput(out + "}");
}

/** setOutput hands the answer JSON to the host. Returns 0 or a status. */
function setOutput(out: string): i32 {
  const b = String.UTF8.encode(out);
  return host_output_set(changetype<usize>(b), b.byteLength);
}

/** QueryResult is a db_query response, or its failure. */
export class QueryResult {
  columns: string[] = [];
  rows: JSONValue[][] = [];
  failure: Failure | null = null;
}

/** Runs a read-only statement with string arguments; placeholders are the driver's ($1 for postgres, ? otherwise). */
export function query(sql: string, args: string[]): QueryResult {
  const json: string[] = [];
  for (let i = 0; i < args.length; i++) json.push(jsonString(args[i]));
  return queryJSON(sql, json);
}

/**
 * Runs a read-only statement whose arguments are JSON texts: a number's digits (say
 * "42") for an integer the database compares as a number, jsonString(s) for a string.
 */
export function queryJSON(sql: string, args: string[]): QueryResult {
  const res = new QueryResult();
  let req = "{\"sql\":" + jsonString(sql) + ",\"args\":[";
  for (let i = 0; i < args.length; i++) req += (i > 0 ? "," : "") + args[i];
  const b = String.UTF8.encode(req + "]}");
  const n = host_db_query(changetype<usize>(b), b.byteLength);
  if (n < 0) {
    res.failure = new Failure(n, "db_query failed");
    return res;
  }
  const raw = readResult(n);
  const v: JSONValue | null = raw == null ? null : parseJSON(Uint8Array.wrap(raw));
  if (v == null || v.kind != J_OBJECT) {
    res.failure = new Failure(0, "db_query: malformed response");
    return res;
  }
  const err = v.get("error");
  if (err != null) {
    res.failure = new Failure(0, err.str());
    return res;
  }
  const cols = v.get("columns");
  if (cols != null) for (let i = 0; i < cols.items.length; i++) res.columns.push(cols.items[i].str());
  const rows = v.get("rows");
  if (rows != null) {
    for (let i = 0; i < rows.items.length; i++) {
      if (rows.items[i].kind != J_ARRAY) {
        res.failure = new Failure(0, "db_query: a row is not an array");
        return res;
      }
      res.rows.push(rows.items[i].items);
    }
  }
  return res;
}

/** Checks password against a legacy hash with the host: 1 match, 0 no match, or a negative status. */
export function verifyPassword(hash: string, password: string): i32 {
  const h = String.UTF8.encode(hash);
  const p = String.UTF8.encode(password);
  return host_verify_password(changetype<usize>(h), h.byteLength, changetype<usize>(p), p.byteLength);
}

/** DigestResult is a digest's raw bytes, or a negative host status. */
export class DigestResult {
  constructor(public status: i32, public bytes: Uint8Array) {}
}

/** Hashes data with "md5", "sha1", "sha256" or "sha512". */
export function digest(algo: string, data: ArrayBuffer): DigestResult {
  const a = String.UTF8.encode(algo);
  const n = host_digest(changetype<usize>(a), a.byteLength, changetype<usize>(data), data.byteLength);
  if (n < 0) return new DigestResult(n, new Uint8Array(0));
  const raw = readResult(n);
  if (raw == null) return new DigestResult(-1, new Uint8Array(0));
  return new DigestResult(0, Uint8Array.wrap(raw));
}
