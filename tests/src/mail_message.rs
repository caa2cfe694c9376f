//! Reading what the test SMTP server received: a MIME entity's headers and parts, its body
//! decoded by its transfer encoding, and RFC 2047 encoded words.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// A MIME entity: its headers (lower-case names, unfolded) and its raw body.
pub struct Entity {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Entity {
    pub fn parse(data: &str) -> Self {
        let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n").filter(|l| !l.is_empty()) {
            match headers.last_mut() {
                Some(last) if line.starts_with([' ', '\t']) => {
                    last.1.push(' ');
                    last.1.push_str(line.trim_start());
                }
                _ => {
                    let (name, value) = line.split_once(':').expect("a header");
                    headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
                }
            }
        }
        Self {
            headers,
            body: body.to_owned(),
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    /// The parts of a multipart entity.
    pub fn parts(&self) -> Vec<Entity> {
        let content_type = self.header("content-type");
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .expect("a boundary")
            .split(';')
            .next()
            .unwrap_or_default()
            .trim_matches('"');
        self.body
            .split(&format!("--{boundary}"))
            .skip(1)
            .filter(|p| !p.starts_with("--"))
            .map(|p| Entity::parse(p.trim_start_matches("\r\n")))
            .collect()
    }

    /// The body decoded by its transfer encoding, with `\n` line ends.
    pub fn text(&self) -> String {
        let encoding = self
            .headers
            .iter()
            .find(|(n, _)| n == "content-transfer-encoding")
            .map(|(_, v)| v.to_ascii_lowercase())
            .unwrap_or_default();
        let bytes = match encoding.as_str() {
            "base64" => BASE64
                .decode(self.body.split_whitespace().collect::<String>())
                .expect("base64 body"),
            "quoted-printable" => quoted_printable(&self.body),
            _ => self.body.clone().into_bytes(),
        };
        let text = String::from_utf8(bytes).expect("utf-8 body");
        text.replace("\r\n", "\n").trim_end().to_owned()
    }
}

/// A quoted-printable body's bytes.
fn quoted_printable(body: &str) -> Vec<u8> {
    let joined = body.replace("=\r\n", "");
    let raw = joined.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'=' && i + 2 < raw.len() {
            let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// A header of plain and RFC 2047 `=?utf-8?b?…?=` words, decoded.
pub fn decode_words(value: &str) -> String {
    let mut text = String::new();
    let mut last_encoded = false;
    for (i, word) in value.split(' ').enumerate() {
        let encoded = word
            .strip_prefix("=?utf-8?b?")
            .and_then(|w| w.strip_suffix("?="));
        if i > 0 && !(last_encoded && encoded.is_some()) {
            text.push(' ');
        }
        match encoded {
            Some(b64) => {
                let bytes = BASE64.decode(b64).expect("base64 word");
                text.push_str(&String::from_utf8(bytes).expect("utf-8 word"));
            }
            None => text.push_str(word),
        }
        last_encoded = encoded.is_some();
    }
    text
}
