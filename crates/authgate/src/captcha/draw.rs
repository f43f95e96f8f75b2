//! Drawing a captcha: digits from a table of stroked glyphs, each scaled,
//! rotated and sheared, bent by a wave, on a grainy gradient with
//! interference curves and dots, encoded as a PNG. Every random choice
//! comes from a 256-bit OS seed expanded with SHA-256.

use std::f32::consts::TAU;
use std::fmt;

use sha2::{Digest, Sha256};

use super::challenge::{Challenge, ANSWER_LEN, MAX_ANSWER_LEN};
use crate::error::{Error, Result};
use crate::secret::{random_bytes, random_digits};

/// Width of the picture in pixels, as in streamlit-authenticator 0.4.2.
pub const WIDTH: u32 = 120;

/// Height of the picture in pixels, as in streamlit-authenticator 0.4.2.
pub const HEIGHT: u32 = 75;

/// Domain separation of the drawing's random stream from every other SHA-256 use.
const NOISE_DOMAIN: &[u8] = b"authgate captcha noise v1\0";

// ---- the captcha --------------------------------------------------------------------

/// A captcha to show: the picture and the challenge that checks the answer.
///
/// The answer itself is not kept. `Debug` shows the picture's size only.
///
/// # Examples
///
/// ```
/// let captcha = authgate::captcha::generate()?;
/// let shown = format!("{captcha:?}");
/// assert!(shown.starts_with("Captcha { png: <") && shown.contains("<redacted>"));
/// # Ok::<(), authgate::Error>(())
/// ```
#[derive(Clone)]
pub struct Captcha {
    /// The picture: an 8-bit RGB PNG of [`WIDTH`] × [`HEIGHT`] pixels.
    pub png: Vec<u8>,
    /// What checks the answer; keep [`Challenge::to_token`] server-side.
    pub challenge: Challenge,
}

impl fmt::Debug for Captcha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captcha")
            .field("png", &format_args!("<{} bytes>", self.png.len()))
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// A new captcha of [`ANSWER_LEN`] digits from the operating system's
/// random number generator.
///
/// # Errors
///
/// [`Error::InvalidInput`] if the operating system cannot provide
/// randomness.
///
/// # Examples
///
/// ```
/// let (a, b) = (authgate::captcha::generate()?, authgate::captcha::generate()?);
/// assert_ne!(a.png, b.png);
/// # Ok::<(), authgate::Error>(())
/// ```
pub fn generate() -> Result<Captcha> {
    generate_with_answer(&random_digits(ANSWER_LEN)?)
}

/// A captcha showing `answer`, for tests and for callers with their own codes.
///
/// The drawing is still random: the same answer never gives the same
/// picture, and the challenge has a fresh salt.
///
/// # Errors
///
/// [`Error::InvalidInput`] if `answer` is not 1 to [`MAX_ANSWER_LEN`] ASCII
/// digits (the message does not repeat it), or the operating system cannot
/// provide randomness.
///
/// # Examples
///
/// ```
/// use authgate::captcha::generate_with_answer;
///
/// assert!(generate_with_answer("0042")?.challenge.verify("0042"));
/// assert!(generate_with_answer("12a4").is_err());
/// # Ok::<(), authgate::Error>(())
/// ```
pub fn generate_with_answer(answer: &str) -> Result<Captcha> {
    let digits = answer.as_bytes();
    if !(1..=MAX_ANSWER_LEN).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Error::InvalidInput(format!(
            "a captcha answer is 1 to {MAX_ANSWER_LEN} ASCII digits"
        )));
    }
    let challenge = Challenge::new(digits)?;
    let mut noise = Noise::from_os()?;
    let png = encode_png(&render(digits, &mut noise))?;
    Ok(Captcha { png, challenge })
}

// ---- randomness for the drawing -----------------------------------------------------

/// SHA-256 in counter mode over a 256-bit OS seed: an infallible stream of
/// random bytes for the drawing, after one fallible read of the OS.
struct Noise {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl Noise {
    fn from_os() -> Result<Self> {
        Ok(Self {
            seed: random_bytes()?,
            counter: 0,
            block: [0; 32],
            used: 32,
        })
    }

