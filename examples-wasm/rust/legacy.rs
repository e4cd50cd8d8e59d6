//! The wasmauth example guest in Rust: login and get_user against a legacy "users"
//! table, and ABI v1.1's list_users and verify_hash (see examples-wasm/README.md for the
//! behaviour every example shares).
//!
//! Build (from examples-wasm/rust; Debian's rustc with libstd-rust-dev-wasm32):
//!
//!     /usr/bin/rustc --edition=2021 --crate-type=cdylib --target=wasm32-wasi -C opt-level=s -C strip=symbols -C panic=abort -o legacy.wasm legacy.rs

mod wasmauth;

use wasmauth::{Error, Input, Json, ListedUser, User};

#[no_mangle]
pub extern "C" fn login() -> i32 {
    finish(handle(true))
}

#[no_mangle]
pub extern "C" fn get_user() -> i32 {
    finish(handle(false))
}

#[no_mangle]
pub extern "C" fn list_users() -> i32 {
    finish(handle_list())
}

#[no_mangle]
pub extern "C" fn verify_hash() -> i32 {
    finish(handle_verify())
}

/// finish turns handle's outcome into the export's result, logging a failure.
fn finish(r: Result<(), String>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(why) => {
            wasmauth::log_line(wasmauth::ERROR, &why);
            1
        }
    }
}

fn handle(is_login: bool) -> Result<(), String> {
    let input = wasmauth::input().map_err(|e| format!("input: {}", e))?;
    let table = table_of(&input)?;
    let not_found = if is_login { Some("not_found") } else { None };
    let answer = |u: Option<&User>, reason: Option<&str>| wasmauth::answer(u, reason).map_err(|e| format!("output_set: {}", e));
    if input.identifier.is_empty() {
        return answer(None, not_found);
    }
    let (p1, p2) = if input.setting("dialect", "") == "postgres" { ("$1", "$2") } else { ("?", "?") };
    let sql = format!(
        "SELECT id, email, username, email_verified, name{} FROM {} WHERE lower(email) = lower({}) OR lower(username) = lower({}) ORDER BY id LIMIT 1",
        if is_login { ", password_hash" } else { "" },
        table,
        p1,
        p2
    );
    let res = wasmauth::query(&sql, &[&input.identifier, &input.identifier]).map_err(|e| format!("db_query: {}", e))?;
    let row = match res.rows.first() {
        None => return answer(None, not_found),
        Some(r) => r,
    };
    if is_login && row.len() < 6 {
        return Err("db_query: too few columns".into());
    }
    let user = row_user(row)?;
    if is_login {
        let ok = check_password(row[5].as_str().unwrap_or(""), &input.password).map_err(|e| format!("user {}: {}", user.id, e))?;
        if !ok {
            return wasmauth::reject(Some("wrong_password"), &user.id).map_err(|e| format!("output_set: {}", e));
        }
    }
    answer(Some(&user), None)
}

/// handle_list answers list_users: the users after the cursor (the last id of the
/// previous page) in id order, at most the input's page size of them, each with its hash.
fn handle_list() -> Result<(), String> {
    let input = wasmauth::input().map_err(|e| format!("input: {}", e))?;
    let table = table_of(&input)?;
    let pg = input.setting("dialect", "") == "postgres";
    let limit = input.page_size(wasmauth::MAX_PAGE);
    let mut sql = format!("SELECT id, email, username, email_verified, name, password_hash FROM {}", table);
    // The arguments are JSON numbers: the database compares integers, not text.
    let mut args = Vec::new();
    if let Some(c) = &input.cursor {
        if c.is_empty() || c.len() > 18 || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err("list_users: the cursor must be 1-18 digits".into());
        }
        args.push(Json::Number(c.clone()));
        sql.push_str(if pg { " WHERE id > $1" } else { " WHERE id > ?" });
    }
    args.push(Json::Number(limit.to_string()));
    sql.push_str(&if pg { format!(" ORDER BY id LIMIT ${}", args.len()) } else { " ORDER BY id LIMIT ?".to_string() });
    let res = wasmauth::query_values(&sql, &args).map_err(|e| format!("db_query: {}", e))?;
    let mut users = Vec::with_capacity(res.rows.len());
    for row in &res.rows {
        if row.len() < 6 {
            return Err("db_query: too few columns".into());
        }
        users.push(ListedUser { user: row_user(row)?, password_hash: row[5].as_str().unwrap_or("").to_string() });
    }
    // A full page may have more after it: its last id is the next cursor.
    let next = if users.len() as i64 == limit { users.last().map(|u| u.user.id.as_str()) } else { None };
    wasmauth::answer_page(&users, next).map_err(|e| format!("output_set: {}", e))
}

/// handle_verify answers verify_hash with the same check as login; it has no database.
fn handle_verify() -> Result<(), String> {
    let input = wasmauth::input().map_err(|e| format!("input: {}", e))?;
    let ok = check_password(&input.password_hash, &input.password).map_err(|e| format!("verify_hash: {}", e))?;
    wasmauth::answer_verified(ok).map_err(|e| format!("output_set: {}", e))
}

/// row_user reads the user of a row (id, email, username, email_verified, name, ...).
fn row_user(row: &[Json]) -> Result<User, String> {
    if row.len() < 5 {
        return Err("db_query: too few columns".into());
    }
    let id = match row[0].as_text() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => return Err("user row has no usable id".into()),
    };
    let text = |v: &Json| v.as_str().unwrap_or("").to_string();
    Ok(User { email: text(&row[1]), username: text(&row[2]), email_verified: row[3].truthy(), name: text(&row[4]), id })
}

/// table_of returns the config's table, checked.
fn table_of(input: &Input) -> Result<String, String> {
    let table = input.setting("table", "users");
    if !valid_table(&table) {
        return Err("config: table must be 1-64 characters of A-Z a-z 0-9 _ .".into());
    }
    Ok(table)
}

/// check_password verifies the password against a stored hash: salted SHA-256
/// ("sha256$<salt>$<hex of sha256(salt + password)>") here, anything else with the host
/// (an unknown format is an error). No hash matches nothing.
fn check_password(hash: &str, password: &str) -> Result<bool, String> {
    if hash.is_empty() {
        wasmauth::log_line(wasmauth::WARN, "no password hash");
        return Ok(false);
    }
    if let Some(rest) = hash.strip_prefix("sha256$") {
        let (salt, want) = rest.split_once('$').ok_or("malformed sha256 hash")?;
        let sum = wasmauth::hash("sha256", format!("{}{}", salt, password).as_bytes()).map_err(|e| format!("digest: {}", e))?;
        let got: String = sum.iter().map(|b| format!("{:02x}", b)).collect();
        // Compare without an early exit; the length is not secret.
        let diff = got.bytes().zip(want.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b));
        return Ok(got.len() == want.len() && diff == 0);
    }
    wasmauth::verify(hash, password).map_err(|e: Error| format!("verify_password: {}", e))
}

/// valid_table reports whether name is safe to splice into SQL as a table name.
fn valid_table(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}
