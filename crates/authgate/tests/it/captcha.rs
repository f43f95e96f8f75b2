//! `authgate::captcha`: the picture is a real 120×75 PNG, the challenge
//! checks the answer and nothing else, and the answer shows up nowhere but
//! in the picture.

use std::io::Cursor;

use authgate::captcha::{
    generate, generate_with_answer, Captcha, Challenge, ANSWER_LEN, HEIGHT, MAX_ANSWER_LEN, WIDTH,
};
use authgate::error::Error;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// Decodes `png` fully and returns its RGB pixels.
fn decode(png: &[u8]) -> Vec<u8> {
    let mut reader = png::Decoder::new(Cursor::new(png))
        .read_info()
        .expect("PNG header");
    let info = reader.info();
    assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let mut pixels = vec![0; reader.output_buffer_size().expect("buffer size")];
    let frame = reader.next_frame(&mut pixels).expect("PNG data");
    pixels.truncate(frame.buffer_size());
    pixels
}

/// The width and height in the IHDR chunk, read by hand.
fn ihdr_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Every answer of `len` digits that `challenge` accepts.
fn accepted(challenge: &Challenge, len: usize) -> Vec<String> {
    (0..10_u32.pow(len as u32))
        .map(|n| format!("{n:0len$}"))
        .filter(|guess| challenge.verify(guess))
        .collect()
}

#[test]
fn the_picture_is_a_120x75_png_with_ink_and_background() {
    let captcha = generate().unwrap();
    assert_eq!(ihdr_size(&captcha.png), (120, 75));
    let pixels = decode(&captcha.png);
    assert_eq!(pixels.len(), 120 * 75 * 3);
    let dark = pixels
        .chunks_exact(3)
        .filter(|p| p.iter().all(|&c| c < 140))
        .count();
    let light = pixels
        .chunks_exact(3)
        .filter(|p| p.iter().all(|&c| c > 180))
        .count();
    assert!(dark > 300, "too little ink: {dark} dark pixels");
    assert!(
        light > 120 * 75 / 2,
        "too little background: {light} light pixels"
    );
}

#[test]
fn generate_draws_four_digit_answers() {
    assert_eq!(ANSWER_LEN, 4);
    for _ in 0..3 {
        let challenge = generate().unwrap().challenge;
        let answers = accepted(&challenge, ANSWER_LEN);
        assert_eq!(answers.len(), 1, "exactly one 4-digit answer must pass");
        let answer = &answers[0];
        assert!(answer.len() == 4 && answer.bytes().all(|b| b.is_ascii_digit()));
        // No other length passes either.
        for len in 1..ANSWER_LEN {
            assert!(
                accepted(&challenge, len).is_empty(),
                "a {len}-digit answer passed"
            );
        }
    }
}

#[test]
fn two_generations_differ() {
    let (a, b) = (generate().unwrap(), generate().unwrap());
    assert_ne!(a.png, b.png);
    assert_ne!(a.challenge.to_token(), b.challenge.to_token());
    // The same answer twice: new picture, new salt.
    let (c, d) = (
        generate_with_answer("1234").unwrap(),
        generate_with_answer("1234").unwrap(),
    );
    assert_ne!(decode(&c.png), decode(&d.png));
    assert_ne!(c.challenge.to_token(), d.challenge.to_token());
}

#[test]
fn verify_accepts_the_answer_and_nothing_else() {
    let challenge = generate_with_answer("0427").unwrap().challenge;
    for right in ["0427", " 0427", "0427 ", "  0427\t\n", "\u{3000}0427\u{a0}"] {
        assert!(challenge.verify(right), "{right:?} refused");
    }
    let long = "0".repeat(1000);
    let padded = format!("{}0427", " ".repeat(1000));
    for wrong in [
        "",
        " ",
        "\t\n",
        "0428",
        "427",
        "04270",
        "0 427",
        "O427",
        "０４２７",
        "04 27",
        &long,
        &padded,
    ] {
        assert!(!challenge.verify(wrong), "{wrong:?} accepted");
    }
}

#[test]
fn every_digit_can_be_drawn_and_checked() {
    for answer in ["0123", "4567", "89", "0", "999999", "000000"] {
        let captcha = generate_with_answer(answer).unwrap();
        assert_eq!(ihdr_size(&captcha.png), (WIDTH, HEIGHT));
        decode(&captcha.png);
        assert!(captcha.challenge.verify(answer));
    }
}

