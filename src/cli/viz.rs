//! `asterism viz FILE [--format svg|html|mermaid|dot] [-o OUT] [--profile PROFILE.json]`: a
//! picture of the pipeline's DAG (docs/viz.md). The format is `--format`, else OUT's extension,
//! else SVG; without `-o` the picture goes to standard output. With `--profile` (a document of
//! `run`/`batch --profile-json` for this pipeline) nodes are coloured by their share of the time
//! and the critical path is outlined.

use super::{EXIT_COMPILE_ERROR, Manifests, eprint, modules, println, read, usage_error};
use asterism::Pipeline;
use asterism::profile::Report;
use asterism::viz::{self, Format};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    file: PathBuf,
    /// svg, html (one page: pan, zoom, details on hover), mermaid or dot
    #[arg(long, value_parser = Format::parse)]
    format: Option<Format>,
    /// Where the picture goes (standard output without it)
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// Colour the nodes by their time in PROFILE.json (written by `run`/`batch --profile-json`)
    #[arg(long, value_name = "PROFILE.json")]
    profile: Option<PathBuf>,
    #[command(flatten)]
    modules: Manifests,
}

pub fn viz(args: Args) -> ExitCode {
    let by_name = args.output.as_ref().and_then(|o| Format::parse(o.extension()?.to_str()?).ok());
    let format = args.format.or(by_name).unwrap_or(Format::Svg);
    let source = match read(&args.file).map(String::from_utf8) {
        Ok(Ok(source)) => source,
        Ok(Err(_)) => return usage_error(format!("{}: not UTF-8 text", args.file.display())),
        Err(e) => return usage_error(e),
    };
    let engine = match modules::engine(Some(&args.file), &args.modules.files, None) {
        Ok(engine) => engine,
        Err(errors) => return modules::failed(&errors, None),
    };
    let name = args.file.to_string_lossy();
    let pipeline = match engine.compile(&name, &source) {
        Ok(p) => p,
        Err(diagnostics) => {
            eprint(&diagnostics.render(std::io::IsTerminal::is_terminal(&std::io::stderr())));
            return ExitCode::from(EXIT_COMPILE_ERROR);
        }
    };
    let report = match args.profile.as_ref().map(|path| profile(path, &pipeline)) {
        None => None,
        Some(Ok(report)) => Some(report),
        Some(Err(why)) => return usage_error(why),
    };
    let heats = report.as_ref().map(|r| r as &dyn viz::Heats);
    let picture = viz::draw(&engine, &pipeline, &name, &source, format, heats);
    match &args.output {
        None => println(picture.trim_end()),
        Some(path) => {
            if let Err(e) = std::fs::write(path, picture) {
                return usage_error(format!("{}: {e}", path.display()));
            }
        }
    }
    ExitCode::SUCCESS
}

/// The profile in `path`, if it was taken of `pipeline`.
fn profile(path: &Path, pipeline: &Pipeline) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let report = Report::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    match report.hash == pipeline.hash_hex() {
        true => Ok(report),
        false => Err(format!(
            "{}: a profile of another pipeline (hash {}…; this one is {}…)",
            path.display(),
            report.hash.get(..12).unwrap_or(&report.hash),
            &pipeline.hash_hex()[..12]
        )),
    }
}
