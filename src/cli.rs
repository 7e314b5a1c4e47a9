//! The `paritytest` command line (clap), following cargo and nextest conventions.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::events::Reporter;
use crate::exit::Exit;
use crate::report::{
    human::Human, json::Json, junit::Junit, metrics::MetricsReport, parity::ParitySummary,
    ReportSpec,
};
use crate::runner::{self, RunOptions, Selection};
use crate::scenario::LoadOptions;
use crate::snapshots::{SnapshotMode, SnapshotOptions};
use crate::target::TargetSpec;

#[derive(Debug, Parser)]
#[command(
    name = "paritytest",
    version,
    about = "Declarative AWS parity tests: YAML/JSON scenarios verified against AWS recordings"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum UpdateMode {
    /// Record every entry.
    All,
    /// Record entries that do not exist yet; verify the others.
    New,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CoverageFormat {
    Terminal,
    Markdown,
    Html,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SelectArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Only scenarios whose id contains this text (repeatable; any matches).
    #[arg(short = 'E', long = "filter", value_name = "TEXT")]
    pub filters: Vec<String>,
    /// Only scenarios with this tag (repeatable; any matches).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Run shard i of n (1-based), for CI matrices.
    #[arg(long, value_name = "i/n", value_parser = runner::parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Root for snapshot files named `recordings:<path>` in scenarios.
    #[arg(long, value_name = "DIR", env = "PARITYTEST_RECORDINGS")]
    pub recordings: Option<PathBuf>,
}

impl SelectArgs {
    fn selection(&self) -> Selection {
        Selection {
            filters: self.filters.clone(),
            tags: self.tags.clone(),
            shard: self.shard,
        }
    }
    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            recordings: self.recordings.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios and verify (or record) their snapshots.
    Run {
        #[command(flatten)]
        select: SelectArgs,
        /// emulator (embedded, default), aws, or endpoint=URL.
        #[arg(long, default_value = "emulator", value_parser = clap::value_parser!(TargetSpec))]
        target: TargetSpec,
        /// Record snapshots: all (default) or only new entries.
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "all", conflicts_with = "check")]
        update: Option<UpdateMode>,
        /// CI mode: write nothing, and fail on unreferenced snapshot entries.
        #[arg(long)]
        check: bool,
        /// With --update: beside each entry recorded, also write the untransformed state
        /// (secrets redacted; datetimes as YYYY-MM-DDTHH:MM:SS.mmmZ) to the same entry of
        /// `<name>.raw.snapshot.json`, for writing and debugging transformers. A run that
        /// records nothing writes none.
        #[arg(long, env = "SNAPSHOT_RAW", value_parser = clap::builder::FalseyValueParser::new())]
        snapshot_raw: bool,
        /// Fail when a full run leaves snapshot entries unreferenced.
        #[arg(long)]
        fail_unreferenced: bool,
        /// Scenarios run at the same time (the report order stays the scenario order).
        #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
        jobs: u16,
        /// Stop starting scenarios after the first failure.
        #[arg(long)]
        fail_fast: bool,
        /// Also write a report: junit=FILE or json=FILE (repeatable).
        #[arg(long, value_name = "FORMAT=FILE")]
        report: Vec<ReportSpec>,
        /// Colour: auto (terminal and no NO_COLOR), always, never.
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
        /// Account id the transformers replace (default: the target's).
        #[arg(long)]
        account_id: Option<String>,
        /// Write parity metrics (calls, input members, error codes per operation) to FILE, for
        /// `paritytest coverage`.
        #[arg(long, value_name = "FILE")]
        metrics: Option<PathBuf>,
    },
    /// List the selected scenarios (id, file:line, tags).
    List {
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Validate scenario files without running anything.
    Check {
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Print the JSON Schema of scenario files.
    Schema,
    /// List dispatchable operations, those left out, and which the emulator implements.
    Operations,
    /// Copy the AWS recording entries that scenarios mirror (`snapshot: {file: "recordings:..."}`)
    /// into their own snapshot files, verbatim with their recorded and validation dates, so a
    /// plain `run` verifies against them without the recordings folder.
    Import {
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Show coverage from metrics files of `run --metrics`: per service, operations in the model,
    /// implemented by the emulator, exercised by scenarios, verified against AWS recordings.
    Coverage {
        /// Metrics files (several, e.g. CI shards, are added up).
        #[arg(required = true)]
        metrics: Vec<PathBuf>,
        /// terminal, markdown or html (a self-contained page).
        #[arg(long, value_enum, default_value = "terminal")]
        format: CoverageFormat,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// One line per implemented or exercised operation (terminal format).
        #[arg(long)]
        detail: bool,
        /// Colour: auto (terminal and no NO_COLOR), always, never.
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
    },
    /// Run the emulator as a standalone server.
    Emulator {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 4566)]
        port: u16,
    },
}

