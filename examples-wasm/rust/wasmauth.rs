//! wasmauth: the guest side of the wasmauth ABI for tenant modules in Rust (std only).
//!
//! Include it with `mod wasmauth;` beside your module's source. It wraps the host
//! functions of the `wasmauth` import module and carries a small JSON value type (parse
//! and write), enough for the call's input, `db_query` responses and the answer.
#![allow(dead_code)]

use std::fmt;

#[link(wasm_import_module = "wasmauth")]
extern "C" {
    fn input_len() -> i32;
    fn input_read(ptr: *mut u8, len: i32) -> i32;
    fn output_set(ptr: *const u8, len: i32) -> i32;
    fn log(level: i32, ptr: *const u8, len: i32);
    fn db_query(ptr: *const u8, len: i32) -> i32;
    fn result_read(ptr: *mut u8, len: i32) -> i32;
    fn verify_password(hash_ptr: *const u8, hash_len: i32, pw_ptr: *const u8, pw_len: i32) -> i32;
    fn digest(algo_ptr: *const u8, algo_len: i32, data_ptr: *const u8, data_len: i32) -> i32;
}

/// Error is why a helper failed: a host status, an SQL error reported by the tenant's
/// database, or JSON that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A negative host status: -1 bad memory, -2 too large, -3 no connection,
    /// -4 per-call limit, -5 unknown hash format.
    Status(i32),
    /// The database's message for a failed statement.
    Sql(String),
    /// Malformed JSON from the host.
    Json(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Status(s) => write!(f, "host status {}", s),
            Error::Sql(m) => write!(f, "sql: {}", m),
            Error::Json(m) => write!(f, "json: {}", m),
        }
    }
}

/// Log levels.
pub const DEBUG: i32 = 0;
pub const INFO: i32 = 1;
pub const WARN: i32 = 2;
pub const ERROR: i32 = 3;

/// Writes one line to the tenant's log (cut at 1 KiB by the host; never log secrets).
pub fn log_line(level: i32, msg: &str) {
    unsafe { log(level, msg.as_ptr(), msg.len() as i32) }
}

fn read_result(n: i32) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; n as usize];
    if n > 0 {
        let got = unsafe { result_read(buf.as_mut_ptr(), n) };
        if got < 0 {
            return Err(Error::Status(got));
        }
        buf.truncate(got as usize);
    }
    Ok(buf)
}

/// Input is one call's input. list_users gets `cursor` and `limit`, verify_hash
/// `password_hash` and `password` (ABI v1.1).
pub struct Input {
    pub identifier: String,
    pub password: String,
    pub tenant: String,
    pub config: Json,
    /// "postgres", "mysql" or "sqlite" when a connection is set.
    pub driver: String,
    /// list_users: None for the first page, else the last page's next cursor.
    pub cursor: Option<String>,
    /// list_users: the most users the page may hold (0 when absent).
    pub limit: i64,
    /// verify_hash: the legacy hash to check `password` against.
    pub password_hash: String,
}

/// The most users the examples put in one list_users page: db_query returns at most
/// 100 rows by default.
pub const MAX_PAGE: i64 = 100;

impl Input {
    /// Returns the list_users limit clamped to 1..=max (max when the input has none).
    pub fn page_size(&self, max: i64) -> i64 {
        if self.limit < 1 || self.limit > max {
            max
        } else {
            self.limit
        }
    }

    /// Returns the config value under key when it is a non-empty string, else fallback.
    pub fn setting(&self, key: &str, fallback: &str) -> String {
        match self.config.get(key).and_then(Json::as_str) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => fallback.to_string(),
        }
    }
}

/// Reads and decodes this call's input JSON.
pub fn input() -> Result<Input, Error> {
    let n = unsafe { input_len() };
    if n < 0 {
        return Err(Error::Status(n));
    }
    let mut buf = vec![0u8; n as usize];
    if n > 0 {
        let got = unsafe { input_read(buf.as_mut_ptr(), n) };
        if got < 0 {
            return Err(Error::Status(got));
        }
        buf.truncate(got as usize);
    }
    let v = Json::parse(&buf)?;
    let text = |k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    Ok(Input {
        identifier: text("identifier"),
        password: text("password"),
        tenant: text("tenant"),
        config: v.get("config").cloned().unwrap_or(Json::Null),
        driver: text("driver"),
        cursor: v.get("cursor").and_then(Json::as_str).map(str::to_string),
        limit: match v.get("limit") {
            Some(Json::Number(n)) => n.parse().unwrap_or(0),
            _ => 0,
        },
        password_hash: text("password_hash"),
    })
}

