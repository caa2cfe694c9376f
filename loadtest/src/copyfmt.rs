//! Rows in Postgres `COPY ... FROM STDIN` text format: tab-separated columns, one row a line,
//! `\N` for NULL, and backslash, tab, newline and carriage return escaped with a backslash.

use uuid::Uuid;

/// One row being written into a buffer of many.
pub struct Row<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Row<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Self { buf, first: true }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(b'\t');
        }
        self.first = false;
    }

    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    pub fn text(&mut self, s: &str) -> &mut Self {
        self.sep();
        escape_into(self.buf, s);
        self
    }

    pub fn opt_text(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.sep();
        let mut b = [0u8; 36];
        self.buf
            .extend_from_slice(id.hyphenated().encode_lower(&mut b).as_bytes());
        self
    }

    pub fn opt_uuid(&mut self, id: Option<Uuid>) -> &mut Self {
        match id {
            Some(id) => self.uuid(id),
            None => self.null(),
        }
    }

    /// A `timestamptz` from Unix milliseconds, in UTC.
    pub fn time_ms(&mut self, ms: i64) -> &mut Self {
        self.sep();
        push_timestamp(self.buf, ms);
        self
    }

    pub fn opt_time_ms(&mut self, ms: Option<i64>) -> &mut Self {
        match ms {
            Some(ms) => self.time_ms(ms),
            None => self.null(),
        }
    }

    /// A `text[]`, every element quoted.
    pub fn text_array<S: AsRef<str>>(&mut self, items: &[S]) -> &mut Self {
        self.sep();
        self.buf.push(b'{');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.buf.push(b'"');
            for c in item.as_ref().chars() {
                // Array syntax escapes `"` and `\` with a backslash, which COPY then escapes again.
                match c {
                    '"' => self.buf.extend_from_slice(b"\\\\\""),
                    '\\' => self.buf.extend_from_slice(b"\\\\\\\\"),
                    _ => push_char_escaped(self.buf, c),
                }
            }
            self.buf.push(b'"');
        }
        self.buf.push(b'}');
        self
    }

    /// A `bytea` in hex form (`\x...`, its backslash escaped for COPY).
    pub fn bytea(&mut self, bytes: &[u8]) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.sep();
        self.buf.extend_from_slice(b"\\\\x");
        for b in bytes {
            self.buf.push(HEX[usize::from(b >> 4)]);
            self.buf.push(HEX[usize::from(b & 15)]);
        }
        self
    }

    /// Ends the row.
    pub fn end(&mut self) {
        self.buf.push(b'\n');
    }
}

fn push_char_escaped(buf: &mut Vec<u8>, c: char) {
    match c {
        '\\' => buf.extend_from_slice(b"\\\\"),
        '\t' => buf.extend_from_slice(b"\\t"),
        '\n' => buf.extend_from_slice(b"\\n"),
        '\r' => buf.extend_from_slice(b"\\r"),
        _ => {
            let mut tmp = [0u8; 4];
            buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        }
    }
}

/// Appends `s` with COPY's text-format escapes.
pub fn escape_into(buf: &mut Vec<u8>, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    for c in s.chars() {
        push_char_escaped(buf, c);
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn push_digits(buf: &mut Vec<u8>, mut v: u32, width: usize) {
    let mut tmp = [b'0'; 10];
    for i in (0..width).rev() {
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    buf.extend_from_slice(&tmp[..width]);
}

/// `YYYY-MM-DD HH:MM:SS.mmm+00` for Unix milliseconds (years 1000-9999).
pub fn push_timestamp(buf: &mut Vec<u8>, ms: i64) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000) as u32;
    let (y, m, d) = civil_from_days(days);
    push_digits(buf, y.clamp(1000, 9999) as u32, 4);
    buf.push(b'-');
    push_digits(buf, m, 2);
    buf.push(b'-');
    push_digits(buf, d, 2);
    buf.push(b' ');
    push_digits(buf, in_day / 3_600_000, 2);
    buf.push(b':');
    push_digits(buf, in_day / 60_000 % 60, 2);
    buf.push(b':');
    push_digits(buf, in_day / 1000 % 60, 2);
    buf.push(b'.');
    push_digits(buf, in_day % 1000, 3);
    buf.extend_from_slice(b"+00");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(f: impl FnOnce(&mut Row<'_>)) -> String {
        let mut buf = Vec::new();
        let mut r = Row::new(&mut buf);
        f(&mut r);
        r.end();
        String::from_utf8(buf).expect("utf-8")
    }

    #[test]
    fn columns_nulls_and_escapes() {
        let s = row(|r| {
            r.text("a\tb\\c\nd").null().opt_text(Some("é"));
        });
        assert_eq!(s, "a\\tb\\\\c\\nd\t\\N\té\n");
    }

    #[test]
    fn arrays_and_bytea() {
        let s = row(|r| {
            r.text_array(&["x", "a\"b", "c,d"])
                .text_array::<&str>(&[])
                .bytea(&[0, 255]);
        });
        assert_eq!(s, "{\"x\",\"a\\\\\"b\",\"c,d\"}\t{}\t\\\\x00ff\n");
    }

    #[test]
    fn timestamps_match_chrono() {
        use chrono::{TimeZone, Utc};
        let mut x: i64 = 1;
        for _ in 0..2000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            // 1990..2040
            let ms = 631_152_000_000 + (x.rem_euclid(1_577_836_800_000));
            let mut buf = Vec::new();
            push_timestamp(&mut buf, ms);
            let want = Utc
                .timestamp_millis_opt(ms)
                .single()
                .expect("valid")
                .format("%Y-%m-%d %H:%M:%S%.3f+00")
                .to_string();
            assert_eq!(String::from_utf8(buf).expect("utf-8"), want);
        }
    }
}
