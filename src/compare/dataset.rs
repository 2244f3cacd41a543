//! Loading a department's file as a new version of its source. The file is read as a
//! stream (a CSV of ten million rows is never held whole, nor as row structs): each row's
//! ID becomes an 8-byte key, its fields one line of text, and rows go to the database in
//! chunks of `CHUNK` rows. Rows whose ID (or a field the rules read) is unusable are kept
//! aside with the reason: counted, shown by example, and used by the fuzzy pass.
//!
//! Parsing runs on a blocking thread and hands chunks to the database writer through a
//! small channel, so the two cores parse and write at once.

use std::io::Read;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::idkey::{IdKey, ymd};
use super::sources::Source;
use crate::audit::{AuditEvent, store::record};
use crate::db::Db;
use crate::protect::{Keyring, SensitiveKind};

/// Rows per stored chunk: big enough that ten million rows are ~150 inserts, small
/// enough that a chunk (≈ 4 MB of text) is nothing to hold.
pub const CHUNK: usize = 65_536;

/// Field and row separators inside a chunk (ASCII unit and record separators, which no
/// department's text contains; they are removed from fields on load to be sure).
pub const FIELD: u8 = 0x1F;
pub const ROW: u8 = 0x1E;

/// What the sealed blobs of a chunk are bound to.
pub const KEYS_LABEL: &str = "compare/keys";
pub const ROWS_LABEL: &str = "compare/rows";

/// How many rows kept aside are shown as examples.
const EXAMPLES: usize = 10;

/// One chunk of rows on its way to the database.
#[derive(Default)]
pub struct Chunk {
    pub valid: bool,
    pub rows: usize,
    pub keys: Vec<u8>,
    pub text: Vec<u8>,
}

impl Chunk {
    fn push(&mut self, fields: &[&str], extra: Option<&str>) {
        if self.rows > 0 {
            self.text.push(ROW);
        }
        for (i, f) in fields.iter().chain(extra.iter()).enumerate() {
            if i > 0 {
                self.text.push(FIELD);
            }
            self.text
                .extend(f.bytes().filter(|b| *b != FIELD && *b != ROW));
        }
        self.rows += 1;
    }
}

/// A row kept aside, as the data set's page shows it (the ID masked).
#[derive(Clone, Debug, Serialize)]
pub struct Example {
    pub row: u64,
    pub id_number: String,
    pub reason: String,
}

/// What a load found.
#[derive(Clone, Debug, Serialize)]
pub struct Loaded {
    pub dataset_id: i64,
    pub source: Source,
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub examples: Vec<Example>,
    pub checksum: String,
    /// The same file was loaded before as this version: nothing new stored.
    pub already: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Counts the bytes into the checksum as they are read.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// GB18030 (the encoding Excel on a Chinese Windows saves CSV in) decoded to UTF-8 as a
/// stream.
struct Gb18030<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: Read> Read for Gb18030<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.raw)?;
            let last = n == 0;
            self.out.clear();
            self.out.resize(n * 3 + 16, 0);
            let (result, _, written, had_errors) =
                self.decoder
                    .decode_to_utf8(&self.raw[..n], &mut self.out, last);
            if had_errors {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "文件既不是 UTF-8 也不是 GB18030 编码，请另存为 UTF-8 的 CSV 后再导入",
                ));
            }
            debug_assert!(matches!(result, encoding_rs::CoderResult::InputEmpty));
            self.out.truncate(written);
            self.at = 0;
            self.done = last;
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Everything the parser hands the writer.
enum Message {
    Chunk(Chunk),
    Done {
        rows: u64,
        valid: u64,
        invalid: u64,
        examples: Vec<Example>,
        checksum: String,
    },
    Failed(String),
}

/// Reads rows (each a list of fields) into chunks.
struct Parser {
    /// Chunks are sealed before they leave the parser: the departments' ID numbers and
    /// names are personal data, encrypted at rest like everything else (SECURITY.md).
    keyring: std::sync::Arc<Keyring>,
    source: Source,
    today: u32,
    positions: Vec<usize>,
    /// Columns given in 万元 (a header like 「注册资本（万元）」, as 市场监管 files give
    /// capital): their values are turned into yuan on load, so the rules read one unit.
    in_wan: Vec<bool>,
    valid: Chunk,
    invalid: Chunk,
    counts: (u64, u64, u64),
    examples: Vec<Example>,
    send: tokio::sync::mpsc::Sender<Message>,
}