/// User is the legacy user a script answers with; empty strings are left out.
#[derive(Default)]
pub struct User {
    pub id: String,
    pub email: String,
    pub username: String,
    pub email_verified: bool,
    pub name: String,
}

/// Sets this call's output: the user, or no user with an optional reason
/// ("not_found", "wrong_password").
pub fn answer(user: Option<&User>, reason: Option<&str>) -> Result<(), Error> {
    let mut out = String::from("{\"user\":");
    match user {
        None => out.push_str("null"),
        Some(u) => {
            write_user(&mut out, u);
            out.push('}');
        }
    }
    if let Some(r) = reason {
        out.push_str(",\"reason\":");
        write_json_string(&mut out, r);
    }
    out.push('}');
    set_output(&out)
}

/// write_user appends a user as {"id":...,"profile":{} (left open for more members).
fn write_user(out: &mut String, u: &User) {
    out.push_str("{\"id\":");
    write_json_string(out, &u.id);
    for (k, v) in [("email", &u.email), ("username", &u.username), ("name", &u.name)] {
        if !v.is_empty() {
            out.push_str(",\"");
            out.push_str(k);
            out.push_str("\":");
            write_json_string(out, v);
        }
    }
    out.push_str(if u.email_verified { ",\"email_verified\":true" } else { ",\"email_verified\":false" });
    out.push_str(",\"profile\":{}");
}

/// ListedUser is one user of a list_users page: the user and its legacy password hash
/// exactly as stored ("" for none, sent as null).
pub struct ListedUser {
    pub user: User,
    pub password_hash: String,
}

/// Answers list_users (ABI v1.1): the page's users and the cursor the host passes back
/// for the next page, None after the last page. The page must fit the 64 KiB output
/// limit; the host's drain page size lowers it.
pub fn answer_page(users: &[ListedUser], next: Option<&str>) -> Result<(), Error> {
    let mut out = String::from("{\"users\":[");
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_user(&mut out, &u.user);
        out.push_str(",\"password_hash\":");
        if u.password_hash.is_empty() {
            out.push_str("null");
        } else {
            write_json_string(&mut out, &u.password_hash);
        }
        out.push('}');
    }
    out.push_str("],\"next_cursor\":");
    match next {
        Some(c) => write_json_string(&mut out, c),
        None => out.push_str("null"),
    }
    out.push('}');
    set_output(&out)
}

/// Answers verify_hash (ABI v1.1): whether the password matches the hash. A hash whose
/// format the module does not know is not false: fail the call instead.
pub fn answer_verified(ok: bool) -> Result<(), Error> {
    set_output(if ok { "{\"ok\":true}" } else { "{\"ok\":false}" })
}

/// The longest legacy id a rejection may carry, in bytes.
pub const MAX_ID: usize = 256;

/// Sets this call's output to no user with an optional reason and the legacy id of the
/// account the identifier named (ABI v1.1): give the id on a wrong password, so that the
/// host counts failures per account whatever spelling of the identifier was typed. An
/// empty id, or one longer than MAX_ID bytes, is left out.
pub fn reject(reason: Option<&str>, id: &str) -> Result<(), Error> {
    let mut out = String::from("{\"user\":null");
    if let Some(r) = reason {
        out.push_str(",\"reason\":");
        write_json_string(&mut out, r);
    }
    if !id.is_empty() && id.len() <= MAX_ID {
        out.push_str(",\"id\":");
        write_json_string(&mut out, id);
    }
    out.push('}');
    set_output(&out)
}

/// set_output hands the answer JSON to the host.
fn set_output(out: &str) -> Result<(), Error> {
    match unsafe { output_set(out.as_ptr(), out.len() as i32) } {
        0 => Ok(()),
        s => Err(Error::Status(s)),
    }
}

/// Result is a db_query response.
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Json>>,
}

/// Runs a read-only statement with string arguments; placeholders are the driver's
/// ($1, $2 for postgres; ? for mysql and sqlite).
pub fn query(sql: &str, args: &[&str]) -> Result<QueryResult, Error> {
    let values: Vec<Json> = args.iter().map(|a| Json::Str(a.to_string())).collect();
    query_values(sql, &values)
}

