//! `sigma encode --part K/N` and `sigma join`: the joined parts are the bytes of a one-process
//! encode; a damaged part is refused naming it, and nothing is written. The library's side:
//! `tests/parts.rs`.

mod util;

use sigmalang::PART_HEADER_LEN;
use util::*;

const SEG: u32 = 4096;

#[test]
fn the_command_line_splits_and_joins() {
    let sigma = Sigma::new();
    let data = mixed(20 * SEG as usize + 5, 3000, 8);
    sigma.create("in", &data);
    sigma.ok("encode -q --segment-size 4K in -o whole.sigma");
    let mut names = Vec::new();
    for k in 0..4 {
        sigma.ok(&format!("encode -q --segment-size 4K --part {k}/4 in"));
        names.push(format!("in.sigma.part-{k}-of-4"));
    }
    let mut args = vec!["join", "-q", "-o", "joined.sigma"];
    args.extend(names.iter().rev().map(String::as_str));
    sigma.run(&args).ok();
    assert!(sigma.read("joined.sigma") == sigma.read("whole.sigma"));
    // To stdout too, and --rm removes the parts only after a join that succeeded.
    let mut args = vec!["join", "-c", "--rm"];
    args.extend(names.iter().map(String::as_str));
    let r = sigma.run(&args).ok();
    assert!(r.stdout == sigma.read("whole.sigma"));
    assert!(names.iter().all(|n| !sigma.exists(n)));
    // A damaged part: exit 1, its path in the message, nothing written.
    for k in 0..2 {
        sigma.ok(&format!("encode -q --segment-size 4K --part {k}/2 in"));
    }
    let mut p = sigma.read("in.sigma.part-1-of-2");
    p[PART_HEADER_LEN + 100] ^= 0x40;
    sigma.create("in.sigma.part-1-of-2", &p);
    let r = sigma
        .sh("join in.sigma.part-0-of-2 in.sigma.part-1-of-2 -o bad.sigma")
        .expect_code(1);
    assert!(
        r.stderr.contains("in.sigma.part-1-of-2: segment"),
        "{}",
        r.stderr
    );
    assert!(!sigma.exists("bad.sigma"));
    assert!(!sigma.list().iter().any(|n| n.ends_with(".sigma-tmp")));
    // Usage errors: a part number out of range, a pipe, several inputs, no output named.
    for cmd in [
        "encode --part 2/2 in",
        "encode --part 0/0 in",
        "encode --part 1 in",
        "encode --part 0/2 in whole.sigma",
        "encode --part 0/2 --resume in",
        "join in.sigma.part-0-of-2",
    ] {
        sigma.sh(cmd).expect_code(2);
    }
    let r = sigma.run_stdin(["encode", "--part", "0/2", "-c", "-"], &data);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}
