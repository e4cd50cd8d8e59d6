// legacy.ts: the wasmauth example guest in AssemblyScript: login and get_user against a
// legacy "users" table, and ABI v1.1's list_users and verify_hash (see
// examples-wasm/README.md for the behaviour every example shares).
//
// Build (from examples-wasm/assemblyscript, after `npm ci`):
//   ./node_modules/.bin/asc legacy.ts --outFile legacy.wasm --optimize --runtime incremental

import {
  answer, answerPage, answerVerified, digest, ERROR, Failure, J_NUMBER, J_STRING, JSONValue, ListedUser, log,
  MAX_PAGE, query, queryJSON, readInput, reject, User, verifyPassword, WARN,
} from "./wasmauth";

export function login(): i32 {
  return finish(handle(true));
}

export function get_user(): i32 {
  return finish(handle(false));
}

export function list_users(): i32 {
  return finish(handleList());
}

export function verify_hash(): i32 {
  return finish(handleVerify());
}

// finish turns handle's outcome into the export's result, logging a failure.
function finish(f: Failure | null): i32 {
  if (f == null) return 0;
  log(ERROR, f.toString());
  return 1;
}

function answered(status: i32): Failure | null {
  return status == 0 ? null : new Failure(status, "output_set failed");
}

function handle(isLogin: bool): Failure | null {
  const input = readInput();
  if (input == null) return new Failure(0, "input: cannot read the input JSON");
  const table = input.setting("table", "users");
  if (!validTable(table)) return new Failure(0, "config: table must be 1-64 characters of A-Z a-z 0-9 _ .");
  const notFound = isLogin ? "not_found" : "";
  if (input.identifier.length == 0) return answered(answer(null, notFound));
  const pg = input.setting("dialect", "") == "postgres";
  const sql = "SELECT id, email, username, email_verified, name" + (isLogin ? ", password_hash" : "") +
    " FROM " + table +
    (pg ? " WHERE lower(email) = lower($1) OR lower(username) = lower($2)"
        : " WHERE lower(email) = lower(?) OR lower(username) = lower(?)") +
    " ORDER BY id LIMIT 1";
  const res = query(sql, [input.identifier, input.identifier]);
  const qf = res.failure;
  if (qf != null) return new Failure(qf.status, "db_query: " + qf.message);
  if (res.rows.length == 0) return answered(answer(null, notFound));
  const row = res.rows[0];
  const need = isLogin ? 6 : 5;
  if (row.length < need) return new Failure(0, "db_query: too few columns");
  const user = rowUser(row);
  if (user == null) return new Failure(0, "user row has no usable id");
  if (isLogin) {
    const ok = checkPassword(row[5].str(), input.password);
    if (ok == MALFORMED) return new Failure(0, "user " + user.id + ": malformed sha256 hash");
    if (ok < 0) return new Failure(ok, "verify_password for user " + user.id + " failed");
    if (ok == 0) return answered(reject("wrong_password", user.id));
  }
  return answered(answer(user, ""));
}

// handleList answers list_users: the users after the cursor (the last id of the previous
// page) in id order, at most the input's page size of them, each with its hash.
function handleList(): Failure | null {
  const input = readInput();
  if (input == null) return new Failure(0, "input: cannot read the input JSON");
  const table = input.setting("table", "users");
  if (!validTable(table)) return new Failure(0, "config: table must be 1-64 characters of A-Z a-z 0-9 _ .");
  const pg = input.setting("dialect", "") == "postgres";
  const limit = input.pageSize(MAX_PAGE);
  let sql = "SELECT id, email, username, email_verified, name, password_hash FROM " + table;
  // The arguments are JSON numbers: the database compares integers, not text.
  const args: string[] = [];
  const cursor = input.cursor;
  if (cursor != null) {
    if (!isCursor(cursor)) return new Failure(0, "list_users: the cursor must be 1-18 digits");
    args.push(cursor);
    sql += pg ? " WHERE id > $1" : " WHERE id > ?";
  }
  args.push(limit.toString());
  sql += pg ? " ORDER BY id LIMIT $" + args.length.toString() : " ORDER BY id LIMIT ?";
  const res = queryJSON(sql, args);
  const qf = res.failure;
  if (qf != null) return new Failure(qf.status, "db_query: " + qf.message);
  const users: ListedUser[] = [];
  for (let i = 0; i < res.rows.length; i++) {
    const row = res.rows[i];
    if (row.length < 6) return new Failure(0, "db_query: too few columns");
    const user = rowUser(row);
    if (user == null) return new Failure(0, "user row has no usable id");
    users.push(new ListedUser(user, row[5].str()));
  }
  // A full page may have more after it: its last id is the next cursor.
  const next = users.length > 0 && <i64>users.length == limit ? users[users.length - 1].user.id : "";
  return answered(answerPage(users, next));
}

// handleVerify answers verify_hash with the same check as login; it has no database.
function handleVerify(): Failure | null {
  const input = readInput();
  if (input == null) return new Failure(0, "input: cannot read the input JSON");
  const ok = checkPassword(input.passwordHash, input.password);
  if (ok == MALFORMED) return new Failure(0, "verify_hash: malformed sha256 hash");
  if (ok < 0) return new Failure(ok, "verify_hash: verify_password failed");
  return answered(answerVerified(ok == 1));
}

// rowUser reads the user of a row (id, email, username, email_verified, name, ...), or
// null when its id is not usable.
function rowUser(row: JSONValue[]): User | null {
  const idv = row[0];
  if (!((idv.kind == J_NUMBER || idv.kind == J_STRING) && idv.text.length > 0)) return null;
  const user = new User();
  user.id = idv.text;
  user.email = row[1].str();
  user.username = row[2].str();
  user.emailVerified = row[3].truthy();
  user.name = row[4].str();
  return user;
}

// isCursor: 1 to 18 ASCII digits, an id that fits in a 64-bit integer.
function isCursor(c: string): bool {
  if (c.length == 0 || c.length > 18) return false;
  for (let i = 0; i < c.length; i++) {
    const d = c.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return false;
  }
  return true;
}

// checkPassword verifies the password against a stored hash: salted SHA-256
// ("sha256$<salt>$<hex of sha256(salt + password)>") here, anything else with the host.
// It returns 1 (match), 0 (no match, or no hash), a negative host status, or MALFORMED.
const MALFORMED: i32 = -100;
function checkPassword(hash: string, password: string): i32 {
  if (hash.length == 0) {
    log(WARN, "no password hash");
    return 0;
  }
  if (hash.startsWith("sha256$")) {
    const rest = hash.substring(7);
    const d = rest.indexOf("$");
    if (d < 0) return -100;
    const want = rest.substring(d + 1);
    const sum = digest("sha256", String.UTF8.encode(rest.substring(0, d) + password));
    if (sum.status < 0) return sum.status;
    let got = "";
    for (let i = 0; i < sum.bytes.length; i++) {
      const b = sum.bytes[i];
      got += (b < 16 ? "0" : "") + b.toString(16);
    }
    if (got.length != want.length) return 0;
    // Compare without an early exit; the length is not secret.
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff |= got.charCodeAt(i) ^ want.charCodeAt(i);
    return diff == 0 ? 1 : 0;
  }
  return verifyPassword(hash, password);
}

// validTable reports whether name is safe to splice into SQL as a table name.
function validTable(name: string): bool {
  if (name.length == 0 || name.length > 64) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2e)) return false;
  }
  return true;
}
