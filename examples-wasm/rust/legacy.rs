//! The wasmauth example guest in Rust: login and get_user against a legacy "users"
//! table (see examples-wasm/README.md for the behaviour every example shares).
//!
//! Build (from examples-wasm/rust; Debian's rustc with libstd-rust-dev-wasm32):
//!
//!     /usr/bin/rustc --edition=2021 --crate-type=cdylib --target=wasm32-wasi -C opt-level=s -C strip=symbols -C panic=abort -o legacy.wasm legacy.rs

mod wasmauth;

use wasmauth::{Error, Json, User};

#[no_mangle]
pub extern "C" fn login() -> i32 {
    finish(handle(true))
}

#[no_mangle]
pub extern "C" fn get_user() -> i32 {
    finish(handle(false))
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
    let table = input.setting("table", "users");
    if !valid_table(&table) {
        return Err("config: table must be 1-64 characters of A-Z a-z 0-9 _ .".into());
    }
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
    if row.len() < if is_login { 6 } else { 5 } {
        return Err("db_query: too few columns".into());
    }
    let id = match row[0].as_text() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => return Err("user row has no usable id".into()),
    };
    let text = |v: &Json| v.as_str().unwrap_or("").to_string();
    let user = User { email: text(&row[1]), username: text(&row[2]), email_verified: row[3].truthy(), name: text(&row[4]), id };
    if is_login && !check_password(&user.id, row[5].as_str().unwrap_or(""), &input.password)? {
        return wasmauth::reject(Some("wrong_password"), &user.id).map_err(|e| format!("output_set: {}", e));
    }
    answer(Some(&user), None)
}

/// check_password verifies the password against the stored hash: salted SHA-256
/// ("sha256$<salt>$<hex of sha256(salt + password)>") here, anything else with the host.
fn check_password(id: &str, hash: &str, password: &str) -> Result<bool, String> {
    if hash.is_empty() {
        wasmauth::log_line(wasmauth::WARN, &format!("user {} has no password hash", id));
        return Ok(false);
    }
    if let Some(rest) = hash.strip_prefix("sha256$") {
        let (salt, want) = rest.split_once('$').ok_or_else(|| format!("user {}: malformed sha256 hash", id))?;
        let sum = wasmauth::hash("sha256", format!("{}{}", salt, password).as_bytes()).map_err(|e| format!("digest: {}", e))?;
        let got: String = sum.iter().map(|b| format!("{:02x}", b)).collect();
        // Compare without an early exit; the length is not secret.
        let diff = got.bytes().zip(want.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b));
        return Ok(got.len() == want.len() && diff == 0);
    }
    wasmauth::verify(hash, password).map_err(|e: Error| format!("verify_password for user {}: {}", id, e))
}

/// valid_table reports whether name is safe to splice into SQL as a table name.
fn valid_table(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}