    fn byte(&mut self) -> u8 {
        if self.used >= self.block.len() {
            self.block = Sha256::new()
                .chain_update(NOISE_DOMAIN)
                .chain_update(self.seed)
                .chain_update(self.counter.to_le_bytes())
                .finalize()
                .into();
            self.counter = self.counter.wrapping_add(1);
            self.used = 0;
        }
        let byte = self.block.get(self.used).copied().unwrap_or_default();
        self.used += 1;
        byte
    }

    /// Uniform in `[0, 1)`, in steps of 2⁻¹⁶.
    fn unit(&mut self) -> f32 {
        f32::from(u16::from_le_bytes([self.byte(), self.byte()])) / 65_536.0
    }

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `[-max, max)`.
    fn signed(&mut self, max: f32) -> f32 {
        self.range(-max, max)
    }

    /// A colour with every channel in `[lo, hi)`.
    fn colour(&mut self, lo: f32, hi: f32) -> Rgb {
        [self.range(lo, hi), self.range(lo, hi), self.range(lo, hi)]
    }
}

// ---- glyphs -------------------------------------------------------------------------

/// A pen stroke of a glyph, in a 6 × 10 box (x right, y down).
#[derive(Clone, Copy)]
enum Stroke {
    /// Straight segments through the points.
    Poly(&'static [(f32, f32)]),
    /// An elliptic arc; angles in degrees, 0 pointing right, 90 down.
    Arc {
        centre: (f32, f32),
        radii: (f32, f32),
        from: f32,
        to: f32,
    },
}

const GLYPH_W: f32 = 6.0;
const GLYPH_H: f32 = 10.0;

/// Pen strokes of the digits 0 to 9.
const GLYPHS: [&[Stroke]; 10] = [
    // 0
    &[Stroke::Arc {
        centre: (3.0, 5.0),
        radii: (2.6, 4.6),
        from: 0.0,
        to: 360.0,
    }],
    // 1
    &[
        Stroke::Poly(&[(1.3, 2.6), (3.6, 0.4), (3.6, 9.6)]),
        Stroke::Poly(&[(1.6, 9.6), (5.4, 9.6)]),
    ],
    // 2
    &[
        Stroke::Arc {
            centre: (3.0, 3.0),
            radii: (2.5, 2.6),
            from: 160.0,
            to: 405.0,
        },
        Stroke::Poly(&[(4.77, 4.84), (0.5, 9.6), (5.6, 9.6)]),
    ],
    // 3
    &[
        Stroke::Arc {
            centre: (3.0, 2.8),
            radii: (2.4, 2.4),
            from: 200.0,
            to: 450.0,
        },
        Stroke::Arc {
            centre: (3.0, 7.3),
            radii: (2.7, 2.3),
            from: 270.0,
            to: 520.0,
        },
    ],
    // 4
    &[Stroke::Poly(&[
        (4.2, 9.6),
        (4.2, 0.4),
        (0.4, 6.8),
        (5.6, 6.8),
    ])],
    // 5
    &[
        Stroke::Poly(&[(5.2, 0.4), (1.2, 0.4), (1.0, 4.85)]),
        Stroke::Arc {
            centre: (3.0, 6.7),
            radii: (2.6, 2.9),
            from: 220.0,
            to: 520.0,
        },
    ],
    // 6
    &[
        Stroke::Poly(&[(4.6, 0.4), (2.3, 2.5), (0.9, 4.8), (0.45, 7.0)]),
        Stroke::Arc {
            centre: (3.0, 7.0),
            radii: (2.55, 2.6),
            from: 0.0,
            to: 360.0,
        },
    ],
    // 7
    &[Stroke::Poly(&[(0.4, 0.4), (5.6, 0.4), (2.4, 9.6)])],
    // 8
    &[
        Stroke::Arc {
            centre: (3.0, 2.7),
            radii: (2.1, 2.3),
            from: 0.0,
            to: 360.0,
        },
        Stroke::Arc {
            centre: (3.0, 7.2),
            radii: (2.6, 2.4),
            from: 0.0,
            to: 360.0,
        },
    ],
    // 9
    &[
        Stroke::Arc {
            centre: (3.0, 3.0),
            radii: (2.55, 2.6),
            from: 0.0,
            to: 360.0,
        },
        Stroke::Poly(&[(5.55, 3.0), (5.1, 5.2), (3.7, 7.5), (1.4, 9.6)]),
    ],
];

// ---- drawing ------------------------------------------------------------------------

type Rgb = [f32; 3];
type Point = (f32, f32);

/// Straight segments drawn with one round pen.
struct Path {
    segments: Vec<(Point, Point)>,
    half_width: f32,
    colour: Rgb,
    /// Bounding box of the segments, widened by the pen: `(min, max)`.
    bounds: (Point, Point),
}

impl Path {
    /// A path through each of `lines`; a one-point line is a dot.
    fn new(lines: &[Vec<Point>], half_width: f32, colour: Rgb) -> Self {
        let mut segments = Vec::new();
        for line in lines {
            match line.as_slice() {
                [] => {}
                [dot] => segments.push((*dot, *dot)),
                points => segments.extend(points.windows(2).filter_map(|w| match w {
                    [a, b] => Some((*a, *b)),
                    _ => None,
                })),
            }
        }
        let reach = half_width + 1.0;
        let mut bounds = (
            (f32::INFINITY, f32::INFINITY),
            (f32::NEG_INFINITY, f32::NEG_INFINITY),
        );
        for &(a, b) in &segments {
            for (x, y) in [a, b] {
                bounds.0 = (bounds.0 .0.min(x - reach), bounds.0 .1.min(y - reach));
                bounds.1 = (bounds.1 .0.max(x + reach), bounds.1 .1.max(y + reach));
            }
        }
        Self {
            segments,
            half_width,
            colour,
            bounds,
        }
    }

