use std::path::PathBuf;

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use revloop_cli::seed::{SeedOptions, generate, write};

#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    #[arg(long, default_value_t = 50)]
    pub accounts: usize,
    /// Days of history.
    #[arg(long, default_value_t = 60)]
    pub days: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Logical now the data is relative to (default: now).
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &SeedArgs) -> anyhow::Result<i32> {
    let opts = SeedOptions {
        accounts: args.accounts,
        days: args.days,
        seed: args.seed,
        now: args.now.unwrap_or_else(Utc::now),
    };
    let bar = ProgressBar::new(args.accounts as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} accounts {elapsed}",
    )?);
    let generated = generate(&opts, || bar.inc(1))?;
    bar.finish_and_clear();
    write(&args.out, &generated)?;
    println!(
        "wrote {} records, {} earlier versions and {} planted signals to {} (now = {})",
        generated.records.len(),
        generated.previous.len(),
        generated.expected.len(),
        args.out.display(),
        opts.now.to_rfc3339()
    );
    Ok(0)
}
