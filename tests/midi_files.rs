//! MIDI in and out: round trips, files the reference could not read, and bad input.

mod common;

use improv::corpus::{Corpus, CorpusError, CorpusOptions};
use improv::midi::{Conductor, MidiError, MidiFile, NoteOut, TrackOut, write_smf};
use improv::score::Beats;
use midly::num::{u4, u7, u15, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

fn b(n: i64, d: i64) -> Beats {
    Beats::new(n, d)
}

/// A walking line over four bars with triplets and rests.
fn melody() -> Vec<NoteOut> {
    let mut out = Vec::new();
    let mut t = b(0, 1);
    let keys = [72, 74, 76, 77, 79, 77, 76, 74, 72, 71, 69, 67];
    let lens =
        [b(1, 2), b(1, 3), b(1, 3), b(1, 3), b(1, 1), b(1, 4), b(1, 4), b(1, 2), b(2, 3), b(1, 3), b(1, 1), b(2, 1)];
    for (i, (&key, &len)) in keys.iter().zip(&lens).enumerate() {
        out.push(NoteOut { start: t, length: len, key, velocity: 90 });
        t += len + if i % 3 == 2 { b(1, 4) } else { b(0, 1) };
    }
    out
}

/// Dm7 | G7 | Cmaj7 | A7, a whole-note chord per bar.
fn comping() -> Vec<NoteOut> {
    let chords: [&[u8]; 4] = [&[50, 53, 57, 60], &[43, 53, 59, 64], &[48, 52, 55, 59], &[45, 49, 52, 55]];
    chords
        .iter()
        .enumerate()
        .flat_map(|(bar, keys)| {
            keys.iter().map(move |&key| NoteOut { start: b(4 * bar as i64, 1), length: b(4, 1), key, velocity: 70 })
        })
        .collect()
}

fn two_track_file() -> Vec<u8> {
    let conductor = Conductor { bpm: 140.0, beats_per_bar: 4 };
    write_smf(
        conductor,
        &[
            TrackOut { name: "Tenor Sax".into(), channel: 0, program: 66, notes: melody() },
            TrackOut { name: "Rhodes".into(), channel: 1, program: 4, notes: comping() },
        ],
    )
}

#[test]
fn written_solo_reads_back_to_the_same_notes() {
    let bytes = two_track_file();
    let file = MidiFile::parse(&bytes).unwrap();
    assert_eq!(file.format, 1);
    assert_eq!(file.parts.len(), 2);
    assert!((file.initial_bpm() - 140.0).abs() < 0.01);
    let tpq = file.ticks_per_quarter as i64;
    let back: Vec<NoteOut> = file.parts[0]
        .notes
        .iter()
        .map(|n| NoteOut {
            start: Beats::new(n.on as i64, tpq),
            length: Beats::new((n.off - n.on) as i64, tpq),
            key: n.key,
            velocity: n.velocity,
        })
        .collect();
    assert_eq!(back, melody());
    assert_eq!(file.parts[1].notes.len(), comping().len());
    assert_eq!(file.parts[1].channel, 1);
}

#[test]
fn other_resolution_and_no_piano_part() {
    // 480 ticks per quarter, no track called Piano, melody not at a fixed index.
    let c = Corpus::from_bytes(&two_track_file(), &CorpusOptions::default()).unwrap();
    assert!(matches!(c.file, improv::corpus::FileKind::Midi { ticks_per_quarter: 480, .. }));
    assert_eq!(c.melody.label, "track 1 \"Tenor Sax\"");
    assert_eq!(c.chords.label, "track 2 \"Rhodes\"");
    // The line starts notes in two bars; the first is governed by Dm7.
    assert_eq!(c.measures.len(), 2);
    assert_eq!(c.measures[0].chords[0].keys, [50, 53, 57, 60]);
    let tokens = c.tokens();
    assert_eq!(tokens[0], "C,0.500");
    assert!(tokens.iter().any(|t| t.starts_with("C,0.333,<")), "triplets survive: {tokens:?}");
    // Explicit choice by name and by index.
    let by_name = CorpusOptions { melody: Some("tenor".into()), chords: Some("2".into()), window: None };
    assert_eq!(Corpus::from_bytes(&two_track_file(), &by_name).unwrap().tokens(), tokens);
}

fn ev(delta: u32, kind: TrackEventKind<'static>) -> TrackEvent<'static> {
    TrackEvent { delta: u28::new(delta), kind }
}

fn note(ch: u8, key: u8, vel: u8) -> TrackEventKind<'static> {
    TrackEventKind::Midi { channel: u4::new(ch), message: MidiMessage::NoteOn { key: u7::new(key), vel: u7::new(vel) } }
}

/// A type-0 file at 120 ticks per quarter: melody on channel 1, chords on channel 2,
/// note-offs written as note-on with velocity 0 and with running status.
fn type0_file() -> Vec<u8> {
    let mut track = vec![ev(0, TrackEventKind::Meta(MetaMessage::TrackName(b"Combo")))];
    for bar in 0..4u32 {
        let root = [50u8, 43, 48, 45][bar as usize];
        for k in [root, root + 3, root + 7, root + 10] {
            track.push(ev(0, note(1, k, 64)));
        }
        for beat in 0..4u32 {
            let key = [74u8, 77, 76, 72][((bar + beat) % 4) as usize];
            track.push(ev(0, note(0, key, 90)));
            track.push(ev(100, note(0, key, 0)));
            track.push(ev(20, TrackEventKind::Meta(MetaMessage::Marker(b""))));
        }
        for k in [root, root + 3, root + 7, root + 10] {
            track.push(ev(0, note(1, k, 0)));
        }
    }
    track.push(ev(0, TrackEventKind::Meta(MetaMessage::EndOfTrack)));
    let smf = Smf { header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(120))), tracks: vec![track] };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes).unwrap();
    bytes
}

