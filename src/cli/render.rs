//! `postbode render FILE.mjml [--text] [--out FILE]`: any whole MJML
//! document to HTML (or its plain text), through the same engine and
//! checks as issues. Needs no configuration and no database.

use std::path::PathBuf;

use crate::error::Result;

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// A whole MJML document (<mjml> with its own <mj-head>)
    file: PathBuf,
    /// The plain-text part instead of the HTML
    #[arg(long)]
    text: bool,
    /// Write here instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(args: RenderArgs) -> Result<()> {
    let rendered = crate::render::render_file(&args.file)?;
    for w in &rendered.warnings {
        eprintln!("warning: {w}");
    }
    let output = if args.text {
        &rendered.text
    } else {
        &rendered.html
    };
    super::issue::write_out(args.out.as_deref(), output)
}
