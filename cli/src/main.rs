//! `sigma`: the command-line front end. Thin glue over the `sigmalang` library.
//!
//! Exit status: 0 success, 1 an error (one line on stderr per failed file), 2 a usage error,
//! 128 + N after signal N (130 for Ctrl-C, 143 for SIGTERM).

use clap::{CommandFactory, FromArgMatches};
use std::ffi::OsString;
use std::io;
use std::process::ExitCode;

mod aliases;
mod args;
mod bench;
mod decode;
mod encode;
mod inputs;
mod inspect;
mod join;
mod manual;
mod progress;
mod report;
mod signals;
mod sink;
mod units;

use args::{Cli, Command};

/// A mistake in how sigma was called (exit status 2), found after the arguments were parsed.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn main() -> ExitCode {
    let mut argv = std::env::args_os();
    let prog = argv.next().unwrap_or_else(|| OsString::from("sigma"));
    let rest = match aliases::rewrite(argv.collect()) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("sigma: {msg}");
            return ExitCode::from(2);
        }
    };
    let matches = Cli::command()
        .try_get_matches_from(std::iter::once(prog).chain(rest))
        .unwrap_or_else(|e| e.exit());
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    signals::install();
    // --resume takes the partial output's level unless one was given on the command line.
    let level_given = matches
        .subcommand_matches("encode")
        .is_some_and(|m| m.value_source("level") == Some(clap::parser::ValueSource::CommandLine));
    let result = match cli.cmd {
        Command::Encode(a) => encode::run(a, level_given),
        Command::Decode(a) => decode::run(a),
        Command::Verify(a) => inspect::verify(a),
        Command::Info(a) => inspect::info(a),
        Command::Join(a) => join::run(a),
        Command::Bench(a) => bench::run(a).map(|()| Outcome::default()),
        Command::Completions { shell } => manual::completions(shell).map(|()| Outcome::default()),
        Command::Manpage => manual::manpage().map(|()| Outcome::default()),
    };
    match result {
        Ok(o) => o.exit_code(),
        Err(e) => {
            let mut o = Outcome::default();
            o.failed(&e);
            o.exit_code()
        }
    }
}

/// How a run over one or more inputs went: the worst status so far.
#[derive(Default)]
pub struct Outcome {
    code: u8,
}

impl Outcome {
    /// Reports `e` on stderr (quietly for a broken pipe) and remembers its exit status.
    pub fn failed(&mut self, e: &anyhow::Error) {
        if is_broken_pipe(e) {
            return;
        }
        eprintln!("sigma: {}", error_line(e));
        let code = if e.chain().any(|c| c.is::<Usage>()) {
            2
        } else {
            1
        };
        self.code = self.code.max(code);
    }

    /// Data was lost or a check failed, already reported: exit status 1.
    pub fn lost(&mut self) {
        self.code = self.code.max(1);
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

/// One line: the contexts and causes joined by ": ", skipping a cause its parent already quotes. An
/// output-side error starts the line, since it names the output (the input's name would mislead).
fn error_line(e: &anyhow::Error) -> String {
    let causes: Vec<&(dyn std::error::Error + 'static)> = e.chain().collect();
    let from = causes
        .iter()
        .position(|c| {
            matches!(
                c.downcast_ref::<sigmalang::Error>(),
                Some(sigmalang::Error::Output { .. })
            )
        })
        .unwrap_or(0);
    let mut line = String::new();
    let mut prev = String::new();
    for cause in &causes[from..] {
        let text = cause.to_string();
        if !prev.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        prev = text;
    }
    line
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let io = match c.downcast_ref::<sigmalang::Error>() {
            Some(sigmalang::Error::Io(io) | sigmalang::Error::Write(io)) => Some(io),
            Some(sigmalang::Error::Output { source, .. }) => Some(source),
            _ => c.downcast_ref::<io::Error>(),
        };
        io.is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
