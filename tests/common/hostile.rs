//! The regression folder of hostile files, built by hand: each case an attacker or a
//! damaged download has brought (the hardening issue's list), one file each.
//! `tests/hostile_regressions.rs` runs every file through every entry point, the
//! plugin host test loads the weights files, and `cargo run --example
//! hostile_files FOLDER` writes them for a look or a longer fuzzing run.

/// What a file is meant to be read as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A Standard MIDI File (or what pretends to be one).
    Midi,
    /// A MusicXML lead sheet.
    Sheet,
    /// An Improv weights file.
    Weights,
    /// A Weimar Jazz Database melody table (CSV).
    Wjd,
}

/// One hostile file: its name, what it pretends to be, its bytes, and what Improv
/// must do with it (`None`: read; `Some(words)`: refused with a line saying them).
pub struct Hostile {
    pub name: &'static str,
    pub kind: Kind,
    pub bytes: Vec<u8>,
    pub refused: Option<&'static str>,
}

/// A single-track SMF around raw track bytes (end of track appended).
fn smf(ticks_per_quarter: u16, mut track: Vec<u8>) -> Vec<u8> {
    track.extend_from_slice(&[0, 0xFF, 0x2F, 0]);
    let mut file = b"MThd\0\0\0\x06\0\0\0\x01".to_vec();
    file.extend_from_slice(&ticks_per_quarter.to_be_bytes());
    file.extend_from_slice(b"MTrk");
    file.extend_from_slice(&(track.len() as u32).to_be_bytes());
    file.extend_from_slice(&track);
    file
}

/// A MIDI variable-length quantity.
fn vlq(mut v: u32, out: &mut Vec<u8>) {
    let mut bytes = vec![(v & 0x7F) as u8];
    v >>= 7;
    while v > 0 {
        bytes.push((v & 0x7F) as u8 | 0x80);
        v >>= 7;
    }
    out.extend(bytes.iter().rev());
}

/// Track bytes from (delta, status, key, velocity) events.
fn events(list: impl IntoIterator<Item = (u32, u8, u8, u8)>) -> Vec<u8> {
    let mut track = Vec::new();
    for (delta, status, key, velocity) in list {
        vlq(delta, &mut track);
        track.extend_from_slice(&[status, key, velocity]);
    }
    track
}

/// Recomputes a weights file's body length and checksum after an edit, as an
/// attacker would to get past the integrity check.
fn reseal(bytes: &mut [u8]) {
    let crc = crc32fast::hash(&bytes[24..]);
    bytes[20..24].copy_from_slice(&crc.to_le_bytes());
    let len = (bytes.len() - 24) as u64;
    bytes[12..20].copy_from_slice(&len.to_le_bytes());
}

/// The default weights (a format-2 body: n_values, hidden, then the vocabulary as a
/// count and strings, lengths as bincode varints) with the varint at `at` (24: the
/// header's length) replaced by `huge` as a u64 varint, resealed.
fn huge_length(at: usize, huge: u64) -> Vec<u8> {
    let mut bytes = improv::DEFAULT_WEIGHTS.to_vec();
    bytes.splice(24 + at..24 + at + 1, [253u8].into_iter().chain(huge.to_le_bytes()));
    reseal(&mut bytes);
    bytes
}

/// A lead sheet of one part around `measures`.
fn sheet(measures: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\"?>\n<score-partwise version=\"4.0\"><part-list><score-part id=\"P1\">\
         <part-name>Lead</part-name></score-part></part-list><part id=\"P1\">{measures}</part></score-partwise>\n"
    )
    .into_bytes()
}

const C7_BAR: &str = "<harmony><root><root-step>C</root-step></root><kind>dominant</kind></harmony>\
    <note><pitch><step>E</step><octave>4</octave></pitch><duration>4</duration></note>";

