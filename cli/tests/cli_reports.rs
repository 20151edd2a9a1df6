//! The `sigma` commands that report on a file instead of converting it: `verify` on good and
//! damaged files, `info` as text and as JSON, and `bench --json`.

mod util;

use util::*;

#[test]
fn verify_good_and_damaged_files() {
    let sigma = Sigma::new();
    let enc = lib_encoding(&cli_data(), 3);
    sigma.create("good.sigma", &enc);
    let r = sigma.run(["verify", "good.sigma"]).ok();
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("OK"), "{}", r.stderr);
    assert!(sigma
        .run(["verify", "-q", "good.sigma"])
        .ok()
        .stderr
        .is_empty());
    sigma.run_stdin(["verify", "-q", "-"], &enc).ok();

    let l = layout(&enc);
    let s = l.segments[2];
    let mut bad = enc.clone();
    bad[s.offset + 36 + 17] ^= 0x01;
    sigma.create("bad.sigma", &bad);
    for r in [
        sigma.run(["verify", "bad.sigma"]),
        sigma.run(["verify", "-q", "bad.sigma"]),
        sigma.run_stdin(["verify", "-"], &bad),
    ] {
        let r = r.expect_code(1);
        assert!(r.stderr.contains("segment 2"), "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("byte {}", s.offset)),
            "{}",
            r.stderr
        );
    }
    assert!(sigma
        .run(["verify", "bad.sigma"])
        .stderr
        .contains("bad.sigma"));

    sigma.create("cut.sigma", &enc[..enc.len() - 100]);
    let r = sigma.run(["verify", "cut.sigma"]).expect_code(1);
    assert!(r.stderr.contains("truncated"), "{}", r.stderr);
    sigma.create("text.sigma", b"plain text, not sigma at all");
    let r = sigma.run(["verify", "text.sigma"]).expect_code(1);
    assert!(r.stderr.contains("magic"), "{}", r.stderr);
}

#[test]
fn info_text_and_json() {
    let sigma = Sigma::new();
    let d = cli_data();
    let enc = lib_encoding(&d, 4);
    let l = layout(&enc);
    sigma.create("x.sigma", &enc);

    let r = sigma.run(["info", "--json", "x.sigma"]).ok();
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("info --json is JSON");
    assert_eq!(v["file"], "x.sigma");
    assert_eq!(v["format_version"], sigmalang::format::VERSION);
    assert_eq!(v["level"], 4);
    assert_eq!(v["segment_size"], CLI_SEG);
    assert_eq!(v["segments"], 6);
    assert_eq!(v["raw_bytes"], d.len() as u64);
    assert_eq!(v["encoded_bytes"], enc.len() as u64);
    let stored = l.segments.iter().filter(|s| s.stored).count();
    assert!(stored > 0);
    assert_eq!(v["stored_segments"], stored);
    let list = v["segment_list"].as_array().unwrap();
    assert_eq!(list.len(), 6);
    let mut raw_off = 0u64;
    for (k, (e, s)) in list.iter().zip(&l.segments).enumerate() {
        assert_eq!(e["ordinal"], k);
        assert_eq!(e["raw_offset"], raw_off);
        assert_eq!(e["encoded_offset"], s.offset);
        assert_eq!(e["raw_len"], s.raw_len);
        assert_eq!(e["encoded_len"], s.enc_len + SEGMENT_HEADER_LEN);
        assert_eq!(e["stored"], s.stored);
        let xxh = format!("{:016x}", le64(&enc, s.offset + 20));
        assert_eq!(e["xxh3"], xxh.as_str());
        raw_off += s.raw_len as u64;
    }

    // The same from stdin (walking the segments instead of reading the index).
    let r = sigma.run_stdin(["info", "--json", "-"], &enc).ok();
    let mut w: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(w["file"], "stdin");
    w["file"] = v["file"].clone();
    assert_eq!(w, v);

    let r = sigma.run(["info", "x.sigma"]).ok();
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(text.contains("segments:       6"), "{text}");
    assert!(
        text.contains(&format!("raw size:       {} bytes", d.len())),
        "{text}"
    );
    let r = sigma.run(["info", "-v", "x.sigma"]).ok();
    let verbose = String::from_utf8(r.stdout).unwrap();
    assert!(
        verbose.lines().count() >= text.lines().count() + 7,
        "{verbose}"
    );

    // A damaged file: exit 1.
    sigma.create("bad.sigma", &enc[..enc.len() - 1]);
    sigma.run(["info", "--json", "bad.sigma"]).expect_code(1);
}

/// `sigma bench --json`: a row per mode and thread count with the ratio of what was really
/// written, speed-ups against each mode's -T1 row, and the pipeline tax when -T1 was measured.
#[test]
fn bench_reports_every_mode_and_thread_count() {
    let sigma = Sigma::new();
    let d = cli_data();
    sigma.create("in", &d);
    let json = |threads: &str| -> serde_json::Value {
        let r = sigma
            .run([
                "bench",
                "in",
                "-T",
                threads,
                "--repeat",
                "2",
                "--segment-size",
                "4K",
                "--json",
            ])
            .ok();
        serde_json::from_slice(&r.stdout).expect("bench --json is JSON")
    };
    let v = json("1,2");
    let rows = v["results"].as_array().unwrap();
    let modes: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["mode"].as_str().unwrap().to_string(),
                r["threads"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = [
        ("file", 1),
        ("file", 2),
        ("loop", 1),
        ("memory", 1),
        ("memory", 2),
    ]
    .iter()
    .map(|&(m, t)| (m.to_string(), t))
    .collect();
    assert_eq!(modes, want);
    let file_size = lib_encoding(&d, 3).len() as u64;
    for r in rows {
        assert_eq!(r["raw_bytes"], d.len() as u64);
        assert!(r["encode_mb_s"].as_f64().unwrap() > 0.0);
        assert!(r["decode_mb_s"].as_f64().unwrap() > 0.0);
        // The fastest run is at least as fast as the median one.
        for k in ["encode", "decode"] {
            let best = r[format!("{k}_mb_s_best")].as_f64().unwrap();
            assert!(best >= r[format!("{k}_mb_s")].as_f64().unwrap(), "{r}");
        }
        if r["mode"] != "loop" {
            // The pipelines wrote the file the library writes (header, index and trailer too).
            assert_eq!(r["encoded_bytes"], file_size, "{r}");
        }
        if r["threads"] == 1 {
            assert_eq!(r["encode_speedup"], 1.0);
        }
    }
    assert!(v["pipeline_t1_vs_loop"].as_f64().unwrap() > 0.0);
    assert!(v["pipeline_t1_vs_loop_decode"].as_f64().unwrap() > 0.0);
    // Without a -T1 run there is no pipeline tax to report.
    let v = json("2");
    assert!(v["pipeline_t1_vs_loop"].is_null());
    assert_eq!(v["results"].as_array().unwrap().len(), 3);
}
