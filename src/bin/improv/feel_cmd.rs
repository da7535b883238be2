//! `improv feel DIR`: learns feel (swing against tempo, lay-back, dynamics,
//! articulation) per style from a folder of WJD solos and writes the table.

use improv::feel::{FeelTable, fit, read_solos};
use std::path::PathBuf;

/// Arguments of `improv feel`.
#[derive(clap::Args)]
pub struct Args {
    /// A folder of WJD solos (melody tables with their beat tracks and meta.csv), e.g. data/wjd.
    folder: PathBuf,
    /// Write the table as JSON (e.g. weights/feel.json); otherwise it is printed.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Learn from every other solo only (in name order): `even` (the 1st, 3rd, …) or `odd`.
    #[arg(long, value_parser = ["even", "odd"])]
    half: Option<String>,
}

pub fn run(args: &Args) -> Result<(), String> {
    if !args.folder.is_dir() {
        return Err(format!("{}: not a folder of WJD solos", args.folder.display()));
    }
    let mut solos = read_solos(&args.folder);
    solos.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(half) = &args.half {
        let parity = usize::from(half == "odd");
        solos = solos.into_iter().skip(parity).step_by(2).collect();
    }
    if solos.is_empty() {
        return Err(format!(
            "{}: no WJD solo found (NAME.csv with NAME_beattrack.csv and meta.csv)",
            args.folder.display()
        ));
    }
    let source = format!(
        "{} WJD solos{} (improv feel {})",
        solos.len(),
        args.half.as_ref().map_or(String::new(), |h| format!(", the {h} half")),
        args.folder.display()
    );
    let table = fit(&solos.into_iter().map(|s| s.1).collect::<Vec<_>>(), &source);
    match &args.out {
        Some(path) => {
            let json = serde_json::to_string_pretty(&table).map_err(|e| e.to_string())? + "\n";
            improv::cli::atomic::write(path, json.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("wrote {} ({})", path.display(), table.source);
        }
        None => print_table(&table),
    }
    Ok(())
}

fn print_table(t: &FeelTable) {
    println!("Feel learned from {}", t.source);
    println!(
        "  {:<12} {:>5} {:>6} {:>16} {:>10} {:>9} {:>9} {:>7} {:>7} {:>7} {:>6}",
        "style",
        "solos",
        "swing",
        "(quartiles)",
        "per 100bpm",
        "beat late",
        "and late",
        "pitch",
        "phrase",
        "and acc",
        "artic"
    );
    for s in &t.styles {
        println!(
            "  {:<12} {:>5} {:>6.2} {:>16} {:>+10.2} {:>+9.3} {:>+9.3} {:>+7.2} {:>+7.2} {:>+7.2} {:>6.2}",
            s.style,
            s.solos,
            s.swing_median,
            format!("({:.2}–{:.2})", s.swing_q1, s.swing_q3),
            s.swing_per_100_bpm,
            s.beat_delay,
            s.and_delay,
            s.pitch_slope,
            s.phrase_slope,
            s.and_accent,
            s.articulation_beat
        );
    }
    println!(
        "  (swing of solos with 20+ eighth pairs outside Latin and funk feels; delays in beats; dynamics in sd of the\n   solo's level: per octave up, first to last note of a phrase, 'and' minus beat; articulation = length ÷ gap on the beat)"
    );
}