/// Every hostile file, in a fixed order.
pub fn files() -> Vec<Hostile> {
    let mut list = Vec::new();
    let mut add = |name, kind, bytes, refused| list.push(Hostile { name, kind, bytes, refused });

    // MIDI: a delta time of 0x0FFFFFFF ticks at one tick per quarter between two
    // chords (81 bytes; it once built 268 million beats of bars).
    let mut gap = events([(0, 0x90, 60, 64), (0, 0x90, 64, 64), (0, 0x90, 67, 64)]);
    gap.extend(events([(1, 0x80, 60, 0), (0, 0x80, 64, 0), (0, 0x80, 67, 0)]));
    gap.extend(events([(0x0FFF_FFFF, 0x90, 60, 64), (0, 0x90, 64, 64), (0, 0x90, 67, 64)]));
    gap.extend(events([(1, 0x80, 60, 0), (0, 0x80, 64, 0), (0, 0x80, 67, 0)]));
    add("gap-of-268-million-beats.mid", Kind::Midi, smf(1, gap), Some("more than the 10000"));
    // 10,000 note-ons of one key at one tick, their note-offs one tick later
    // (quadratic pairing once took 6.3 s).
    let same_key =
        events((0..10_000).map(|_| (0, 0x90, 72, 64)).chain((0..10_000).map(|i| (u32::from(i == 0), 0x80, 72, 0))));
    add("ten-thousand-on-one-key.mid", Kind::Midi, smf(480, same_key), Some("more than 256 notes sounding at once"));
    // 10,000 open notes, then 10,000 note-offs for keys that never sounded.
    let open = events(
        (0..10_000u32)
            .map(|i| (0, 0x90 | (i % 2) as u8, (i % 128) as u8, 64))
            .chain((0..10_000u32).map(|i| (u32::from(i == 0), 0x82, (i % 128) as u8, 0))),
    );
    add("ten-thousand-open-notes.mid", Kind::Midi, smf(480, open), Some("more than 256 notes sounding at once"));
    // 10,000 bars of one melody note and one C triad each: long, but real music.
    let mut long = Vec::new();
    for bar in 0..10_000u32 {
        let delta = if bar == 0 { 0 } else { 480 };
        long.extend(events([(delta, 0x90, 72, 80), (0, 0x91, 48, 60), (0, 0x91, 52, 60), (0, 0x91, 55, 60)]));
        long.extend(events([(1440, 0x80, 72, 0), (0, 0x81, 48, 0), (0, 0x81, 52, 0), (0, 0x81, 55, 0)]));
    }
    add("ten-thousand-bars.mid", Kind::Midi, smf(480, long), None);
    // A track name with a newline, an ANSI colour escape and a bell.
    let name = b"lead\n\x1b[31mred\x07!!";
    let mut named = vec![0, 0xFF, 0x03, name.len() as u8];
    named.extend_from_slice(name);
    named.extend(events([(0, 0x90, 72, 80), (480, 0x80, 72, 0)]));
    add("track-name-with-escapes.mid", Kind::Midi, smf(480, named), None);
    let solo = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/corpus/solos/blues_seed3.mid")).unwrap();
    add("truncated.mid", Kind::Midi, solo[..solo.len() / 2].to_vec(), Some("truncated or damaged"));
    add("empty.mid", Kind::Midi, Vec::new(), Some("empty file"));
    add(
        "text-named-mid.mid",
        Kind::Midi,
        b"these are not the notes you are looking for\n".to_vec(),
        Some("no MThd header"),
    );
    // A MIDI file whose header claims 65,535 tracks and holds one.
    let mut many_tracks = solo.clone();
    many_tracks[10..12].copy_from_slice(&[0xFF, 0xFF]);
    add("header-claims-65535-tracks.mid", Kind::Midi, many_tracks, Some("declares 65535 tracks"));
    // RIFF-wrapped MIDI (`.rmi`) is real music: read.
    let mut body = b"RMIDdata".to_vec();
    body.extend_from_slice(&(solo.len() as u32).to_le_bytes());
    body.extend_from_slice(&solo);
    let mut rmi = b"RIFF".to_vec();
    rmi.extend_from_slice(&(body.len() as u32).to_le_bytes());
    rmi.extend_from_slice(&body);
    add("riff-wrapped.rmi", Kind::Midi, rmi, None);

    // MusicXML: an entity that expands to billions of characters.
    let mut bomb = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lol [<!ENTITY a \"aaaaaaaaaa\">");
    for (i, prev) in ('b'..='j').zip('a'..) {
        bomb.push_str(&format!("<!ENTITY {i} \"{}\">", format!("&{prev};").repeat(10)));
    }
    bomb.push_str("]>\n<score-partwise><part id=\"P1\"><measure number=\"1\"><words>&j;</words></measure></part></score-partwise>\n");
    add("entity-bomb.musicxml", Kind::Sheet, bomb.into_bytes(), Some("entity reference loop"));
    // 200,000 nested elements (a recursive reader overflows its stack).
    let deep = format!("<score-partwise>{}{}</score-partwise>", "<a>".repeat(200_000), "</a>".repeat(200_000));
    add("deeply-nested.musicxml", Kind::Sheet, deep.into_bytes(), Some("no notes"));
    // A meter change mid-tune.
    let meter = |beats: u32, n: u32| {
        format!(
            "<measure number=\"{n}\"><attributes><divisions>1</divisions><time><beats>{beats}</beats>\
             <beat-type>4</beat-type></time></attributes>{C7_BAR}</measure>"
        )
    };
    add(
        "meter-change.musicxml",
        Kind::Sheet,
        sheet(&format!("{}{}", meter(4, 1), meter(3, 2))),
        Some("time signature changes"),
    );
    // Divisions that would make exact offsets overflow.
    let divisions: String = [999_983u32, 999_979, 999_961]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "<measure number=\"{}\"><attributes><divisions>{d}</divisions></attributes>{C7_BAR}</measure>",
                i + 1
            )
        })
        .collect();
    add("coprime-divisions.musicxml", Kind::Sheet, sheet(&divisions), Some("too fine to follow"));
    // A zip that claims to be a compressed lead sheet.
    add(
        "not-a-zip.mxl",
        Kind::Sheet,
        b"PK\x03\x04 and then nothing a zip reader wants".to_vec(),
        Some("broken .mxl archive"),
    );

    // Weights: length fields of 2^40 and 2^63 under a valid checksum (the decoder
    // once allocated them up front and aborted the process): the vocabulary's count,
    // and its first string's length.
    add("vocabulary-count-2-pow-40.bin", Kind::Weights, huge_length(2, 1 << 40), Some("corrupt weights file"));
    add("string-length-2-pow-40.bin", Kind::Weights, huge_length(3, 1 << 40), Some("a length field asks for more"));
    add("string-length-2-pow-63.bin", Kind::Weights, huge_length(3, 1 << 63), Some("a length field asks for more"));
    let good = improv::default_weights().unwrap();
    // Finite but huge weights: the logits overflow and one token repeats.
    let mut huge = good.clone();
    huge.params.dense.iter_mut().enumerate().for_each(|(i, w)| *w = if i % 2 == 0 { 3.4e38 } else { -3.4e38 });
    add("overflowing-weights.bin", Kind::Weights, huge.to_bytes(), Some("not a probability distribution"));
    // A model that only ever draws rests.
    let mut silent = good.clone();
    for (i, v) in good.vocabulary.values().iter().enumerate() {
        silent.params.dense_bias[i] = if v.starts_with('R') { 1e4 } else { -1e4 };
    }
    add("only-rests.bin", Kind::Weights, silent.to_bytes(), Some("drew no note"));
    // A NaN weight (the file's checksum is valid: it was written so).
    let mut nan = good.clone();
    nan.params.dense[[0, 7]] = f32::NAN;
    add("nan-weight.bin", Kind::Weights, nan.to_bytes(), Some("not a finite number"));
    // One flipped bit, checksum left as it was.
    let mut flipped = good.to_bytes();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x10;
    add("bit-flip.bin", Kind::Weights, flipped, Some("checksum mismatch"));
    // A source file name with a newline and an escape, as a renamed training file has.
    let mut named = good.clone();
    named.sources[0].name = "solo\n\x1b[2Jcleared.mid".into();
    add("source-name-with-escapes.bin", Kind::Weights, named.to_bytes(), None);
    add("truncated.bin", Kind::Weights, improv::DEFAULT_WEIGHTS[..1000].to_vec(), Some("truncated weights file"));
    // The masters' format (4, a model that hears): cut short, a layout this build
    // does not know, a NaN in a heard feature's row, a seed-grammar vocabulary.
    let masters = improv::masters_weights().unwrap();
    let cut = improv::MASTERS_WEIGHTS[..improv::MASTERS_WEIGHTS.len() / 3].to_vec();
    add("masters-truncated.bin", Kind::Weights, cut, Some("truncated weights file"));
    let other_layout = improv::model::Weights { hearing: 7, ..masters.clone() };
    add("masters-other-layout.bin", Kind::Weights, other_layout.to_bytes(), Some("layout 7"));
    let mut heard_nan = masters.clone();
    let row = heard_nan.params.n_values();
    heard_nan.params.kernel[[row, 0]] = f32::NAN;
    add("masters-nan-in-a-heard-row.bin", Kind::Weights, heard_nan.to_bytes(), Some("not a finite number"));
    let mut seed_tokens = masters.clone();
    let mut values = seed_tokens.vocabulary.values().to_vec();
    values[0] = "C,0.250,<M2,d-4>".into();
    values.sort();
    seed_tokens.vocabulary = improv::grammar::Vocabulary::from_sorted(values).unwrap();
    add("masters-seed-vocabulary.bin", Kind::Weights, seed_tokens.to_bytes(), Some("masters' grammar"));

    // WJD melody tables.
    let wjd = |rows: &[&str]| {
        let mut text = WJD_HEADER.to_string();
        rows.iter().for_each(|r| text.push_str(&format!("{r}\n")));
        text.into_bytes()
    };
    let good = "10.3,0.2,4,2,0,1,1,0.4,4/4,65,0.1,60,1,1,1,C-7,A1,x";
    add("wjd-wrong-column-count.csv", Kind::Wjd, wjd(&[good, "10.5,0.2,4"]), Some("not a readable CSV table"));
    add(
        "wjd-bar-of-a-billion.csv",
        Kind::Wjd,
        wjd(&[good, "10.5,0.2,4,2,1000000000,1,2,0.4,4/4,67,0.1,60,1,0,1,C-7,A1,x"]),
        Some("bar 1000000000 is not a whole number"),
    );
    add(
        "wjd-nan-onset.csv",
        Kind::Wjd,
        wjd(&["NaN,0.2,4,2,0,1,1,0.4,4/4,65,0.1,60,1,1,1,C-7,A1,x"]),
        Some("is not a finite number"),
    );
    add("wjd-header-only.csv", Kind::Wjd, wjd(&[]), Some("a header and no rows"));
    add(
        "wjd-missing-columns.csv",
        Kind::Wjd,
        b"onset,bar,beat,pitch\n1.0,0,1,60\n".to_vec(),
        Some("no \"duration\" column"),
    );
    let mut garbage = WJD_HEADER.as_bytes().to_vec();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    add("wjd-header-then-binary.csv", Kind::Wjd, garbage, Some("line"));
    let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8 | 0x80).collect();
    add("binary-garbage.csv", Kind::Wjd, noise, Some("MIDI"));
    let escape = "10.3,0.2,4,2,0,1,1,0.4,4/4,65,0.1,60,1,1,1,\u{1b}[2JC-7,A1,x";
    let rows: Vec<String> =
        (0..8).map(|i| format!("{},0.2,4,2,{},1,1,0.4,4/4,65,0.1,60,1,1,1,C-7,A1,x", i, i)).collect();
    let mut with_escape: Vec<&str> = rows.iter().map(String::as_str).collect();
    with_escape.insert(1, escape);
    add("wjd-escape-codes-in-a-chord.csv", Kind::Wjd, wjd(&with_escape), None);
    list
}

/// The header of a WJD melody table (MeloSpyGUI's export).
pub const WJD_HEADER: &str = "onset,duration,period,division,bar,beat,tatum,beat_duration,signature,pitch,loud_max,loud_median,phrase_id,phrase_begin,chorus_id,chord,form,idea\n";
