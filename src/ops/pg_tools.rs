//! PostgreSQL's own tools, `pg_dump` and `pg_restore`, run as child processes. The
//! password never goes on their command line (where `ps` shows it to every local user):
//! it is taken out of the URL and handed over in `PGPASSWORD`.

use std::path::Path;
use std::process::Command;

/// How to reach the database with a libpq tool: the URL without its password, and the
/// password (from the URL, else whatever `PGPASSWORD`/`~/.pgpass` the caller has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibpqTarget {
    pub url: String,
    pub password: Option<String>,
}

/// Splits the password out of a `postgres://user:password@host/db?…` URL (or its
/// `password=` parameter). Parameters only sqlx understands are dropped: libpq refuses
/// unknown ones.
pub fn libpq_target(url: &str) -> LibpqTarget {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let mut password = None;
    let mut out = main.to_string();
    if let Some((scheme, rest)) = main.split_once("://")
        && let Some((userinfo, host)) = rest.rsplit_once('@')
    {
        let (user, pass) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        password = pass.map(percent_decode);
        out = format!("{scheme}://{user}@{host}");
    }
    if let Some(query) = query {
        let mut kept = Vec::new();
        for param in query.split('&').filter(|p| !p.is_empty()) {
            let key = param.split_once('=').map(|(k, _)| k).unwrap_or(param);
            if key.eq_ignore_ascii_case("password") {
                password = param.split_once('=').map(|(_, v)| percent_decode(v));
            } else if !SQLX_ONLY.contains(&key) {
                kept.push(param);
            }
        }
        if !kept.is_empty() {
            out = format!("{out}?{}", kept.join("&"));
        }
    }
    LibpqTarget { url: out, password }
}

/// Connection parameters of sqlx that libpq does not know.
const SQLX_ONLY: &[&str] = &["statement-cache-capacity", "extra_float_digits"];

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a libpq tool to the end and returns its standard output, or a clear message:
/// the tool missing from PATH, or its own error text.
pub async fn run(
    tool: &'static str,
    args: Vec<String>,
    target: &LibpqTarget,
) -> Result<Vec<u8>, String> {
    let password = target.password.clone();
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(tool);
        command.args(&args);
        if let Some(p) = password {
            command.env("PGPASSWORD", p);
        }
        command.output()
    })
    .await
    .map_err(|e| format!("{tool} 未能运行：{e}"))?;
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "找不到 {tool}：PostgreSQL 的备份与恢复用 PostgreSQL 自带的 pg_dump / pg_restore，\
                 须与数据库服务器同一大版本并在 PATH 中（Debian：apt install postgresql-client）/ {tool} not found"
            ));
        }
        Err(e) => return Err(format!("{tool} 未能运行：{e}")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if stderr.contains("version mismatch") {
            "（pg_dump 的版本低于数据库服务器：请安装与服务器同一大版本的 PostgreSQL 客户端）"
        } else {
            ""
        };
        return Err(format!(
            "{tool} 失败（{}）{hint}：{} / {tool} failed",
            output
                .status
                .code()
                .map(|c| format!("退出码 {c}"))
                .unwrap_or_else(|| "被信号终止".to_string()),
            stderr.trim()
        ));
    }
    Ok(output.stdout)
}

/// `pg_restore` arguments that print one table's data of a dump as `COPY` text.
fn table_data_args(file: &Path, table: &str) -> Vec<String> {
    vec![
        "--data-only".to_string(),
        format!("--table={table}"),
        "--file=-".to_string(),
        file.display().to_string(),
    ]
}

/// The rows of one table in a custom-format dump, as text columns by name (`COPY` text
/// format: tab-separated, `\N` for NULL, backslash escapes).
pub async fn table_rows(
    file: &Path,
    table: &str,
    target: &LibpqTarget,
) -> Result<Vec<Vec<(String, Option<String>)>>, String> {
    let args = table_data_args(file, table);
    let sql = run("pg_restore", args, target).await?;
    Ok(parse_copy(&String::from_utf8_lossy(&sql)))
}

