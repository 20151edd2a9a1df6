//! Shell completions and the man page, generated from the command-line definitions.

use crate::args::Cli;
use clap::CommandFactory;
use std::io::Write;

/// Prints the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sigma", &mut out);
    std::io::stdout().write_all(&out)?;
    Ok(())
}

/// Prints the man page (roff) to stdout: the top-level page followed by one section per
/// subcommand.
pub fn manpage() -> anyhow::Result<()> {
    std::io::stdout().write_all(&render()?)?;
    Ok(())
}

fn render() -> anyhow::Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("sigma {}", sub.get_name());
        let page = clap_mangen::Man::new(
            sub.clone()
                .display_name(name.clone())
                .bin_name(name.clone()),
        );
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        page.render_synopsis_section(&mut out)?;
        page.render_description_section(&mut out)?;
        page.render_options_section(&mut out)?;
    }
    out.extend_from_slice(EXTRA.as_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// What the generated sections cannot say: exit status, environment, files.
const EXTRA: &str = r#".SH "EXIT STATUS"
0 success; 1 an error, a failed check, or a salvage that lost data or found the container
disagreeing with itself (one line on stderr per failed
file); 2 a usage error; 128+N after signal N (130 after Ctrl-C, 143 after SIGTERM).
.SH ENVIRONMENT
.TP
\fBSIGMA_LEVEL\fR
The encode level when none is given (\fB\-l\fR, \fB\-1\fR ... \fB\-9\fR).
.TP
\fBSIGMA_THREADS\fR
The worker threads when \fB\-T\fR is not given (0 = all cores).
.SH FILES
.TP
\fITARGET\fB.partial\fR
The output of an encode from a file into a file while it runs; renamed to TARGET when complete,
kept after Ctrl-C or SIGTERM so that \fBsigma encode \-\-resume\fR continues it.
.TP
\fB.\fITARGET\fB.\fIXXXXXX\fB.sigma-tmp\fR
The output of a decode (or of an encode to stdout redirected to a file) while it runs, beside the
target; removed on failure or a signal; one left by a killed run is removed by the next run
writing into that directory.
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_man_page_is_current() {
        let page = super::render().unwrap();
        let committed = include_bytes!("../../docs/sigma.1");
        assert!(
            page == committed,
            "docs/sigma.1 is out of date: run scripts/man.sh"
        );
    }
}