/// Runs a read-only statement with arguments of any JSON type: `Json::Number` for an
/// integer the database compares as a number.
pub fn query_values(sql: &str, args: &[Json]) -> Result<QueryResult, Error> {
    let mut req = String::from("{\"sql\":");
    write_json_string(&mut req, sql);
    req.push_str(",\"args\":[");
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            req.push(',');
        }
        a.write(&mut req);
    }
    req.push_str("]}");
    let n = unsafe { db_query(req.as_ptr(), req.len() as i32) };
    if n < 0 {
        return Err(Error::Status(n));
    }
    let resp = Json::parse(&read_result(n)?)?;
    if let Some(e) = resp.get("error") {
        return Err(Error::Sql(e.as_str().unwrap_or("unknown error").to_string()));
    }
    let columns = match resp.get("columns") {
        Some(Json::Array(cs)) => cs.iter().map(|c| c.as_str().unwrap_or("").to_string()).collect(),
        _ => Vec::new(),
    };
    let mut rows = Vec::new();
    if let Some(Json::Array(rs)) = resp.get("rows") {
        for r in rs {
            match r {
                Json::Array(vals) => rows.push(vals.clone()),
                _ => return Err(Error::Json("a row is not an array")),
            }
        }
    }
    Ok(QueryResult { columns, rows })
}

/// Checks password against a legacy hash with the host's verifier.
pub fn verify(hash: &str, password: &str) -> Result<bool, Error> {
    match unsafe { verify_password(hash.as_ptr(), hash.len() as i32, password.as_ptr(), password.len() as i32) } {
        1 => Ok(true),
        0 => Ok(false),
        s => Err(Error::Status(s)),
    }
}

/// Hashes data with "md5", "sha1", "sha256" or "sha512"; returns the raw digest.
pub fn hash(algo: &str, data: &[u8]) -> Result<Vec<u8>, Error> {
    let n = unsafe { digest(algo.as_ptr(), algo.len() as i32, data.as_ptr(), data.len() as i32) };
    if n < 0 {
        return Err(Error::Status(n));
    }
    read_result(n)
}

/// Json is a parsed JSON value. Numbers keep their text, so integer ids stay exact.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses a whole document.
    pub fn parse(text: &[u8]) -> Result<Json, Error> {
        let mut p = Parser { s: text, i: 0, depth: 0 };
        let v = p.value()?;
        p.ws();
        if p.i != text.len() {
            return Err(Error::Json("trailing data"));
        }
        Ok(v)
    }

    /// Appends the value as JSON text.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::Str(s) => write_json_string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Returns an object's member.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Returns a string's value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Returns a string as it is and a number as its text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Json::Str(s) | Json::Number(s) => Some(s),
            _ => None,
        }
    }

    /// true, a number other than zero, or "1", "t", "true" (how drivers spell booleans).
    pub fn truthy(&self) -> bool {
        match self {
            Json::Bool(b) => *b,
            Json::Number(n) => n.split(|c| c == 'e' || c == 'E').next().unwrap_or("").bytes().any(|c| (b'1'..=b'9').contains(&c)),
            Json::Str(s) => s == "1" || s == "t" || s == "true",
            _ => false,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Json, Error> {
        self.ws();
        match self.peek() {
            Some(b'{') => {
                self.nest()?;
                let mut m = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        if !self.eat(b':') {
                            return Err(Error::Json("expected ':'"));
                        }
                        m.push((k, self.value()?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(Error::Json("expected ',' or '}'"));
                        }
                    }
                }
                self.depth -= 1;
                Ok(Json::Object(m))
            }
            Some(b'[') => {
                self.nest()?;
                let mut a = Vec::new();
                if !self.eat(b']') {
                    loop {
                        a.push(self.value()?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(Error::Json("expected ',' or ']'"));
                        }
                    }
                }
                self.depth -= 1;
                Ok(Json::Array(a))
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.s.len() && matches!(self.s[self.i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                    self.i += 1;
                }
                Ok(Json::Number(String::from_utf8_lossy(&self.s[start..self.i]).into_owned()))
            }
            _ => Err(Error::Json("unexpected character")),
        }
    }

    fn nest(&mut self) -> Result<(), Error> {
        self.i += 1;
        self.depth += 1;
        if self.depth > 64 {
            return Err(Error::Json("nested too deep"));
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, v: Json) -> Result<Json, Error> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(Error::Json("bad literal"))
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let h = self.s.get(self.i..self.i + 4).ok_or(Error::Json("short \\u escape"))?;
        let h = std::str::from_utf8(h).map_err(|_| Error::Json("bad \\u escape"))?;
        let v = u32::from_str_radix(h, 16).map_err(|_| Error::Json("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, Error> {
        if self.peek() != Some(b'"') {
            return Err(Error::Json("expected a string"));
        }
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek().ok_or(Error::Json("unterminated string"))?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().ok_or(Error::Json("unterminated string"))?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) && self.s[self.i..].starts_with(b"\\u") {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    self.i = save;
                                }
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                            let mut b = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                        }
                        _ => return Err(Error::Json("bad escape")),
                    }
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| Error::Json("invalid UTF-8"))
    }
}

/// Appends s to out as a JSON string literal.
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