/// The first row of one table in a custom-format dump, without reading the rest: the
/// members table of a city runs to millions of rows, and one sealed value is enough to
/// test a key on. `pg_restore` is stopped once the row is read.
pub async fn first_row(
    file: &Path,
    table: &str,
    target: &LibpqTarget,
) -> Result<Option<Vec<(String, Option<String>)>>, String> {
    use std::io::BufRead;
    let args = table_data_args(file, table);
    let password = target.password.clone();
    let table = table.to_string();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new("pg_restore");
        command
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(p) = password {
            command.env("PGPASSWORD", p);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("pg_restore 未能运行：{e}"))?;
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
        let mut head = String::new();
        let mut copy_started = false;
        let mut stopped_early = false;
        let mut line = Vec::new();
        loop {
            line.clear();
            match stdout.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            head.push_str(&String::from_utf8_lossy(&line));
            if copy_started {
                stopped_early = true;
                break;
            }
            copy_started = line.starts_with(b"COPY ");
        }
        if stopped_early {
            let _ = child.kill();
            let _ = child.wait();
        } else {
            // Read to the end: the table is empty, or pg_restore failed, which must not
            // pass for "nothing to test the key on".
            let output = child
                .wait_with_output()
                .map_err(|e| format!("pg_restore 未能运行：{e}"))?;
            if !output.status.success() {
                return Err(format!(
                    "pg_restore 无法读取备份中的 {table} 表：{} / pg_restore failed",
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
        }
        Ok(parse_copy(&head).into_iter().next())
    })
    .await
    .map_err(|e| format!("pg_restore 未能运行：{e}"))?
}

/// Reads the `COPY … (a, b) FROM stdin;` block of a plain-text dump.
pub fn parse_copy(sql: &str) -> Vec<Vec<(String, Option<String>)>> {
    let mut rows = Vec::new();
    let mut columns: Option<Vec<String>> = None;
    for line in sql.lines() {
        match &columns {
            None => {
                if line.starts_with("COPY ")
                    && let (Some(open), Some(close)) = (line.find('('), line.find(')'))
                    && open < close
                {
                    columns = Some(
                        line[open + 1..close]
                            .split(',')
                            .map(|c| c.trim().trim_matches('"').to_string())
                            .collect(),
                    );
                }
            }
            Some(names) => {
                if line == "\\." {
                    columns = None;
                    continue;
                }
                let row = names
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(copy_value))
                    .collect();
                rows.push(row);
            }
        }
    }
    rows
}

fn copy_value(field: &str) -> Option<String> {
    if field == "\\N" {
        return None;
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Some(out)
}

/// A `bytea` value as `COPY` prints it (`\x0a1b…`).
pub fn bytea_hex(value: &str) -> Option<Vec<u8>> {
    let hex = value.strip_prefix("\\x")?;
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        let t = libpq_target("postgres://mz:s%40cret@db.local:5432/minzheng?sslmode=require");
        assert_eq!(
            t.url,
            "postgres://mz@db.local:5432/minzheng?sslmode=require"
        );
        assert_eq!(t.password.as_deref(), Some("s@cret"));
        let t = libpq_target("postgres://db.local/mz?user=a&password=b&statement-cache-capacity=9");
        assert_eq!(t.url, "postgres://db.local/mz?user=a");
        assert_eq!(t.password.as_deref(), Some("b"));
        let t = libpq_target("postgres://postgres@127.0.0.1:5432/postgres");
        assert_eq!(t.url, "postgres://postgres@127.0.0.1:5432/postgres");
        assert_eq!(t.password, None);
    }

    #[test]
    fn copy_blocks_are_read_by_column() {
        let sql = "SET x = 1;\n\nCOPY public.audit_head (id, seq, last_hash) FROM stdin;\n\
                   1\t42\tab\\tc\n\\.\n\nCOPY public.other (a) FROM stdin;\n\\N\n\\.\n";
        let rows = parse_copy(sql);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1], ("seq".to_string(), Some("42".to_string())));
        assert_eq!(rows[0][2].1.as_deref(), Some("ab\tc"));
        assert_eq!(rows[1][0], ("a".to_string(), None));
        assert_eq!(bytea_hex("\\x0aff"), Some(vec![10, 255]));
        assert_eq!(bytea_hex("0aff"), None);
    }
}
