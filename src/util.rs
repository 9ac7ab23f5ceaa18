//! Small shared helpers: CSV cell quoting, float formatting, peak memory. (Writing outputs is
//! [`crate::output`].)

use std::borrow::Cow;

/// Quote a CSV cell when it holds a comma, quote or line break.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// [`csv_cell`] for a file a spreadsheet may open: a cell that starts like a formula (`=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading `'`, so `=HYPERLINK(...)` in a customer id
/// stays text instead of becoming a live formula (OWASP's CSV injection advice).
pub fn excel_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(csv_cell(&format!("'{s}")).into_owned())
    } else {
        csv_cell(s)
    }
}

/// The lower-case words of a column name, split at anything not a letter or digit and at
/// camel-case humps: `CustomerId` and `customer_id` are both `customer`, `id`.
pub fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

/// `x` to two decimals by a rule every SQL engine computes the same way (the export of
/// `churn export-sql` writes reasons with it): `k = floor(100 x)`, plus 1 when the rest is at
/// least 0.5 (half up, in double arithmetic, where `y - floor(y)` is exact), then `k / 100` with
/// two digits. With `plus`, a non-negative result gets a `+`.
pub fn fmt2(x: f64, plus: bool) -> String {
    let y = x * 100.0;
    let f = y.floor();
    let k = (f + if y - f >= 0.5 { 1.0 } else { 0.0 }) as i64;
    let sign = match (k < 0, plus) {
        (true, _) => "-",
        (false, true) => "+",
        (false, false) => "",
    };
    let a = k.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Format a float for CSV: empty for NaN, shortest round-trip text otherwise.
pub fn fmt_f64(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// Peak resident memory of this process in MiB (`VmHWM` from `/proc/self/status`), for
/// benchmarks; `None` where that file does not exist.
pub fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM:")
}

/// Resident memory of this process now, in MiB (`VmRSS`); `None` where that file does not exist.
pub fn rss_mib() -> Option<f64> {
    status_mib("VmRSS:")
}

fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Log (at debug level) the memory in use and the peak so far after a step, for benchmarks.
pub fn log_memory(step: &str) {
    if !log::log_enabled!(log::Level::Debug) {
        return;
    }
    if let (Some(now), Some(peak)) = (rss_mib(), peak_rss_mib()) {
        log::debug!("memory after {step}: {now:.0} MiB resident, peak {peak:.0} MiB");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_cells_that_need_it() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(
            excel_cell("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(excel_cell("-3"), "'-3");
        assert_eq!(excel_cell("C001"), "C001");
        assert_eq!(name_words("CustomerId"), ["customer", "id"]);
        assert_eq!(
            name_words("Customer service calls"),
            ["customer", "service", "calls"]
        );
        assert_eq!(
            name_words("billing_tickets_90d"),
            ["billing", "tickets", "90d"]
        );
        assert_eq!(name_words("MonthlyCharges"), ["monthly", "charges"]);
    }

    #[test]
    fn two_decimals_round_half_up_in_double_arithmetic() {
        assert_eq!(fmt2(2.456, false), "2.46");
        assert_eq!(fmt2(0.125, true), "+0.13");
        assert_eq!(fmt2(-0.125, true), "-0.12");
        assert_eq!(fmt2(-4.987, true), "-4.99");
        assert_eq!(fmt2(-0.001, true), "+0.00");
        assert_eq!(fmt2(1234.5, false), "1234.50");
        // The rule works on the double 100 x, not on the exact binary value of x: 0.015 is
        // 0.01499999... in binary but 100 x rounds to exactly 1.5, so up; 1.005 gives
        // 100.49999999999999, so down. Every engine computes the same doubles.
        assert_eq!(fmt2(0.015, false), "0.02");
        assert_eq!(fmt2(1.005, false), "1.00");
    }
}