    /// How much of the pixel centred on `p` the pen covers, in `[0, 1]`.
    fn coverage(&self, (x, y): Point) -> f32 {
        let ((x0, y0), (x1, y1)) = self.bounds;
        if x < x0 || x > x1 || y < y0 || y > y1 {
            return 0.0;
        }
        let distance = self
            .segments
            .iter()
            .map(|&(a, b)| segment_distance((x, y), a, b))
            .fold(f32::INFINITY, f32::min);
        (self.half_width + 0.5 - distance).clamp(0.0, 1.0)
    }
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: Point, a: Point, b: Point) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length2 = dx * dx + dy * dy;
    let t = if length2 > f32::EPSILON {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - (a.0 + t * dx)).hypot(p.1 - (a.1 + t * dy))
}

/// The strokes of `glyph` as point lists, placed by the matrix `m`
/// (`[a, b, c, d]`: x' = a·x + b·y, y' = c·x + d·y, about the glyph's
/// centre) and moved to `centre`.
fn place_glyph(glyph: &[Stroke], m: [f32; 4], centre: Point) -> Vec<Vec<Point>> {
    let place = |(x, y): Point| {
        let (x, y) = (x - GLYPH_W / 2.0, y - GLYPH_H / 2.0);
        (
            centre.0 + m[0] * x + m[1] * y,
            centre.1 + m[2] * x + m[3] * y,
        )
    };
    glyph
        .iter()
        .map(|stroke| match *stroke {
            Stroke::Poly(points) => points.iter().copied().map(place).collect(),
            Stroke::Arc {
                centre: (cx, cy),
                radii: (rx, ry),
                from,
                to,
            } => {
                // One segment per 15 degrees at most.
                let steps = ((to - from).abs() / 15.0).ceil().clamp(1.0, 48.0) as u16;
                (0..=steps)
                    .map(|i| {
                        let angle =
                            (from + (to - from) * f32::from(i) / f32::from(steps)).to_radians();
                        place((cx + rx * angle.cos(), cy + ry * angle.sin()))
                    })
                    .collect()
            }
        })
        .collect()
}

/// `lines` moved as little as possible to keep them `inset` pixels inside
/// the picture (or centred, if they cannot fit).
fn keep_inside(mut lines: Vec<Vec<Point>>, inset: f32) -> Vec<Vec<Point>> {
    let (mut lo, mut hi) = (
        (f32::INFINITY, f32::INFINITY),
        (f32::NEG_INFINITY, f32::NEG_INFINITY),
    );
    for &(x, y) in lines.iter().flatten() {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    let shift = |lo: f32, hi: f32, size: f32| {
        if !(lo.is_finite() && hi.is_finite()) {
            0.0
        } else if hi - lo > size - 2.0 * inset {
            (size - lo - hi) / 2.0
        } else if lo < inset {
            inset - lo
        } else if hi > size - inset {
            size - inset - hi
        } else {
            0.0
        }
    };
    let (dx, dy) = (
        shift(lo.0, hi.0, WIDTH as f32),
        shift(lo.1, hi.1, HEIGHT as f32),
    );
    for point in lines.iter_mut().flatten() {
        *point = (point.0 + dx, point.1 + dy);
    }
    lines
}

/// A gentle wave across the whole picture: each pixel is looked up at a
/// displaced position, which bends every stroke drawn through it.
struct Wave {
    amplitude: Point,
    frequency: Point,
    phase: Point,
}

impl Wave {
    fn random(noise: &mut Noise) -> Self {
        Self {
            amplitude: (noise.range(1.2, 2.6), noise.range(1.5, 3.0)),
            frequency: (TAU / noise.range(28.0, 50.0), TAU / noise.range(30.0, 60.0)),
            phase: (noise.range(0.0, TAU), noise.range(0.0, TAU)),
        }
    }

    fn apply(&self, (x, y): Point) -> Point {
        (
            x + self.amplitude.0 * (y * self.frequency.0 + self.phase.0).sin(),
            y + self.amplitude.1 * (x * self.frequency.1 + self.phase.1).sin(),
        )
    }
}

/// A wavy line across the picture, through its middle band.
fn interference_curve(noise: &mut Noise) -> Vec<Point> {
    let (w, h) = (WIDTH as f32, HEIGHT as f32);
    let start = noise.range(h * 0.3, h * 0.7);
    let slope = noise.signed(0.25);
    let amplitude = noise.range(3.0, 9.0);
    let frequency = TAU / noise.range(50.0, 140.0);
    let phase = noise.range(0.0, TAU);
    (-1..=32)
        .map(|i| {
            let x = i as f32 * w / 30.0 - 4.0;
            (
                x,
                start + slope * (x - w / 2.0) + amplitude * (x * frequency + phase).sin(),
            )
        })
        .collect()
}

/// The picture as 8-bit RGB, row by row.
fn render(digits: &[u8], noise: &mut Noise) -> Vec<u8> {
    let (w, h) = (WIDTH as f32, HEIGHT as f32);
    let wave = Wave::random(noise);

    // Background: a light gradient in a random direction, with grain.
    let (from, to) = (noise.colour(205.0, 250.0), noise.colour(205.0, 250.0));
    let tilt = noise.unit();
    let mut canvas: Vec<Rgb> = (0..HEIGHT)
        .flat_map(|y| (0..WIDTH).map(move |x| (x as f32, y as f32)))
        .map(|(x, y)| {
            let t = tilt * x / w + (1.0 - tilt) * y / h;
            let grain = (f32::from(noise.byte()) - 127.5) * 0.12;
            [0, 1, 2].map(|c| from[c] + (to[c] - from[c]) * t + grain)
        })
        .collect();
    // Where each pixel samples the (bent) drawing.
    let sample_points: Vec<Point> = (0..HEIGHT)
        .flat_map(|y| (0..WIDTH).map(move |x| (x as f32 + 0.5, y as f32 + 0.5)))
        .map(|p| wave.apply(p))
        .collect();

    // Digits: one cell each, every glyph scaled, rotated, sheared and nudged.
    let count = digits.len().max(1) as f32;
    let margin = 6.0;
    let cell = (w - 2.0 * margin) / count;
    let size = (cell / 27.0).clamp(0.5, 1.15);
    let mut colours = Vec::with_capacity(digits.len());
    let glyphs: Vec<Path> = digits
        .iter()
        .enumerate()
        .filter_map(|(i, digit)| {
            let glyph = GLYPHS.get(usize::from(digit.wrapping_sub(b'0')))?;
            let (sx, sy) = (size * noise.range(3.3, 4.2), size * noise.range(3.3, 4.0));
            let (angle, shear) = (noise.signed(0.3), noise.signed(0.2));
            let (sin, cos) = angle.sin_cos();
            // Rotation · shear · scale.
            let m = [
                cos * sx,
                (cos * shear - sin) * sy,
                sin * sx,
                (sin * shear + cos) * sy,
            ];
            let centre = (
                margin + cell * (i as f32 + 0.5) + noise.signed(cell * 0.12),
                h / 2.0 + noise.signed(5.0 * size),
            );
            let colour = noise.colour(15.0, 125.0);
            colours.push(colour);
            let half_width = noise.range(1.5, 2.0) * size.max(0.8);
            let lines = keep_inside(place_glyph(glyph, m, centre), half_width + 3.0);
            Some(Path::new(&lines, half_width, colour))
        })
        .collect();

    // Interference in the digits' own colours, so colour cannot filter it
    // out: one curve behind the digits, one across them, then dots.
    let pick = |noise: &mut Noise| -> Rgb {
        let n = colours.len().max(1);
        let pick = usize::from(noise.byte()) % n;
        colours
            .get(pick)
            .copied()
            .unwrap_or_else(|| noise.colour(15.0, 125.0))
    };
    let behind = Path::new(
        &[interference_curve(noise)],
        noise.range(0.8, 1.2),
        pick(noise),
    );
    let across = Path::new(
        &[interference_curve(noise)],
        noise.range(0.9, 1.4),
        pick(noise),
    );
    let dots: Vec<Path> = (0..36)
        .map(|_| {
            let at = (noise.range(0.0, w), noise.range(0.0, h));
            let colour = pick(noise);
            Path::new(&[vec![at]], noise.range(0.6, 1.5), colour)
        })
        .collect();

    let layers = std::iter::once(&behind)
        .chain(&glyphs)
        .chain(std::iter::once(&across))
        .chain(&dots);
    for path in layers {
        for (pixel, &at) in canvas.iter_mut().zip(&sample_points) {
            let alpha = path.coverage(at);
            if alpha > 0.0 {
                for (channel, &ink) in pixel.iter_mut().zip(&path.colour) {
                    *channel += (ink - *channel) * alpha;
                }
            }
        }
    }

    canvas
        .iter()
        .flatten()
        .map(|&channel| channel.clamp(0.0, 255.0).round() as u8)
        .collect()
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>> {
    let failed = |_| Error::InvalidInput("could not encode the captcha picture".to_owned());
    let mut png = Vec::with_capacity(rgb.len());
    let mut encoder = png::Encoder::new(&mut png, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(rgb).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_stays_in_its_box() {
        for glyph in GLYPHS {
            assert!(!glyph.is_empty());
            let lines = place_glyph(glyph, [1.0, 0.0, 0.0, 1.0], (GLYPH_W / 2.0, GLYPH_H / 2.0));
            for (x, y) in lines.into_iter().flatten() {
                assert!(
                    (0.0..=GLYPH_W).contains(&x) && (0.0..=GLYPH_H).contains(&y),
                    "{x},{y}"
                );
            }
        }
    }

    #[test]
    fn segment_distance_handles_points_and_ends() {
        assert!((segment_distance((0.0, 1.0), (0.0, 0.0), (0.0, 0.0)) - 1.0).abs() < 1e-6);
        assert!((segment_distance((1.0, 1.0), (0.0, 0.0), (2.0, 0.0)) - 1.0).abs() < 1e-6);
        assert!((segment_distance((5.0, 0.0), (0.0, 0.0), (2.0, 0.0)) - 3.0).abs() < 1e-6);
    }

    #[test]
    fn noise_is_roughly_uniform() {
        let mut noise = Noise::from_os().unwrap();
        let mut counts = [0_u32; 4];
        for _ in 0..40_000 {
            let u = noise.unit();
            assert!((0.0..1.0).contains(&u));
            counts[(u * 4.0) as usize] += 1;
        }
        // 10,000 expected each, standard deviation ~87.
        assert!(
            counts.iter().all(|&n| (9_300..10_700).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn the_picture_has_ink() {
        let rgb = render(b"8888", &mut Noise::from_os().unwrap());
        assert_eq!(rgb.len(), (WIDTH * HEIGHT * 3) as usize);
        let dark = rgb
            .chunks_exact(3)
            .filter(|p| p.iter().all(|&c| c < 140))
            .count();
        // Four 8s of ~3.5 px strokes cover far more than 5% of the picture.
        assert!(dark > rgb.len() / 3 / 20, "{dark}");
    }
}
