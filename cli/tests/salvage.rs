//! Salvage of hostile files through the command line: for every row of `tests/salvage/` (the
//! library's report on each is checked by `tests/salvage.rs`), `sigma decode --salvage` gives the
//! expected exit status, output bytes and key words on stderr, leaves its input untouched, and
//! writes nothing at all when the file is refused.

#[path = "../../tests/salvage/rows.rs"]
mod rows;
mod util;

use rows::*;
use util::{assert_unchanged, snapshot, Sigma};

/// The command line's side of a row.
fn check(row: Row) {
    let sigma = Sigma::new();
    let file = format!("{}.sigma", row.name);
    let p = sigma.create(&file, &row.file);
    let before = snapshot(&p);
    let run = sigma.run(["decode", "--salvage", &file, "-o", "out"]);
    assert_unchanged(&p, &before);
    let name = row.name;
    match row.expect {
        Expect::Report(w) => {
            assert_eq!(
                run.code,
                Some(w.code),
                "{name}: exit status\n{}",
                run.stderr
            );
            assert!(
                sigma.read("out") == w.out,
                "{name}: the CLI's output differs"
            );
            for s in &w.stderr {
                assert!(
                    run.stderr.contains(s.as_str()),
                    "{name}: want `{s}` in stderr:\n{}",
                    run.stderr
                );
            }
            let nothing_lost = run.stderr.contains("nothing lost");
            assert_eq!(nothing_lost, w.code == 0, "{name}: {}", run.stderr);
        }
        Expect::Refused(msg) => {
            assert_eq!(run.code, Some(1), "{name}: exit status\n{}", run.stderr);
            let line = format!("sigma: {file}: {msg}");
            assert!(
                run.stderr.contains(&line),
                "{name}: want `{line}` in stderr:\n{}",
                run.stderr
            );
            assert!(!run.stderr.contains("salvaged"), "{name}: {}", run.stderr);
            assert_eq!(
                sigma.list(),
                vec![file.clone()],
                "{name}: the refused salvage left an output"
            );
            // To stdout: nothing either.
            let run = sigma.run(["decode", "--salvage", "-c", &file]);
            assert_eq!(run.code, Some(1), "{name}: exit status (stdout)");
            assert!(run.stdout.is_empty(), "{name}: bytes on stdout");
        }
    }
}

#[path = "../../tests/salvage/concat.rs"]
mod concat;
#[path = "../../tests/salvage/footer.rs"]
mod footer;
#[path = "../../tests/salvage/versions.rs"]
mod versions;
