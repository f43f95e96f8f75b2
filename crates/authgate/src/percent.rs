//! Percent-decoding of URL parts (RFC 3986), shared by every URL authgate
//! reads: database URLs, their TLS parameters, SMTP URLs.
//!
//! `+` stays `+`: it means a space only in HTML form data, and a password
//! such as `a+b` in `smtp://user:a+b@host` must reach the server as
//! written.

/// `%XX` escapes decoded (invalid ones kept as written), lossy UTF-8.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_decoded_and_nothing_else() {
        assert_eq!(percent_decode("p%40ss%2Fw"), "p@ss/w");
        assert_eq!(percent_decode("a+b"), "a+b");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
