// legacy.ts: the wasmauth example guest in AssemblyScript: login and get_user against a
// legacy "users" table (see examples-wasm/README.md for the behaviour every example
// shares).
//
// Build (from examples-wasm/assemblyscript, after `npm ci`):
//   ./node_modules/.bin/asc legacy.ts --outFile legacy.wasm --optimize --runtime incremental

import {
  answer, digest, ERROR, Failure, J_NUMBER, J_STRING, log, query, readInput, reject, User, verifyPassword, WARN,
} from "./wasmauth";

export function login(): i32 {
  return finish(handle(true));
}

export function get_user(): i32 {
  return finish(handle(false));
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
  const idv = row[0];
  if (!((idv.kind == J_NUMBER || idv.kind == J_STRING) && idv.text.length > 0)) return new Failure(0, "user row has no usable id");
  const user = new User();
  user.id = idv.text;
  user.email = row[1].str();
  user.username = row[2].str();
  user.emailVerified = row[3].truthy();
  user.name = row[4].str();
  if (isLogin) {
    const ok = checkPassword(user.id, row[5].str(), input.password);
    if (ok == MALFORMED) return new Failure(0, "user " + user.id + ": malformed sha256 hash");
    if (ok < 0) return new Failure(ok, "verify_password for user " + user.id + " failed");
    if (ok == 0) return answered(reject("wrong_password", user.id));
  }
  return answered(answer(user, ""));
}

// checkPassword verifies the password against the stored hash: salted SHA-256
// ("sha256$<salt>$<hex of sha256(salt + password)>") here, anything else with the host.
// It returns 1 (match), 0 (no match), a negative host status, or MALFORMED.
const MALFORMED: i32 = -100;
function checkPassword(id: string, hash: string, password: string): i32 {
  if (hash.length == 0) {
    log(WARN, "user " + id + " has no password hash");
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
