//! Sizes, as typed and as printed: binary units both ways (1K = 1KiB = 1024 bytes).

/// A byte count with an optional binary suffix: `K`, `KB`, `KiB` (any case) = 1024; likewise `M`,
/// `G`, `T`; a bare number or a `B` suffix is bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(not_a_size(s)),
    };
    if num.is_empty() {
        return Err(not_a_size(s));
    }
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is too large"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

fn not_a_size(s: &str) -> String {
    format!("`{s}` is not a size (examples: 4M, 4MiB, 64K, 1048576; units are binary, 1K = 1024)")
}

/// `n` bytes for a person: `B` below 1 KiB, then `KiB`, `MiB`, `GiB`, `TiB` with one decimal.
pub fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// A throughput in MiB/s for `bytes` over `secs` seconds.
pub fn mib_per_s(bytes: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return "- MiB/s".to_string();
    }
    format!("{:.1} MiB/s", bytes as f64 / (1 << 20) as f64 / secs)
}

/// `"1 segment"`, `"2 segments"`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_binary_whatever_the_spelling() {
        for (s, v) in [
            ("0", 0),
            ("4096", 4096),
            ("10k", 10240),
            ("10K", 10240),
            ("10KiB", 10240),
            ("10kb", 10240),
            ("4m", 4 << 20),
            ("4M", 4 << 20),
            ("4MiB", 4 << 20),
            ("4MB", 4 << 20),
            ("1G", 1 << 30),
            ("1gib", 1 << 30),
            ("1T", 1 << 40),
            ("12B", 12),
        ] {
            assert_eq!(parse_size(s), Ok(v), "{s}");
        }
        for s in [
            "",
            "M",
            "4X",
            "4MiBs",
            "-1",
            "1.5M",
            "k4",
            "99999999999999999999",
        ] {
            assert!(parse_size(s).is_err(), "{s}");
        }
        assert!(parse_size("17179869184G")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn printed_sizes_are_binary() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1024), "1.0 KiB");
        assert_eq!(human(10 * 1024 + 512), "10.5 KiB");
        assert_eq!(human(4 << 20), "4.0 MiB");
        assert_eq!(human(3 << 30), "3.0 GiB");
        assert_eq!(human(u64::MAX), "16777216.0 TiB");
        assert_eq!(count(1, "segment"), "1 segment");
        assert_eq!(count(0, "segment"), "0 segments");
        assert_eq!(count(2, "file"), "2 files");
    }
}
