//! Kubernetes `resource.Quantity` parsing: sign, number, then a binary, decimal or exponent suffix.

/// A parsed quantity. Keeps the text as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    text: String,
    value: f64,
}

const BINARY: &[(&str, i32)] = &[
    ("Ki", 10),
    ("Mi", 20),
    ("Gi", 30),
    ("Ti", 40),
    ("Pi", 50),
    ("Ei", 60),
];
const DECIMAL: &[(&str, i32)] = &[
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("", 0),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];

impl Quantity {
    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value in base units (bytes for memory and storage, cores for CPU).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Whether the quantity is strictly greater than zero.
    pub fn is_positive(&self) -> bool {
        self.value > 0.0
    }

    /// The value in bytes, rounded up; `None` when negative or too large.
    pub fn bytes(&self) -> Option<u128> {
        let v = self.value.ceil();
        // u128::MAX as f64 rounds up, so compare with a strict bound.
        if (0.0..3.4e38).contains(&v) {
            Some(v as u128)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits `s` into (sign and number, suffix); `None` when there is no well-formed number.
fn split_number(s: &str) -> Option<(&str, &str)> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let sign_len = s.len() - unsigned.len();
    let num_len = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let number = &unsigned[..num_len];
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let dots = number.chars().filter(|c| *c == '.').count();
    if digits == 0 || dots > 1 {
        return None;
    }
    Some((&s[..sign_len + num_len], &unsigned[num_len..]))
}

/// Parses a Kubernetes quantity such as `1Ti`, `500Gi`, `100G`, `100m`, `1e3` or `-5`.
/// The error is the reason, for a person.
pub fn parse(s: &str) -> Result<Quantity, String> {
    if s.is_empty() {
        return Err("an empty string is not a quantity".into());
    }
    let Some((number, suffix)) = split_number(s) else {
        return Err(format!(
            "`{s}` is not a quantity (expected a number with an optional suffix, like `500Gi` or `100m`)"
        ));
    };
    let base: f64 = number
        .parse()
        .map_err(|_| format!("`{number}` is not a number"))?;
    let multiplier = if let Some((_, p)) = BINARY.iter().find(|(x, _)| *x == suffix) {
        2f64.powi(*p)
    } else if let Some((_, p)) = DECIMAL.iter().find(|(x, _)| *x == suffix) {
        10f64.powi(*p)
    } else if let Some(exp) = suffix.strip_prefix(['e', 'E']).filter(|e| is_int(e)) {
        let e: i32 = exp
            .parse()
            .map_err(|_| format!("exponent `{exp}` is out of range"))?;
        10f64.powi(e)
    } else {
        return Err(format!("`{suffix}` is not a Kubernetes suffix"));
    };
    Ok(Quantity {
        text: s.to_string(),
        value: base * multiplier,
    })
}

fn is_int(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// A hint for a quantity with a near-miss suffix (`1TB` -> use `1T` (decimal) or `1Ti` (binary)).
pub fn hint(s: &str) -> Option<String> {
    let (number, suffix) = split_number(s)?;
    if parse(s).is_ok() {
        return None;
    }
    let lower = suffix.to_ascii_lowercase();
    let stem = lower
        .strip_suffix("bytes")
        .or_else(|| lower.strip_suffix("byte"))
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let letter = match stem.chars().next() {
        Some(c @ ('k' | 'm' | 'g' | 't' | 'p' | 'e')) => c,
        _ => {
            return Some(format!(
                "binary suffixes: Ki Mi Gi Ti Pi Ei; decimal: n u m k M G T P E; or an exponent like `1e3`, e.g. `{number}Gi`"
            ));
        }
    };
    let decimal = if letter == 'k' {
        "k".to_string()
    } else {
        letter.to_ascii_uppercase().to_string()
    };
    let binary = format!("{}i", letter.to_ascii_uppercase());
    match &stem[1..] {
        "i" => Some(format!("use `{number}{binary}`")),
        "" => Some(format!(
            "use `{number}{decimal}` (decimal) or `{number}{binary}` (binary)"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for ok in [
            "1Ti", "500Gi", "100G", "100m", "1e3", "1E3", "-5Gi", "+1", ".5", "1.", "1.5Ki", "2n",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "lots", "1TB", "1..2", "Gi", "1gi", "1e", "1e1.5", "- 1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values() -> Result<(), String> {
        assert_eq!(parse("1Ti")?.bytes(), Some(1u128 << 40));
        assert_eq!(parse("100G")?.bytes(), Some(100_000_000_000));
        assert_eq!(parse("1e3")?.value(), 1000.0);
        assert!((parse("100m")?.value() - 0.1).abs() < 1e-12);
        assert!(!parse("-5Gi")?.is_positive());
        assert!(!parse("0")?.is_positive());
        assert_eq!(parse("-5Gi")?.bytes(), None);
        assert_eq!(parse("1Ti")?.as_str(), "1Ti");
        Ok(())
    }

    #[test]
    fn reasons_and_hints() {
        assert_eq!(
            parse("1TB").err().as_deref(),
            Some("`TB` is not a Kubernetes suffix")
        );
        assert_eq!(
            hint("1TB").as_deref(),
            Some("use `1T` (decimal) or `1Ti` (binary)")
        );
        assert_eq!(hint("2GiB").as_deref(), Some("use `2Gi`"));
        assert_eq!(
            hint("3kb").as_deref(),
            Some("use `3k` (decimal) or `3Ki` (binary)")
        );
        assert_eq!(hint("1Ti"), None);
        assert_eq!(hint("lots"), None);
        assert!(
            parse("lots")
                .err()
                .unwrap_or_default()
                .contains("not a quantity")
        );
    }
}
