//! A JSON number, read and converted in one pass over its digits.
//!
//! Takes: the document and the position of a number's first byte (`-` or a digit). Gives: the
//! number as serde_json classifies it, the position moved past it; `Refused` for text that is not
//! a JSON number, an integer of more than 19 digits, or a number beyond `f64`.
//! Guarantees: a `Float` is the nearest `f64` to the decimal written. The digits of most numbers
//! written by programs make an integer of at most 19 digits, scaled by a power of ten of at most
//! 22: below 2^53 that is one correctly rounded division or product of exact operands (Clinger
//! 1990), above it an integer quotient or product rounded once; the others go to fast_float's
//! correctly rounded parser.

use super::Refused;

/// A number as serde_json reports it to a visitor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Number {
    UInt(u64),
    Int(i64),
    Float(f64),
}

/// The powers of ten that are exact in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Integers up to this are exact in an `f64`.
const EXACT: u64 = 1 << 53;

/// The digits of `doc` from `*i`, folded into `acc` (wrapping: callers count digits to know
/// whether it did); returns how many there were. Read a word of eight bytes at a time: its
/// leading digits, however many, are found and combined without a branch per digit.
#[inline]
fn digits(doc: &[u8], i: &mut usize, acc: &mut u64) -> usize {
    let start = *i;
    while let Some(word) = doc.get(*i..*i + 8) {
        let (n, value) = leading_digits(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        if n == 8 {
            // A step that does not wait for the digits' values: the next word can be loaded at once.
            *acc = acc.wrapping_mul(100_000_000).wrapping_add(value);
            *i += 8;
            continue;
        }
        *acc = acc.wrapping_mul(POW10_INT[n]).wrapping_add(value);
        *i += n;
        return *i - start;
    }
    // The document's last seven bytes or fewer.
    while let Some(&c) = doc.get(*i) {
        if !c.is_ascii_digit() {
            break;
        }
        *acc = acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
        *i += 1;
    }
    *i - start
}

/// `10^n` for the 19 digits a `u64` holds.
const POW10_INT: [u64; 20] = powers(10);

/// `5^n` for the negative powers of ten that `quotient` takes.
const POW5: [u64; 23] = powers(5);

const fn powers<const N: usize>(base: u64) -> [u64; N] {
    let mut table = [1; N];
    let mut n = 1;
    while n < N {
        table[n] = table[n - 1] * base;
        n += 1;
    }
    table
}

/// How many of the eight bytes of `word` (little-endian: the first byte lowest) are ASCII digits
/// before the first that is not, and their value (the SWAR method of simdjson and fast_float).
#[inline]
fn leading_digits(word: u64) -> (usize, u64) {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Each byte less '0' (as xor: digits become 0..=9, every other byte 10 or more); a byte's high
    // bit in `other` marks a byte that is not a digit.
    let x = word ^ 0x3030_3030_3030_3030;
    let other = (((x & LOW7).wrapping_add(0x7676_7676_7676_7676)) | x) & HIGH;
    let n = (other.trailing_zeros() / 8) as usize;
    if n == 0 {
        return (0, 0);
    }
    // The `n` digits moved to the top of the word, zeros (digit value 0) below them.
    let v = x << (8 * (8 - n));
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    (n, ((v & MASK).wrapping_mul(MUL1).wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2))) >> 32)
}