impl Parser {
    fn header(&mut self, header: &[&str]) -> Result<(), String> {
        let columns = self.source.columns();
        let found: Vec<(usize, bool)> = columns
            .iter()
            .map(|c| {
                header
                    .iter()
                    .find_map(|h| column_unit(h, c).map(|wan| (h, wan)))
                    .map(|(h, wan)| (header.iter().position(|x| x == h).unwrap_or(0), wan))
                    .ok_or_else(|| {
                        format!(
                            "文件第一行缺少「{c}」列。{}数据须有这些列：{}",
                            self.source.label(),
                            columns.join("、")
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        self.positions = found.iter().map(|f| f.0).collect();
        self.in_wan = found.iter().map(|f| f.1).collect();
        Ok(())
    }

    fn row(&mut self, number: u64, record: &[&str]) -> Result<(), String> {
        if record.iter().all(|f| f.trim().is_empty()) {
            return Ok(());
        }
        // Amounts given in 万元 become yuan; a value that is not a number stays as it
        // was, so the row's check names it.
        let yuan: Vec<Option<String>> = self
            .positions
            .iter()
            .zip(&self.in_wan)
            .map(|(p, wan)| {
                let value = record.get(*p).map_or("", |f| f.trim());
                if *wan { wan_to_yuan(value) } else { None }
            })
            .collect();
        let fields: Vec<&str> = self
            .positions
            .iter()
            .zip(&yuan)
            .map(|(p, y)| {
                y.as_deref()
                    .unwrap_or_else(|| record.get(*p).map_or("", |f| f.trim()))
            })
            .collect();
        self.counts.0 += 1;
        let checked =
            IdKey::parse(fields[0], self.today).map_err(|e| format!("身份证号{}", e.label()));
        match checked {
            Ok(key) => {
                // A row with a good ID is matched whatever its other fields say: a field
                // the rules cannot read is shown as an example, and the rule that needs it
                // passes the row by, so nobody is told of a value nobody could read.
                if let Err(reason) = self.source.check(&fields)
                    && self.examples.len() < EXAMPLES
                {
                    self.examples.push(Example {
                        row: number,
                        id_number: SensitiveKind::IdNumber.mask(fields[0]),
                        reason,
                    });
                }
                self.valid.keys.extend_from_slice(&key.0.to_le_bytes());
                self.valid.push(&fields, None);
                self.counts.1 += 1;
                if self.valid.rows == CHUNK {
                    self.flush(true)?;
                }
            }
            Err(reason) => {
                if self.examples.len() < EXAMPLES {
                    self.examples.push(Example {
                        row: number,
                        id_number: SensitiveKind::IdNumber.mask(fields[0]),
                        reason: reason.clone(),
                    });
                }
                self.invalid.push(&fields, Some(&reason));
                self.counts.2 += 1;
                if self.invalid.rows == CHUNK {
                    self.flush(false)?;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self, valid: bool) -> Result<(), String> {
        let chunk = std::mem::take(if valid {
            &mut self.valid
        } else {
            &mut self.invalid
        });
        if chunk.rows == 0 {
            return Ok(());
        }
        let sealed = Chunk {
            valid,
            rows: chunk.rows,
            keys: if chunk.keys.is_empty() {
                Vec::new()
            } else {
                self.keyring.seal_bytes(KEYS_LABEL, &chunk.keys)
            },
            text: self.keyring.seal_bytes(ROWS_LABEL, &chunk.text),
        };
        self.send
            .blocking_send(Message::Chunk(sealed))
            .map_err(|_| "写入数据库已中止".to_string())
    }
}

/// Whether a header cell names `column`: the name alone or with its unit in brackets,
/// 「注册资本（元）」 or 「注册资本(万元)」. Some(true) when the unit is 万元.
fn column_unit(cell: &str, column: &str) -> Option<bool> {
    let cell = cell.trim();
    // The ID column under the names 公安 and other departments give it.
    let rest = if column == "身份证号" {
        [
            "公民身份号码",
            "身份证号码",
            "身份证件号码",
            "证件号码",
            "身份证号",
        ]
        .iter()
        .find_map(|name| cell.strip_prefix(name))
    } else {
        cell.strip_prefix(column)
    }?
    .trim();
    let unit = rest
        .strip_prefix(['（', '('])
        .and_then(|r| r.strip_suffix(['）', ')']))
        .map(str::trim);
    match (rest, unit) {
        ("", _) | (_, Some("元")) => Some(false),
        (_, Some("万元")) => Some(true),
        _ => None,
    }
}

/// 「12.5」万元 as 「125000.00」 yuan; None when it is not an amount.
fn wan_to_yuan(value: &str) -> Option<String> {
    let fen = crate::money::Fen::parse_yuan(value).ok()?;
    Some(crate::money::Fen(fen.0.checked_mul(10_000)?).to_yuan_string())
}

fn is_workbook(file_name: &str) -> bool {
    let lower = file_name.to_lowercase();
    [".xlsx", ".xls", ".xlsm", ".ods"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Parses `input` on this (blocking) thread, sending chunks and then the totals.
fn parse(parser: &mut Parser, file_name: &str, input: impl Read) -> Result<String, String> {
    let mut hashing = Hashing {
        inner: input,
        hash: Sha256::new(),
    };
    if is_workbook(file_name) {
        // A workbook holds at most 1,048,576 rows: calamine reads the sheet whole.
        let mut bytes = Vec::new();
        hashing
            .read_to_end(&mut bytes)
            .map_err(|e| format!("读取文件失败：{e}"))?;
        let sheet =
            crate::ledger::sheet::read_sheet(file_name, &bytes).map_err(|e| e.to_string())?;
        let mut rows = sheet.rows.iter();
        let header = rows.next().ok_or("文件是空的")?;
        let header: Vec<String> = header.1.iter().map(|c| c.display()).collect();
        parser.header(&header.iter().map(String::as_str).collect::<Vec<_>>())?;
        for (number, cells) in rows {
            let fields: Vec<String> = cells.iter().map(|c| c.display()).collect();
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            parser.row(*number as u64, &fields)?;
        }
    } else {
        let mut buffered = std::io::BufReader::with_capacity(1 << 20, &mut hashing);
        let start =
            std::io::BufRead::fill_buf(&mut buffered).map_err(|e| format!("读取文件失败：{e}"))?;
        let bom = start.starts_with(b"\xEF\xBB\xBF");
        // UTF-8 unless the first megabyte says otherwise (a GB18030 file with Chinese in
        // its header fails UTF-8 at once).
        let utf8 = bom || std::str::from_utf8(start).is_ok() || utf8_cut(start);
        if bom {
            std::io::BufRead::consume(&mut buffered, 3);
        }
        let text: Box<dyn Read + '_> = if utf8 {
            Box::new(buffered)
        } else {
            Box::new(Gb18030 {
                inner: buffered,
                decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
                raw: vec![0; 1 << 16],
                out: Vec::new(),
                at: 0,
                done: false,
            })
        };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut record = csv::StringRecord::new();
        let unreadable = |e: csv::Error| format!("文件不是有效的 CSV：{e}");
        if !csv.read_record(&mut record).map_err(unreadable)? {
            return Err("文件是空的".to_string());
        }
        parser.header(&record.iter().collect::<Vec<_>>())?;
        while csv.read_record(&mut record).map_err(unreadable)? {
            let number = record.position().map_or(0, |p| p.line());
            // A row has at most a dozen fields: a small vector per row is cheap.
            let fields: Vec<&str> = record.iter().collect();
            parser.row(number, &fields)?;
        }
    }
    parser.flush(true)?;
    parser.flush(false)?;
    Ok(hex(&hashing.hash.finalize()))
}

/// A buffer that is valid UTF-8 except for a character cut at its end.
fn utf8_cut(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An audit record of its own, for a load that stored nothing (SECURITY.md: every
/// import is audited, refused ones too).
async fn audit_alone(db: &Db, event: &AuditEvent) -> Result<(), LoadError> {
    let mut tx = db.begin().await?;
    record(&mut tx, event)
        .await
        .map_err(|e| LoadError::File(format!("审计日志写入失败：{e}")))?;
    tx.commit().await?;
    Ok(())
}

/// What a load is about.
pub struct LoadRequest {
    pub source: Source,
    pub file_name: String,
    pub received_on: chrono::NaiveDate,
    pub by: String,
    pub at: String,
}

/// Loads `input` as a new version of the source, all or nothing; `event` is audited with
/// the counts in the same transaction.
pub async fn load(
    db: &Db,
    keyring: std::sync::Arc<Keyring>,
    request: LoadRequest,
    input: impl Read + Send + 'static,
    event: AuditEvent,
) -> Result<Loaded, LoadError> {
    let (send, mut receive) = tokio::sync::mpsc::channel::<Message>(2);
    let source = request.source;
    let today = ymd(request.received_on.max(chrono::Local::now().date_naive()));
    let file_name = request.file_name.clone();
    let parsing = tokio::task::spawn_blocking(move || {
        let mut parser = Parser {
            keyring,
            source,
            today,
            positions: Vec::new(),
            in_wan: Vec::new(),
            valid: Chunk::default(),
            invalid: Chunk::default(),
            counts: (0, 0, 0),
            examples: Vec::new(),
            send: send.clone(),
        };
        let message = match parse(&mut parser, &file_name, input) {
            Ok(checksum) => Message::Done {
                rows: parser.counts.0,
                valid: parser.counts.1,
                invalid: parser.counts.2,
                examples: parser.examples,
                checksum,
            },
            Err(e) => Message::Failed(e),
        };
        let _ = send.blocking_send(message);
    });
    let mut tx = db.begin_bulk().await?;
    let dataset_id: i64 = sqlx::query_scalar(
        "INSERT INTO compare_datasets (source, received_on, file_name, checksum, total_rows, valid_rows, \
         invalid_rows, invalid_examples, loaded_by, loaded_at) \
         VALUES ($1, $2, $3, '', 0, 0, 0, '[]', $4, $5) RETURNING id",
    )
    .bind(source.code())
    .bind(request.received_on.to_string())
    .bind(&request.file_name)
    .bind(&request.by)
    .bind(&request.at)
    .fetch_one(&mut *tx)
    .await?;
    let mut seq = 0i64;
    let outcome = loop {
        match receive.recv().await {
            Some(Message::Chunk(chunk)) => {
                sqlx::query(
                    "INSERT INTO compare_chunks (dataset_id, seq, valid, row_count, keys, rows) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(dataset_id)
                .bind(seq)
                .bind(i64::from(chunk.valid))
                .bind(chunk.rows as i64)
                .bind(chunk.keys)
                .bind(chunk.text)
                .execute(&mut *tx)
                .await?;
                seq += 1;
            }
            Some(Message::Done {
                rows,
                valid,
                invalid,
                examples,
                checksum,
            }) => break Ok((rows, valid, invalid, examples, checksum)),
            Some(Message::Failed(e)) => break Err(e),
            None => break Err("读取文件时出错，已中止".to_string()),
        }
    };
    let _ = parsing.await;
    let refused = |reason: String| {
        event.clone().failed().with(serde_json::json!({
            "source": source.code(),
            "file": request.file_name,
            "reason": reason,
        }))
    };
    let (rows, valid, invalid, examples, checksum) = match outcome {
        Ok(done) => done,
        Err(e) => {
            tx.rollback().await?;
            audit_alone(db, &refused(e.clone())).await?;
            return Err(LoadError::File(e));
        }
    };
    if rows == 0 {
        tx.rollback().await?;
        let e = "文件中没有数据行".to_string();
        audit_alone(db, &refused(e.clone())).await?;
        return Err(LoadError::File(e));
    }
    let earlier: Option<i64> =
        sqlx::query_scalar("SELECT id FROM compare_datasets WHERE source = $1 AND checksum = $2")
            .bind(source.code())
            .bind(&checksum)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(earlier) = earlier {
        tx.rollback().await?;
        audit_alone(
            db,
            &refused(format!("与第 {earlier} 号数据集内容相同，未重复导入")),
        )
        .await?;
        return Ok(Loaded {
            dataset_id: earlier,
            source,
            rows,
            valid,
            invalid,
            examples,
            checksum,
            already: true,
        });
    }
    sqlx::query(
        "UPDATE compare_datasets SET checksum = $1, total_rows = $2, valid_rows = $3, invalid_rows = $4, \
         invalid_examples = $5 WHERE id = $6",
    )
    .bind(&checksum)
    .bind(rows as i64)
    .bind(valid as i64)
    .bind(invalid as i64)
    .bind(serde_json::to_string(&examples).unwrap_or_else(|_| "[]".to_string()))
    .bind(dataset_id)
    .execute(&mut *tx)
    .await?;
    let event = AuditEvent {
        object_id: dataset_id.to_string(),
        ..event
    }
    .with(serde_json::json!({
        "source": source.code(),
        "file": request.file_name,
        "rows": rows,
        "invalid": invalid,
        "checksum": checksum,
    }));
    record(&mut tx, &event)
        .await
        .map_err(|e| LoadError::File(format!("审计日志写入失败，未导入：{e}")))?;
    tx.commit().await?;
    Ok(Loaded {
        dataset_id,
        source,
        rows,
        valid,
        invalid,
        examples,
        checksum,
        already: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_may_carry_the_unit() {
        assert_eq!(column_unit("注册资本", "注册资本"), Some(false));
        assert_eq!(column_unit(" 注册资本（元） ", "注册资本"), Some(false));
        assert_eq!(column_unit("注册资本(万元)", "注册资本"), Some(true));
        assert_eq!(column_unit("注册资本（万元）", "注册资本"), Some(true));
        assert_eq!(column_unit("注册资本（美元）", "注册资本"), None);
        assert_eq!(column_unit("注册资本金", "注册资本"), None);
        assert_eq!(column_unit("公民身份号码", "身份证号"), Some(false));
        assert_eq!(column_unit("身份证号码", "身份证号"), Some(false));
        assert_eq!(wan_to_yuan("12.5").as_deref(), Some("125000.00"));
        assert_eq!(wan_to_yuan("八万"), None);
    }
}
