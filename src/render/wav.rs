//! Audio of a MIDI file through a General MIDI SoundFont (rustysynth), as a WAV.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Sample rate of the rendered audio.
pub const SAMPLE_RATE: u32 = 44_100;
/// Seconds of release tail kept after the last note ends, so it rings out.
pub const TAIL_SECONDS: f64 = 1.0;
/// Default peak level of a render, dBFS: loud enough to hear at once, with a little
/// headroom for the 16-bit conversion.
pub const DEFAULT_PEAK_DBFS: f64 = -1.0;
/// Quietest peak level a render may be asked for, dBFS.
pub const MIN_PEAK_DBFS: f64 = -60.0;
/// Longest audio rendered: an hour is 635 MB of 16-bit stereo WAV at 44.1 kHz,
/// and takes minutes to render; `--tempo 20 --bars 10000` would ask for 33 hours.
pub const MAX_RENDER_SECONDS: f64 = 3600.0;
/// Largest SoundFont read (General MIDI fonts are 6 to 150 MB).
pub const MAX_SOUNDFONT_BYTES: u64 = 1 << 30;

/// A SoundFont read and checked, ready to play.
#[derive(Clone)]
pub struct Font {
    font: Arc<rustysynth::SoundFont>,
    path: PathBuf,
}

impl Font {
    /// Reads and checks a SoundFont, so a bad one is refused before anything is written.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = crate::cli::input::read_bounded(path, MAX_SOUNDFONT_BYTES)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let font = rustysynth::SoundFont::new(&mut std::io::Cursor::new(bytes))
            .map_err(|_| format!("{}: not a usable SoundFont (SF2) file", path.display()))?;
        let font = Arc::new(font);
        let settings = rustysynth::SynthesizerSettings::new(SAMPLE_RATE as i32);
        rustysynth::Synthesizer::new(&font, &settings)
            .map_err(|_| format!("{}: the SoundFont cannot drive a synthesiser", path.display()))?;
        Ok(Self { font, path: path.to_path_buf() })
    }

    /// Where it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Refuses a render longer than [`MAX_RENDER_SECONDS`], saying by how much.
pub fn check_render_length(seconds: f64) -> Result<(), String> {
    if seconds.is_finite() && seconds <= MAX_RENDER_SECONDS {
        return Ok(());
    }
    let (h, m) = ((seconds / 3600.0).floor(), ((seconds % 3600.0) / 60.0).round());
    Err(format!(
        "the solo lasts {h:.0} h {m:.0} min; --wav renders at most {} min (fewer --bars or a faster --tempo)",
        MAX_RENDER_SECONDS / 60.0
    ))
}

/// Folders searched for a SoundFont, in order, when none is given.
pub const SOUNDFONT_DIRS: &[&str] =
    &["/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/local/share/soundfonts", "/usr/share/sounds/sf3"];
/// Preferred SoundFont file names (Debian's General MIDI fonts).
const PREFERRED: &[&str] = &["FluidR3_GM.sf2", "default-GM.sf2", "TimGM6mb.sf2"];

/// Finds a SoundFont: the one given, or one installed in the standard places.
pub fn find_soundfont(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = given {
        return if p.is_file() { Ok(p.to_path_buf()) } else { Err(format!("{}: no such SoundFont file", p.display())) };
    }
    let mut dirs: Vec<PathBuf> = SOUNDFONT_DIRS.iter().map(PathBuf::from).collect();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".local/share/soundfonts"));
    }
    for dir in &dirs {
        for name in PREFERRED {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    for dir in &dirs {
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("sf2")) && p.is_file())
                .collect();
            found.sort();
            if let Some(p) = found.into_iter().next() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "no General MIDI SoundFont found in {}: install one with `apt-get install timgm6mb-soundfont` \
         (or fluid-soundfont-gm), or pass --soundfont FILE.sf2",
        SOUNDFONT_DIRS.join(", ")
    ))
}

/// How loud a render comes out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    /// Scaled so the loudest sample sits at this many dBFS (≤ 0).
    Peak(f64),
    /// As the SoundFont plays it.
    Raw,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Level::Peak(db) => write!(f, "{db}"),
            Level::Raw => write!(f, "raw"),
        }
    }
}

/// The synthesiser playing a MIDI file from its start.
fn sequencer(midi: &[u8], font: &Font) -> Result<rustysynth::MidiFileSequencer, String> {
    let settings = rustysynth::SynthesizerSettings::new(SAMPLE_RATE as i32);
    let synth = rustysynth::Synthesizer::new(&font.font, &settings)
        .map_err(|_| format!("{}: the SoundFont cannot drive a synthesiser", font.path.display()))?;
    let midi =
        rustysynth::MidiFile::new(&mut std::io::Cursor::new(midi)).map_err(|_| "cannot play the MIDI".to_string())?;
    let mut sequencer = rustysynth::MidiFileSequencer::new(synth);
    sequencer.play(&Arc::new(midi), false);
    Ok(sequencer)
}

/// Renders `seconds` of a Standard MIDI File through a SoundFont and writes a
/// 16-bit stereo WAV atomically, at the requested level: a first pass finds the
/// loudest sample (the synthesiser is deterministic), the second writes the audio
/// scaled to the target peak. `progress(done, total)` is called per block. An
/// interrupt (Ctrl-C, SIGTERM; see [`crate::cli::interrupt`]) stops it within a block and
/// removes the partial file.
pub fn render_wav(
    midi: &[u8],
    soundfont: &Font,
    seconds: f64,
    level: Level,
    path: &Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<(), String> {
    check_render_length(seconds)?;
    let total = (seconds.max(0.0) * SAMPLE_RATE as f64).round() as usize;
    let block = SAMPLE_RATE as usize / 10;
    let (mut left, mut right) = (vec![0f32; block], vec![0f32; block]);
    let gain = match level {
        Level::Raw => 1.0,
        Level::Peak(db) => {
            let mut seq = sequencer(midi, soundfont)?;
            let mut peak = 0f32;
            let mut done = 0;
            while done < total {
                crate::cli::interrupt::check()?;
                let n = block.min(total - done);
                seq.render(&mut left[..n], &mut right[..n]);
                peak = left[..n].iter().chain(&right[..n]).fold(peak, |p, s| p.max(s.abs()));
                done += n;
                progress(done / 2, total);
            }
            let target = 10f64.powf(db.clamp(MIN_PEAK_DBFS, 0.0) / 20.0) as f32;
            if peak > 0.0 { target / peak } else { 1.0 }
        }
    };
    let mut seq = sequencer(midi, soundfont)?;
    let tmp = crate::cli::atomic::temp_beside(path, ".wav")?;
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(tmp.path(), spec).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut done = 0;
    while done < total {
        crate::cli::interrupt::check()?;
        let n = block.min(total - done);
        seq.render(&mut left[..n], &mut right[..n]);
        for i in 0..n {
            for s in [left[i], right[i]] {
                let v = (s * gain).clamp(-1.0, 1.0) * i16::MAX as f32;
                writer.write_sample(v.round() as i16).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        done += n;
        progress(if matches!(level, Level::Raw) { done } else { (total + done) / 2 }, total);
    }
    writer.finalize().map_err(|e| format!("{}: {e}", path.display()))?;
    crate::cli::atomic::persist(tmp, path)
}
