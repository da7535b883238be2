//! Writing a solo as a type-1 Standard MIDI File.

use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use num_rational::Ratio;

/// Ticks per quarter of the files we write: divisible by 3 and 4, so the
/// 1/12-beat grid of the grammar lands on whole ticks.
pub const WRITE_TPQ: u16 = 480;

/// A note to write, in beats from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteOut {
    /// Onset in quarter notes.
    pub start: Ratio<i64>,
    /// Length in quarter notes.
    pub length: Ratio<i64>,
    /// MIDI key.
    pub key: u8,
    /// Velocity 1..=127.
    pub velocity: u8,
}

/// One track of the output file.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackOut {
    /// Track name shown by a DAW.
    pub name: String,
    /// MIDI channel 0..=15.
    pub channel: u8,
    /// General MIDI program.
    pub program: u8,
    /// The notes; any order.
    pub notes: Vec<NoteOut>,
}

/// What goes into the file's conductor track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conductor {
    /// Tempo in beats per minute.
    pub bpm: f64,
    /// Beats per bar (the denominator is always a quarter).
    pub beats_per_bar: u8,
}

fn ticks(beats: Ratio<i64>) -> u64 {
    let t = beats * Ratio::from_integer(WRITE_TPQ as i64);
    t.round().to_integer().max(0) as u64
}

/// Serialises the tracks as a type-1 file: track 0 holds tempo and meter, then one
/// track per `TrackOut`. At equal ticks note-offs come first, so a repeated key
/// is not cut short.
pub fn write_smf(conductor: Conductor, tracks: &[TrackOut]) -> Vec<u8> {
    let micros = (60_000_000.0 / conductor.bpm.clamp(1.0, 1000.0)).round() as u32;
    let conductor_track = vec![
        TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(MetaMessage::Tempo(u24::new(micros))) },
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::TimeSignature(conductor.beats_per_bar, 2, 24, 8)),
        },
        TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(MetaMessage::EndOfTrack) },
    ];
    let mut smf_tracks = vec![conductor_track];
    for t in tracks {
        let ch = u4::new(t.channel & 0x0f);
        // (tick, is_on, key, velocity)
        let mut events: Vec<(u64, bool, u8, u8)> = Vec::with_capacity(t.notes.len() * 2);
        for n in &t.notes {
            let on = ticks(n.start);
            let off = ticks(n.start + n.length).max(on + 1);
            events.push((on, true, n.key & 0x7f, n.velocity.clamp(1, 127)));
            events.push((off, false, n.key & 0x7f, 0));
        }
        events.sort_by_key(|&(tick, is_on, key, _)| (tick, is_on, key));
        let mut out = vec![
            TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(MetaMessage::TrackName(t.name.as_bytes())) },
            TrackEvent {
                delta: u28::new(0),
                kind: TrackEventKind::Midi {
                    channel: ch,
                    message: MidiMessage::ProgramChange { program: u7::new(t.program & 0x7f) },
                },
            },
        ];
        let mut last = 0u64;
        for (tick, is_on, key, vel) in events {
            let delta = u28::new((tick - last).min(0x0fff_ffff) as u32);
            last = tick;
            let message = if is_on {
                MidiMessage::NoteOn { key: u7::new(key), vel: u7::new(vel) }
            } else {
                MidiMessage::NoteOff { key: u7::new(key), vel: u7::new(0) }
            };
            out.push(TrackEvent { delta, kind: TrackEventKind::Midi { channel: ch, message } });
        }
        out.push(TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(MetaMessage::EndOfTrack) });
        smf_tracks.push(out);
    }
    let smf = Smf { header: Header::new(Format::Parallel, Timing::Metrical(u15::new(WRITE_TPQ))), tracks: smf_tracks };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes).expect("writing to a Vec cannot fail");
    bytes
}