/// Reads the number at `*at`.
#[inline]
pub(super) fn read(doc: &[u8], at: &mut usize) -> Result<Number, Refused> {
    let start = *at;
    let mut i = start;
    let negative = doc.get(i) == Some(&b'-');
    i += usize::from(negative);
    let mut mantissa = 0u64;
    let mut count = match doc.get(i) {
        Some(b'0') => {
            i += 1;
            1
        }
        Some(b'1'..=b'9') => digits(doc, &mut i, &mut mantissa),
        _ => return Err(Refused),
    };
    let mut fraction = 0;
    if doc.get(i) == Some(&b'.') {
        i += 1;
        fraction = digits(doc, &mut i, &mut mantissa);
        if fraction == 0 {
            return Err(Refused);
        }
        count += fraction;
    }
    let mut exponent = 0i64;
    let scientific = matches!(doc.get(i), Some(b'e' | b'E'));
    if scientific {
        i += 1;
        let sign = match doc.get(i) {
            Some(b'-') => -1,
            Some(b'+') => 1,
            _ => 0,
        };
        i += usize::from(sign != 0);
        let mut e = 0u64;
        // Past 19 digits the wrapped value is wrong, but so large an exponent is out of range
        // anyway: the standard parser below decides.
        let written = digits(doc, &mut i, &mut e);
        if written == 0 {
            return Err(Refused);
        }
        exponent = if written > 18 { i64::MAX } else { e as i64 } * if sign < 0 { -1 } else { 1 };
    }
    *at = i;
    let text = &doc[start + usize::from(negative)..i];
    if fraction == 0 && !scientific {
        return integer(negative, mantissa, count, text);
    }
    let scale = exponent.saturating_sub(fraction as i64);
    let value = match scale {
        _ if count > 19 => nearest(text)?,
        -22..=22 if mantissa <= EXACT => {
            let m = mantissa as f64;
            if scale < 0 { m / POW10[scale.unsigned_abs() as usize] } else { m * POW10[scale as usize] }
        }
        -22..=-1 => quotient(mantissa, scale.unsigned_abs() as u32),
        0..=19 => (u128::from(mantissa) * u128::from(POW10_INT[scale as usize])) as f64,
        _ => nearest(text)?,
    };
    Ok(Number::Float(if negative { -value } else { value }))
}

/// The nearest `f64` to `m / 10^k`, for `m` above 2^53 and `k` in 1..=22, in integers: `10^k`
/// is `5^k · 2^k`, and `m · 2^64 / 5^k` (at least 2^65, as `5^22` is below 2^52) is an integer
/// quotient of more than 54 bits whose lowest bit, set when there is a remainder, only breaks
/// ties; `u128 as f64` rounds it once, to nearest, and the scaling by `2^-(64 + k)` is exact (the
/// result, at least 2^53 / 10^22, is a normal number).
fn quotient(m: u64, k: u32) -> f64 {
    let divisor = u128::from(POW5[k as usize]);
    let dividend = u128::from(m) << 64;
    let (q, r) = (dividend / divisor, dividend % divisor);
    let rounded = (q | u128::from(r != 0)) as f64;
    rounded * f64::from_bits((1023 - 64 - u64::from(k)) << 52)
}

/// The nearest `f64` to the digits of a JSON number without its sign (which fast_float reads in
/// full: its syntax is wider); `Refused` past `f64`.
fn nearest(text: &[u8]) -> Result<f64, Refused> {
    fast_float2::parse::<f64, _>(text).ok().filter(|x| x.is_finite()).ok_or(Refused)
}

/// An integer written without fraction or exponent (its `count` digits are `text`, folded into
/// `magnitude` when there are at most 19), classified as serde_json does: `-0` and an integer
/// beyond `i64` or `u64` are the nearest Float.
fn integer(negative: bool, magnitude: u64, count: usize, text: &[u8]) -> Result<Number, Refused> {
    let exact = if count <= 19 {
        Some(magnitude)
    } else {
        text.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
    };
    let Some(magnitude) = exact else {
        let x = nearest(text)?;
        return Ok(Number::Float(if negative { -x } else { x }));
    };
    Ok(match (negative, magnitude) {
        (false, n) => Number::UInt(n),
        (true, 0) => Number::Float(-0.0),
        (true, n) if n <= 1 << 63 => Number::Int((n as i64).wrapping_neg()),
        (true, n) => Number::Float(-(n as f64)),
    })
}