#[test]
fn type0_file_splits_by_channel() {
    let c = Corpus::from_bytes(&type0_file(), &CorpusOptions::default()).unwrap();
    assert!(matches!(c.file, improv::corpus::FileKind::Midi { format: 0, .. }));
    assert_eq!(c.parts.len(), 2);
    assert_eq!(c.melody.label, "track 0 ch 1 \"Combo\"");
    assert_eq!(c.chords.label, "track 0 ch 2 \"Combo\"");
    assert_eq!(c.measures.len(), 4);
    assert!(c.tokens().iter().filter(|t| t.starts_with('C')).count() >= 8);
    // "0" is ambiguous in a type-0 file; TRACK:CHANNEL picks one.
    let ambiguous = CorpusOptions { melody: Some("0".into()), ..Default::default() };
    assert!(matches!(Corpus::from_bytes(&type0_file(), &ambiguous), Err(CorpusError::Ambiguous { .. })));
    let exact = CorpusOptions { melody: Some("0:1".into()), chords: Some("0:2".into()), window: None };
    assert_eq!(Corpus::from_bytes(&type0_file(), &exact).unwrap().tokens(), c.tokens());
}

#[test]
fn bad_bytes_are_errors_not_panics() {
    let metheny = std::fs::read(common::metheny()).unwrap();
    assert_eq!(MidiFile::parse(&[]), Err(MidiError::Empty));
    assert!(matches!(MidiFile::parse(b"hello, world: not a MIDI file"), Err(MidiError::Parse(_))));
    assert!(matches!(MidiFile::parse(&metheny[..metheny.len() / 2]), Err(MidiError::Truncated(_))));
    for cut in [14, 20, 23, 100, 5000] {
        assert!(MidiFile::parse(&metheny[..cut]).is_err(), "cut at {cut}");
    }
    let silent = write_smf(Conductor { bpm: 120.0, beats_per_bar: 4 }, &[]);
    assert_eq!(Corpus::from_bytes(&silent, &CorpusOptions::default()), Err(CorpusError::NoNotes));
}

/// A one-track file at 480 ticks per quarter from (delta, channel, key, velocity) events.
fn crafted(events: impl Iterator<Item = (u32, u8, u8, u8)>) -> Vec<u8> {
    let mut track: Vec<TrackEvent> = events.map(|(d, ch, k, v)| ev(d, note(ch, k, v))).collect();
    track.push(ev(0, TrackEventKind::Meta(MetaMessage::EndOfTrack)));
    let smf = Smf { header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(480))), tracks: vec![track] };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes).unwrap();
    bytes
}

/// Hostile stacks of notes: more than 256 sounding at once in a track (10,000
/// note-ons of one key at one tick; 10,000 open notes, then unmatched note-offs) are
/// refused with a clear error; 256 at once still read.
#[test]
fn stacked_notes_beyond_any_music_are_refused() {
    let same_key = crafted((0..10_000).map(|_| (0, 0, 72, 64)).chain((0..10_000).map(|_| (1, 0, 72, 0))));
    let open = crafted(
        (0..10_000).map(|i| (0, 0, (i % 128) as u8, 64)).chain((0..10_000).map(|i| (1, 1, (i % 128) as u8, 0))),
    );
    for bytes in [same_key, open] {
        let err = MidiFile::parse(&bytes).unwrap_err();
        assert_eq!(err, MidiError::TooManySounding { track: 0, limit: 256 });
        assert_eq!(
            err.to_string(),
            "track 0 has more than 256 notes sounding at once; that is not a part Improv can read"
        );
    }
    let most =
        crafted((0..256).map(|i| (0, 0, (i % 128) as u8, 64)).chain((0..256).map(|i| (1, 0, (i % 128) as u8, 0))));
    let file = MidiFile::parse(&most).unwrap();
    assert_eq!(file.parts.iter().map(|p| p.notes.len()).sum::<usize>(), 256);
}
