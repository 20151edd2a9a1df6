//! The zstd/xz/gzip spellings, rewritten into subcommands before parsing: `sigma FILE` and `sigma
//! -z FILE` encode, `-d` decodes, `-t` verifies, `-l` lists (info); `-1` … `-9` set the level.
//! Short flags may be bundled (`sigma -dc FILE`, `sigma -9kf FILE`).

use std::ffi::OsString;

/// The subcommand names (and the help and version flags) that leave the arguments as they are.
const SUBCOMMANDS: [&str; 9] = [
    "encode",
    "decode",
    "verify",
    "info",
    "join",
    "bench",
    "completions",
    "manpage",
    "help",
];

/// Options that take a value in the next argument: that argument is never rewritten.
const TAKES_VALUE: [&str; 12] = [
    "--part",
    "-o",
    "--output",
    "-T",
    "--threads",
    "--level",
    "--window",
    "--segment-size",
    "--range",
    "--stats",
    "--memory-limit",
    "--repeat",
];

/// Flags without a value that may be bundled with a mode letter (`-dc`, `-kf9`).
const BUNDLE: &str = "cfkqvr";

/// Rewrites `args` (without the program name) into the subcommand form, or explains why the
/// spelling is ambiguous.
pub fn rewrite(args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let Some(first) = args.first().and_then(|a| a.to_str()) else {
        return Ok(args); // nothing, or not UTF-8: clap says what is wrong
    };
    let subcommand_form =
        SUBCOMMANDS.contains(&first) || matches!(first, "-h" | "--help" | "-V" | "--version");
    let mut mode: Option<&'static str> = None;
    let mut set_mode = |m: &'static str| -> Result<(), String> {
        match mode {
            Some(old) if old != m => Err(format!(
                "conflicting modes: {old} and {m} (give one of -z, -d, -t, -l)"
            )),
            _ => {
                mode = Some(m);
                Ok(())
            }
        }
    };
    let mut out = Vec::with_capacity(args.len() + 1);
    let mut value_next = false;
    let mut rest = false;
    for a in args {
        let s = match a.to_str() {
            Some(s) if !rest && !value_next => s,
            _ => {
                value_next = false;
                out.push(a);
                continue;
            }
        };
        if s == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        if TAKES_VALUE.contains(&s) {
            value_next = true;
            out.push(a);
            continue;
        }
        // `-1` … `-9`: the level.
        if let Some(d) = level_digit(s) {
            out.push(format!("--level={d}").into());
            continue;
        }
        if !subcommand_form {
            let m = match s {
                "-z" | "--compress" => Some("encode"),
                "-d" | "--decompress" | "--uncompress" => Some("decode"),
                "-t" | "--test" => Some("verify"),
                "-l" | "--list" => Some("info"),
                _ => None,
            };
            if let Some(m) = m {
                set_mode(m)?;
                continue;
            }
            if let Some(bundle) = bundled(s) {
                let mut kept = String::from("-");
                for c in bundle.chars() {
                    match c {
                        'z' => set_mode("encode")?,
                        'd' => set_mode("decode")?,
                        't' => set_mode("verify")?,
                        'l' => set_mode("info")?,
                        '1'..='9' => out.push(format!("--level={c}").into()),
                        _ => kept.push(c),
                    }
                }
                if kept.len() > 1 {
                    out.push(kept.into());
                }
                continue;
            }
        }
        out.push(a);
    }
    if !subcommand_form {
        out.insert(0, mode.unwrap_or("encode").into());
    }
    Ok(out)
}

fn level_digit(s: &str) -> Option<char> {
    let b = s.as_bytes();
    (b.len() == 2 && b[0] == b'-' && (b'1'..=b'9').contains(&b[1])).then(|| b[1] as char)
}

/// The letters of `-abc` when every one is a mode letter, a bundleable flag or a level digit, and at
/// least one is a mode letter or digit (so plain `-c`, `-f` pass through untouched).
fn bundled(s: &str) -> Option<&str> {
    let letters = s.strip_prefix('-').filter(|l| !l.starts_with('-'))?;
    let ok = !letters.is_empty()
        && letters
            .chars()
            .all(|c| "dztl123456789".contains(c) || BUNDLE.contains(c))
        && letters.chars().any(|c| "dztl123456789".contains(c));
    ok.then_some(letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(args: &str) -> Result<String, String> {
        let v = args.split_whitespace().map(OsString::from).collect();
        rewrite(v).map(|v| {
            v.iter()
                .map(|a| a.to_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    #[test]
    fn zstd_spellings_become_subcommands() {
        assert_eq!(rw("big.tar").unwrap(), "encode big.tar");
        assert_eq!(rw("-z big.tar").unwrap(), "encode big.tar");
        assert_eq!(rw("-d x.sigma").unwrap(), "decode x.sigma");
        assert_eq!(rw("--decompress x.sigma").unwrap(), "decode x.sigma");
        assert_eq!(rw("-dc x.sigma").unwrap(), "decode -c x.sigma");
        assert_eq!(rw("-t a.sigma b.sigma").unwrap(), "verify a.sigma b.sigma");
        assert_eq!(rw("-l a.sigma").unwrap(), "info a.sigma");
        assert_eq!(rw("-9 -c a").unwrap(), "encode --level=9 -c a");
        assert_eq!(rw("-kf9 a").unwrap(), "encode --level=9 -kf a");
        assert_eq!(rw("-T 4 -d x").unwrap(), "decode -T 4 x");
        assert_eq!(rw("-o -d -z a").unwrap(), "encode -o -d a");
        assert_eq!(rw("-d -- -z").unwrap(), "decode -- -z");
        assert!(rw("-d -z a").unwrap_err().contains("conflicting modes"));
        assert_eq!(rw("-c").unwrap(), "encode -c");
    }

    #[test]
    fn subcommands_are_left_alone_but_for_level_digits() {
        assert_eq!(rw("encode -l 5 a").unwrap(), "encode -l 5 a");
        assert_eq!(rw("encode -5 a").unwrap(), "encode --level=5 a");
        assert_eq!(rw("decode -d x").unwrap(), "decode -d x");
        assert_eq!(rw("--help").unwrap(), "--help");
        assert_eq!(rw("").unwrap(), "");
        assert_eq!(rw("encode -o -1 a").unwrap(), "encode -o -1 a");
    }
}
