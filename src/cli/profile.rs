//! `--profile` and `--profile-json FILE` of `run` and `batch`: the runs profiled, the profile's
//! table on standard error and its JSON document in FILE (what `viz --profile` reads).

use super::{eprint, usage_error};
use asterism::profile::Profiler;
use asterism::{Engine, Pipeline};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Default, clap::Args)]
pub struct Profiling {
    /// Profile the runs: per node calls, time running and waiting, retries, cache hits, the
    /// critical path; per module calls and batches; peak memory — as a table on standard error
    #[arg(long)]
    pub profile: bool,
    /// Write the profile as JSON to FILE (for tools, and for `viz --profile`)
    #[arg(long, value_name = "FILE")]
    pub profile_json: Option<PathBuf>,
}

impl Profiling {
    /// A profiler watching `engine`'s module calls, when asked for; before compiling.
    pub fn attach(&self, engine: &mut Engine) -> Option<Profiler> {
        (self.profile || self.profile_json.is_some()).then(|| Profiler::attach(engine))
    }

    /// Reports what `profiler` found: the table, the document.
    pub fn finish(
        &self,
        profiler: Option<&Profiler>,
        (engine, pipeline): (&Engine, &Pipeline),
        name: &str,
        source: &str,
    ) -> Result<(), ExitCode> {
        let Some(profiler) = profiler else { return Ok(()) };
        let report = profiler.report(engine, pipeline, name, source);
        if self.profile {
            eprint(&report.table());
        }
        match &self.profile_json {
            Some(path) => std::fs::write(path, report.to_json() + "\n")
                .map_err(|e| usage_error(format!("{}: cannot write the profile: {e}", path.display()))),
            None => Ok(()),
        }
    }
}