#[test]
fn answers_that_are_not_short_digit_strings_are_refused() {
    let too_long = "1".repeat(MAX_ANSWER_LEN + 1);
    for bad in [
        "",
        "12a4",
        " 1234",
        "1234\n",
        "１２３４",
        "-123",
        &too_long,
        "٣٤٥٦",
    ] {
        match generate_with_answer(bad) {
            Err(Error::InvalidInput(message)) => {
                assert!(
                    bad.trim().is_empty() || !message.contains(bad.trim()),
                    "{message}"
                );
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn token_round_trips() {
    let captcha = generate_with_answer("5555").unwrap();
    let token = captcha.challenge.to_token();
    assert_eq!(token.len(), 69);
    assert!(token.starts_with("v1."));
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'));
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[1]).unwrap().len(), 16);
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 32);

    let back = Challenge::from_token(&token).unwrap();
    assert_eq!(back.to_token(), token);
    assert!(back.verify("5555"));
    assert!(!back.verify("5556"));
    let cloned = back.clone();
    assert!(cloned.verify(" 5555 "));
}

#[test]
fn malformed_tokens_are_invalid_input() {
    let token = generate().unwrap().challenge.to_token();
    let (salt, digest) = token["v1.".len()..].split_once('.').unwrap();
    let padded_salt = format!("v1.{salt}==.{digest}");
    let extra = format!("{token}A");
    let short = &token[..token.len() - 1];
    let v2 = token.replacen("v1.", "v2.", 1);
    let swapped = format!("v1.{digest}.{salt}");
    let no_dot = token.replacen('.', "", 2);
    let spaced = format!(" {token}");
    let plus = token.replace(['-', '_'], "+");
    let standard = format!(
        "v1.{}.{}",
        STANDARD.encode(URL_SAFE_NO_PAD.decode(salt).unwrap()),
        STANDARD.encode(URL_SAFE_NO_PAD.decode(digest).unwrap())
    );
    // The last digest character carries 2 unused bits; setting them is not canonical.
    let mut sloppy = token.clone().into_bytes();
    let last = sloppy.last_mut().unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.iter().position(|c| c == last).unwrap();
    *last = alphabet[(index & !0b11) | 0b01];
    let sloppy = String::from_utf8(sloppy).unwrap();
    let huge = "A".repeat(1 << 20);
    let cases = [
        "",
        "v1",
        "v1.",
        "v1..",
        "garbage",
        &padded_salt,
        &extra,
        short,
        &v2,
        &swapped,
        &no_dot,
        &spaced,
        &standard,
        &sloppy,
        &huge,
        "v1.\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ];
    for bad in cases
        .iter()
        .copied()
        .chain((plus != token).then_some(plus.as_str()))
    {
        match Challenge::from_token(bad) {
            Err(Error::InvalidInput(message)) => {
                assert_eq!(message, "malformed captcha challenge");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn a_tampered_digest_or_salt_refuses_the_answer() {
    let token = generate_with_answer("2468").unwrap().challenge.to_token();
    let flip = |at: usize| {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    // First salt character, first digest character.
    for at in [3, 3 + 22 + 1] {
        let tampered = Challenge::from_token(&flip(at)).unwrap();
        assert!(!tampered.verify("2468"));
    }
}

#[test]
fn the_token_does_not_hold_the_answer() {
    for answer in ["1234", "0000", "9876"] {
        let token = generate_with_answer(answer).unwrap().challenge.to_token();
        let raw: Vec<u8> = token
            .split('.')
            .skip(1)
            .flat_map(|part| URL_SAFE_NO_PAD.decode(part).unwrap())
            .collect();
        assert!(!token.contains(answer), "{token}");
        assert!(!token.contains(&URL_SAFE_NO_PAD.encode(answer)), "{token}");
        assert!(!raw.windows(answer.len()).any(|w| w == answer.as_bytes()));
    }
}

#[test]
fn debug_output_hides_the_answer() {
    let captcha: Captcha = generate_with_answer("3141").unwrap();
    for shown in [
        format!("{captcha:?}"),
        format!("{captcha:#?}"),
        format!("{:?}", captcha.challenge),
    ] {
        assert!(!shown.contains("3141"), "{shown}");
        assert!(
            !shown.contains(&captcha.challenge.to_token()[3..25]),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"), "{shown}");
    }
    assert_eq!(format!("{:?}", captcha.challenge), "Challenge(<redacted>)");
}