/// Prints to stdout; a closed pipe (`paritytest list | head`) is not an error.
fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Loads and selects; prints diagnostics and gives the exit code on failure.
/// `paritytest import`: the same scenarios loaded with and without the recordings root give
/// each mirrored entry's source (the recording) and destination (the scenario's own snapshot).
fn import(select: &SelectArgs) -> Exit {
    if select.recordings.is_none() {
        eprintln!("error: import needs --recordings DIR (or PARITYTEST_RECORDINGS)");
        return Exit::Usage;
    }
    let sources = match load(select) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let own = SelectArgs {
        recordings: None,
        ..select.clone()
    };
    let destinations = match load(&own) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let (mut written, mut unchanged, mut missing) = (0, 0, Vec::new());
    for (src, dest) in sources.iter().zip(&destinations) {
        if src.snapshot.file == dest.snapshot.file {
            continue; // not a `recordings:` reference
        }
        match paritytest_snapshot::import_entry(
            &src.snapshot.file,
            &src.snapshot.key,
            &dest.snapshot.file,
            &dest.snapshot.key,
        ) {
            Ok(paritytest_snapshot::Imported::Written) => written += 1,
            Ok(paritytest_snapshot::Imported::Unchanged) => unchanged += 1,
            Ok(paritytest_snapshot::Imported::Missing) => missing.push(format!(
                "{} (no {:?} in {})",
                src.id,
                src.snapshot.key,
                src.snapshot.file.display()
            )),
            Err(e) => {
                eprintln!("error: {}: {e}", src.id);
                return Exit::Infrastructure;
            }
        }
    }
    println!("imported {written} entries, {unchanged} unchanged");
    if missing.is_empty() {
        Exit::Passed
    } else {
        for m in &missing {
            eprintln!("missing: {m}");
        }
        Exit::Failures
    }
}

fn load(select: &SelectArgs) -> Result<Vec<crate::scenario::Scenario>, Exit> {
    let files = runner::discover(&select.paths).map_err(|e| {
        eprintln!("error: {e}");
        Exit::Usage
    })?;
    let (scenarios, diags) = runner::load_all(&files, &select.load_options());
    if !diags.is_empty() {
        for d in &diags {
            eprintln!("{d}");
        }
        let files: std::collections::BTreeSet<_> = diags.iter().map(|d| d.file.clone()).collect();
        eprintln!(
            "error: {} problem{} in {} scenario file{}; nothing was run",
            diags.len(),
            if diags.len() == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        return Err(Exit::InvalidScenarios);
    }
    Ok(select.selection().apply(scenarios))
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage.code()
            } else {
                0
            };
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Infrastructure.code();
        }
    };
    rt.block_on(dispatch(cli)).code()
}

async fn dispatch(cli: Cli) -> Exit {
    match cli.command {
        Command::Run {
            select,
            target,
            update,
            check,
            snapshot_raw,
            fail_unreferenced,
            jobs,
            fail_fast,
            report,
            color,
            account_id,
            metrics,
        } => {
            let scenarios = match load(&select) {
                Ok(s) => s,
                Err(e) => return e,
            };
            let color = use_color(color);
            // The parity summary prints before the human summary, whose closing line stays last.
            let mut reporters: Vec<Box<dyn Reporter>> = vec![
                Box::new(ParitySummary::new(select.recordings.clone())),
                Box::new(Human::new(std::io::stdout(), color)),
            ];
            if let Some(path) = metrics {
                let label = match &target {
                    TargetSpec::Emulator => "emulator".to_string(),
                    TargetSpec::Aws => "aws".to_string(),
                    TargetSpec::Endpoint(url) => format!("endpoint={url}"),
                };
                reporters.push(Box::new(MetricsReport::new(path, &label)));
            }
            for r in report {
                reporters.push(match r {
                    ReportSpec::Junit(p) => Box::new(Junit::new(p)),
                    ReportSpec::Json(p) => Box::new(Json::new(p)),
                });
            }
            let mode = match update {
                Some(UpdateMode::All) => SnapshotMode::UpdateAll,
                Some(UpdateMode::New) => SnapshotMode::UpdateNew,
                None => SnapshotMode::Verify,
            };
            if snapshot_raw && mode == SnapshotMode::Verify {
                eprintln!(
                    "note: --snapshot-raw (SNAPSHOT_RAW) writes raw copies of recorded entries only; this run records nothing (add --update)"
                );
            }
            let opts = RunOptions {
                target,
                snapshots: SnapshotOptions {
                    mode,
                    raw_copy: snapshot_raw,
                },
                jobs: jobs as usize,
                fail_fast,
                fail_unreferenced: fail_unreferenced || check,
                full_run: select.selection().is_full(),
                color,
                account_id,
            };
            runner::run(scenarios, opts, &mut reporters).await
        }
        Command::List { select } => match load(&select) {
            Ok(scenarios) => {
                let mut text = String::new();
                for s in scenarios {
                    let tags = if s.tags.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", s.tags.join(", "))
                    };
                    text.push_str(&format!(
                        "{}  {}:{}{tags}\n",
                        s.id,
                        s.file.display(),
                        s.pos.line
                    ));
                }
                print_out(&text);
                Exit::Passed
            }
            Err(e) => e,
        },
        Command::Check { select } => match load(&select) {
            Ok(scenarios) => {
                println!(
                    "{} scenario{} OK",
                    scenarios.len(),
                    if scenarios.len() == 1 { "" } else { "s" }
                );
                Exit::Passed
            }
            Err(e) => e,
        },
        Command::Schema => {
            print_out(&crate::schema::render());
            Exit::Passed
        }
        Command::Operations => {
            print_out(&crate::operations::render());
            Exit::Passed
        }
        Command::Import { select } => import(&select),
        Command::Coverage {
            metrics,
            format,
            output,
            detail,
            color,
        } => crate::coverage::command(
            &metrics,
            format,
            output.as_deref(),
            detail,
            use_color(color),
        ),
        Command::Emulator { host, port } => crate::operations::serve_emulator(&host, port).await,
    }
}
