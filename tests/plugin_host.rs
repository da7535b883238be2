//! The bundled plugin in a real CLAP host (clack-host, in process): hold Dm7, play
//! 8 bars at 120 BPM, and check what comes out. Needs the bundles that
//! `scripts/test.sh` builds first with `cargo xtask bundle`, in
//! `target/test-bundles/`: `alloc-check/` (debug, nice-plug's
//! `assert_process_allocs`: any allocation in `process()` aborts the process — every
//! scenario below runs on it; with `IMPROV_TEST_ALLOCATE_IN_PROCESS` set it allocates
//! there on purpose, to show the check can fail).
#![cfg(all(target_os = "linux", feature = "plugin"))]

mod common;

use clack_host::events::event_types::{NoteOffEvent, NoteOnEvent, TransportEvent, TransportFlags};
use clack_host::events::spaces::CoreEventSpace;
use clack_host::events::{EventFlags, EventHeader, Pckn};
use clack_host::prelude::*;
use clack_host::utils::{BeatTime, SecondsTime};
use improv::grammar::{Harmony, NoteType, classify};
use rand::{Rng, SeedableRng};
use std::path::PathBuf;

struct Shared;
impl<'a> SharedHandler<'a> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}
struct TestHost;
impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

const DM7: [u8; 4] = [50, 53, 57, 60];
/// Input chord channel (MIDI channel 2); generated notes come out on channel 1.
const INPUT_CHANNEL: u16 = 1;
const TEMPO: f64 = 120.0;
const BARS: f64 = 8.0;

fn bundle(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(default));
    assert!(path.exists(), "{} is missing: run `bash scripts/test.sh` (it bundles the plugin first)", path.display());
    path
}

/// One output event, with its block.
#[derive(Debug, Clone, Copy)]
struct Out {
    block_start: u64,
    block_len: u32,
    time: u32,
    on: bool,
    key: u8,
    channel: u8,
    velocity: f64,
    /// The host's beat position at the start of the event's block.
    block_beat: f64,
}

impl Out {
    /// The event's beat position on the host's timeline.
    fn beat(&self, samples_per_beat: f64) -> f64 {
        self.block_beat + self.time as f64 / samples_per_beat
    }
}

struct Scenario {
    sample_rate: f64,
    tempo: f64,
    bars: f64,
    /// Parameters set through the host before activation: (name, value, plain min, plain max).
    params: Vec<(&'static str, f64, f64, f64)>,
    blocks: Box<dyn FnMut() -> u32 + Send>,
    transport: bool,
    /// (at beat, to beat): the host loops back once.
    jump: Option<(f64, f64)>,
    /// (loop end, landing beat): every time the position reaches the loop end, the
    /// next block starts at the landing beat (a few samples after the loop start, as
    /// a host's latency compensation puts it).
    seam: Option<(f64, f64)>,
    /// The beat position of the first block (negative: a latency pre-roll).
    start: f64,
    /// The block in which the chord's note-on arrives.
    chord_block: u64,
    /// Hold Dm7 (`DM7`) from `chord_block`; off when `notes` brings its own chords.
    hold: bool,
    /// Input notes on the input channel: (beat, on, key), each sent in the block
    /// that contains its beat, at its sample there.
    notes: Vec<(f64, bool, u8)>,
    /// The channel the input arrives on (0 = MIDI channel 1, the line's own).
    input_channel: u16,
    /// The CLAP id of the plugin to run (`None`: the bundle's first, the note effect).
    plugin: Option<&'static std::ffi::CStr>,
    /// Parameter changes while playing: (beat, name, normalised value 0–1), each
    /// sent at the start of the block that contains its beat, on every pass.
    automation: Vec<(f64, &'static str, f64)>,
}

impl Scenario {
    /// Dm7 held for 8 bars at 120 BPM with a playing transport, in blocks from `blocks`.
    fn held(sample_rate: f64, blocks: Box<dyn FnMut() -> u32 + Send>) -> Self {
        Scenario {
            sample_rate,
            tempo: TEMPO,
            bars: BARS,
            params: vec![],
            blocks,
            transport: true,
            jump: None,
            seam: None,
            start: 0.0,
            chord_block: 0,
            hold: true,
            notes: Vec::new(),
            input_channel: INPUT_CHANNEL,
            plugin: None,
            automation: Vec::new(),
        }
    }
}

struct Run {
    events: Vec<Out>,
    /// The left channel of the audio output, every sample of the run.
    audio: Vec<f32>,
    stop_block: (u64, u32),
    samples_per_beat: f64,
}

fn transport_event(pos: f64, playing: bool, tempo: f64) -> TransportEvent {
    let mut flags =
        TransportFlags::HAS_TEMPO | TransportFlags::HAS_BEATS_TIMELINE | TransportFlags::HAS_SECONDS_TIMELINE;
    if playing {
        flags |= TransportFlags::IS_PLAYING;
    }
    TransportEvent {
        header: EventHeader::new_core(0, EventFlags::empty()),
        flags,
        song_pos_beats: BeatTime::from_float(pos),
        song_pos_seconds: SecondsTime::from_float(pos * 60.0 / tempo),
        tempo,
        tempo_inc: 0.0,
        loop_start_beats: BeatTime::from_int(0),
        loop_end_beats: BeatTime::from_int(0),
        loop_start_seconds: SecondsTime::from_int(0),
        loop_end_seconds: SecondsTime::from_int(0),
        bar_start: BeatTime::from_int(0),
        bar_number: 0,
        time_signature_numerator: 4,
        time_signature_denominator: 4,
    }
}

/// A fresh instance of the bundle's (only) plugin.
fn instance(entry: &PluginEntry) -> PluginInstance<TestHost> {
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let id = factory.plugin_descriptors().next().unwrap().id().unwrap().to_owned();
    instance_of(entry, &id)
}

/// A fresh instance of the bundle's plugin `id`.
fn instance_of(entry: &PluginEntry, id: &std::ffi::CStr) -> PluginInstance<TestHost> {
    let info = HostInfo::new("improv-test", "improv", "https://example.invalid", "0.1").unwrap();
    PluginInstance::<TestHost>::new(|_| Shared, |_| (), entry, id, &info).unwrap()
}

fn run(path: &PathBuf, mut sc: Scenario) -> Run {
    // SAFETY: the bundle is our own plugin, built by scripts/test.sh.
    let entry = unsafe { PluginEntry::load(path) }.expect("load the bundle");
    let mut instance = match sc.plugin {
        Some(id) => instance_of(&entry, id),
        None => instance(&entry),
    };
    if !sc.params.is_empty() {
        state::set(&mut instance, &sc.params);
    }
    let automation: Vec<(f64, clack_host::utils::ClapId, f64)> = {
        use clack_extensions::params::{ParamInfoBuffer, PluginParams};
        let h = instance.plugin_handle();
        let ext: Option<PluginParams> = h.get_extension();
        let mut buf = ParamInfoBuffer::new();
        sc.automation
            .iter()
            .map(|&(beat, name, v)| {
                let ext = ext.as_ref().expect("params extension");
                for i in 0..ext.count(&h) {
                    let info = ext.get_info(&h, i, &mut buf).unwrap();
                    if info.name == name.as_bytes() {
                        return (beat, info.id, info.min_value + v * (info.max_value - info.min_value));
                    }
                }
                panic!("no parameter {name}")
            })
            .collect()
    };
    let tempo = sc.tempo;
    let config = PluginAudioConfiguration { sample_rate: sc.sample_rate, min_frames_count: 1, max_frames_count: 4096 };
    let stopped = instance.activate(|_, _| (), config).unwrap();
    let samples_per_beat = sc.sample_rate * 60.0 / tempo;
    let total = (sc.bars * 4.0 * samples_per_beat) as u64;
    let result = std::thread::scope(|s| {
        s.spawn(move || {
            let mut proc = stopped.start_processing().unwrap();
            let mut input = EventBuffer::new();
            let mut out = EventBuffer::new();
            let mut events = Vec::new();
            let mut pos = sc.start;
            let mut sample = 0u64;
            let mut jumped = false;
            let stop_block;
            let mut block_no = 0;
            let mut audio = Vec::new();
            let mut output_ports = AudioPorts::with_capacity(2, 1);
            let mut buffers = vec![vec![f32::NAN; 4096]; 2];
            let input_channel = sc.input_channel;
            loop {
                let stopping = sample >= total;
                let len = (sc.blocks)().clamp(1, 4096);
                input.clear();
                for &(beat, on, key) in &sc.notes {
                    let offset = (beat - pos) * samples_per_beat;
                    if offset >= 0.0 && offset < len as f64 {
                        let pckn = Pckn::new(0u16, input_channel, key as u16, 0u32);
                        let t = offset as u32;
                        if on {
                            input.push(&NoteOnEvent::new(t, pckn, 0.8));
                        } else {
                            input.push(&NoteOffEvent::new(t, pckn, 0.0));
                        }
                    }
                }
                if block_no == sc.chord_block && sc.hold {
                    for k in DM7 {
                        input.push(&NoteOnEvent::new(0, Pckn::new(0u16, input_channel, k as u16, 0u32), 0.8));
                    }
                }
                if stopping && sc.hold {
                    for k in DM7 {
                        input.push(&NoteOffEvent::new(0, Pckn::new(0u16, input_channel, k as u16, 0u32), 0.0));
                    }
                }
                if let Some((at, to)) = sc.jump
                    && !jumped
                    && pos >= at
                {
                    pos = to;
                    jumped = true;
                }
                if let Some((end, land)) = sc.seam
                    && pos >= end
                {
                    pos = land;
                }
                for &(beat, id, value) in &automation {
                    let offset = (beat - pos) * samples_per_beat;
                    if offset >= 0.0 && offset < len as f64 {
                        use clack_host::events::event_types::ParamValueEvent;
                        input.push(&ParamValueEvent::new(0, id, Pckn::match_all(), value));
                    }
                }
                let t = transport_event(pos, !stopping, tempo);
                let ins = unsafe { InputAudioBuffers::from_raw_buffers(&[], len) };
                // The stereo output, filled with NaN: the plugin must write every sample.
                for b in &mut buffers {
                    b.fill(f32::NAN);
                }
                let mut outs = output_ports.with_output_buffers([AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_output_only(buffers.iter_mut().map(|b| &mut b[..len as usize])),
                }]);
                out.clear();
                let transport = if sc.transport { Some(&t) } else { None };
                proc.process(&ins, &mut outs, &input.as_input(), &mut out.as_output(), Some(sample), transport)
                    .unwrap();
                assert_eq!(buffers[0][..len as usize], buffers[1][..len as usize], "both channels carry the voice");
                audio.extend_from_slice(&buffers[0][..len as usize]);
                for ev in out.iter() {
                    let (on, raw_time, key, channel, velocity) = match ev.as_core_event() {
                        Some(CoreEventSpace::NoteOn(e)) => {
                            (true, e.header().time(), e.as_raw().key, e.as_raw().channel, e.as_raw().velocity)
                        }
                        Some(CoreEventSpace::NoteOff(e)) => {
                            (false, e.header().time(), e.as_raw().key, e.as_raw().channel, e.as_raw().velocity)
                        }
                        _ => continue,
                    };
                    events.push(Out {
                        block_start: sample,
                        block_len: len,
                        time: raw_time,
                        on,
                        key: key as u8,
                        channel: channel as u8,
                        velocity,
                        block_beat: pos,
                    });
                }
                if stopping {
                    stop_block = (sample, len);
                    // One more stopped block: nothing may sound any more.
                    let t = transport_event(pos, false, tempo);
                    out.clear();
                    input.clear();
                    let ins = unsafe { InputAudioBuffers::from_raw_buffers(&[], 64) };
                    let mut outs = output_ports.with_output_buffers([AudioPortBuffer {
                        latency: 0,
                        channels: AudioPortBufferType::f32_output_only(buffers.iter_mut().map(|b| &mut b[..64])),
                    }]);
                    let transport = if sc.transport { Some(&t) } else { None };
                    proc.process(
                        &ins,
                        &mut outs,
                        &input.as_input(),
                        &mut out.as_output(),
                        Some(sample + len as u64),
                        transport,
                    )
                    .unwrap();
                    assert_eq!(out.len(), 0, "events after the stop block");
                    break;
                }
                sample += len as u64;
                pos += len as f64 / samples_per_beat;
                block_no += 1;
            }
            (proc.stop_processing(), events, stop_block, audio)
        })
        .join()
        .unwrap()
    });
    let (stopped, events, stop_block, audio) = result;
    instance.deactivate(stopped);
    Run { events, audio, stop_block, samples_per_beat }
}

/// The acceptance checks on one run.
fn check(run: &Run, expect_notes: bool) {
    let generated: Vec<&Out> = run.events.iter().filter(|e| e.channel == 0).collect();
    // Times inside their block and non-decreasing within it.
    let mut last: Option<(u64, u32)> = None;
    for e in &run.events {
        assert!(e.time < e.block_len, "event at {} in a block of {}", e.time, e.block_len);
        if let Some((block, t)) = last
            && block == e.block_start
        {
            assert!(e.time >= t, "events out of order in block {block}");
        }
        last = Some((e.block_start, e.time));
    }
    // Every note-on has its note-off, and everything is released in the stop block.
    let mut sounding = [0i32; 128];
    for e in &generated {
        sounding[e.key as usize] += if e.on { 1 } else { -1 };
        assert!(sounding[e.key as usize] >= 0 && sounding[e.key as usize] <= 1, "key {} on twice", e.key);
    }
    assert!(
        sounding.iter().all(|&s| s == 0),
        "stuck notes: {:?}",
        sounding.iter().enumerate().filter(|(_, s)| **s != 0).collect::<Vec<_>>()
    );
    let ons: Vec<&&Out> = generated.iter().filter(|e| e.on).collect();
    if !expect_notes {
        assert!(ons.is_empty(), "no transport: silence, got {} notes", ons.len());
        return;
    }
    let last_off = generated.iter().filter(|e| !e.on).map(|e| e.block_start + e.time as u64).max().unwrap();
    assert!(last_off < run.stop_block.0 + run.stop_block.1 as u64, "released within the stop block");
    // From the first beat on.
    let first = ons.first().map(|e| e.block_start + e.time as u64).expect("notes");
    assert!((first as f64) < run.samples_per_beat, "first note at sample {first}");
    // Inside the default register, and mostly chord or scale tones of Dm7.
    let harmony = Harmony::new(&DM7);
    let mut fitting = 0;
    for e in &ons {
        assert!((55..=84).contains(&e.key), "key {} outside the register", e.key);
        if matches!(classify(e.key, &harmony), NoteType::Chord | NoteType::Scale) {
            fitting += 1;
        }
    }
    let share = fitting as f64 / ons.len() as f64;
    eprintln!("{} note-ons, {:.1}% chord or scale tones of Dm7", ons.len(), share * 100.0);
    assert!(ons.len() >= 16, "only {} notes in 8 bars", ons.len());
    // The masters play 79 % chord or scale tones (52 % + 27 % over the WJD, with
    // 21 % approach tones); over one held chord the line must stay mostly inside it.
    assert!(share >= 0.6, "{:.0}% chord or scale tones of Dm7", share * 100.0);
    // The chord was passed through on its own channel, at its own velocity, and released.
    let passed: Vec<&Out> = run.events.iter().filter(|e| e.channel == INPUT_CHANNEL as u8 && e.on).collect();
    assert_eq!(passed.len(), 4);
    assert!(passed.iter().all(|e| e.velocity as f32 == 0.8), "pass-through keeps the input's velocity");
}

/// With the voice off (the note effect's default) the bus carries exact silence.
fn silent(run: &Run) {
    assert!(run.audio.iter().all(|&x| x == 0.0), "the bus is silent with Voice Off");
}

fn fixed(n: u32) -> Box<dyn FnMut() -> u32 + Send> {
    Box::new(move || n)
}

#[test]
fn holds_dm7_at_three_sample_rates() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    for sr in [44_100.0, 48_000.0, 96_000.0] {
        let r = run(&path, Scenario::held(sr, fixed(512)));
        check(&r, true);
        silent(&r);
    }
}

#[test]
fn random_block_sizes_from_1_to_4096() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let r = run(&path, Scenario::held(48_000.0, Box::new(move || rng.random_range(1..=4096))));
    check(&r, true);
    silent(&r);
}

#[test]
fn backward_loop_jump() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let r = run(&path, Scenario { jump: Some((12.0, 4.0)), ..Scenario::held(48_000.0, fixed(480)) });
    check(&r, true);
}

/// A latency pre-roll: the first playing block ends just after beat 0 and holds no
/// chord; the chord's note-on comes in the next block. The line still starts in the
/// first beat (Ardour with 1024-sample blocks and 272 samples of latency started it
/// a beat late), at every block size.
#[test]
fn a_pre_roll_block_before_the_chord_does_not_lose_the_first_beat() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let spb = 48_000.0 * 60.0 / TEMPO;
    for len in [64u32, 256, 1024, 2048] {
        // The pre-roll block ends 5 samples after beat 0.
        let start = (5.0 - len as f64) / spb;
        let r = run(&path, Scenario { start, chord_block: 1, ..Scenario::held(48_000.0, fixed(len)) });
        let first = r.events.iter().find(|e| e.on && e.channel == 0).expect("notes");
        let beat = first.beat(r.samples_per_beat);
        assert!((0.0..1.0).contains(&beat), "{len}-sample blocks: the first note at beat {beat:.3}");
    }
}

/// A loop whose every pass begins a few samples after the loop start (latency
/// compensation): every pass plays from the loop's first beat, on the host's bars.
#[test]
fn every_loop_pass_starts_on_the_loops_first_beat() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let spb = 48_000.0 * 60.0 / TEMPO;
    for (len, late) in [(256u32, 64.0), (512, 128.0), (1024, 250.0), (1024, 272.0), (2048, 528.0)] {
        let loop_end = 8.0;
        let r = run(&path, Scenario { seam: Some((loop_end, late / spb)), ..Scenario::held(48_000.0, fixed(len)) });
        // Passes: runs of blocks between seams (the block position goes backwards).
        let ons: Vec<f64> =
            r.events.iter().filter(|e| e.on && e.channel == 0).map(|e| e.beat(r.samples_per_beat)).collect();
        let mut passes: Vec<Vec<f64>> = vec![vec![]];
        let mut last = f64::NEG_INFINITY;
        for &b in &ons {
            if b < last - 1.0 {
                passes.push(vec![]);
            }
            passes.last_mut().unwrap().push(b);
            last = b;
        }
        check(&r, true);
        assert!(passes.len() >= 3, "{len}/{late}: {} passes", passes.len());
        for (i, pass) in passes.iter().enumerate() {
            let first = pass[0];
            assert!(first < 1.0, "{len}-sample blocks, {late} samples late: pass {i} starts at beat {first:.3}");
        }
    }
}

/// Improv's notes of a run as (sample, key, velocity) note-ons, with the most
/// line notes sounding at once (note-offs first at equal samples).
fn line_notes(r: &Run) -> (Vec<(u64, u8, f64)>, i32) {
    let mut ev: Vec<(u64, bool, u8, f64)> = r
        .events
        .iter()
        .filter(|e| e.channel == 0)
        .map(|e| (e.block_start + e.time as u64, e.on, e.key, e.velocity))
        .collect();
    ev.sort_by_key(|&(t, on, _, _)| (t, on));
    let (mut sounding, mut most) = (0, 0);
    for &(_, on, _, _) in &ev {
        sounding += if on { 1 } else { -1 };
        most = most.max(sounding);
    }
    (ev.into_iter().filter(|e| e.1).map(|(t, _, k, v)| (t, k, v)).collect(), most)
}

/// Auto feel, a new instance's: swung, laid back and shaded, the same notes to the
/// sample at 64 to 2048 samples a block, one note at a time, none stuck, and no
/// allocation (the alloc-check bundle aborts if process() allocates).
#[test]
fn auto_feel_is_sample_accurate_at_every_block_size() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let params = vec![("Same solo every play", 1.0, 0.0, 1.0), ("Seed", 5.0, 0.0, 9999.0)];
    let mut reference: Option<Vec<(u64, u8, f64)>> = None;
    for len in [64u32, 333, 1024, 2048] {
        let r = run(&path, Scenario { params: params.clone(), ..Scenario::held(48_000.0, fixed(len)) });
        check(&r, true);
        let (ons, most) = line_notes(&r);
        assert_eq!(most, 1, "{len}-sample blocks: notes overlap");
        match &reference {
            None => {
                let spb = r.samples_per_beat;
                let on_grid = ons.iter().filter(|o| ((o.0 as f64 / spb * 12.0).fract()) < 0.05).count();
                let v: Vec<f64> = ons.iter().map(|o| o.2 * 127.0).collect();
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
                eprintln!("Auto feel: {} notes, {on_grid} on the grid, velocity {mean:.1} ± {sd:.1}", ons.len());
                assert!(on_grid * 10 < ons.len(), "laid back: {on_grid} of {} onsets on the grid", ons.len());
                assert!(sd >= 6.0, "velocity sd {sd:.1}");
                reference = Some(ons);
            }
            Some(first) => {
                assert_eq!(ons.len(), first.len(), "{len}-sample blocks: as many notes as at 64");
                for (a, b) in ons.iter().zip(first) {
                    assert_eq!((a.1, a.2), (b.1, b.2), "{len}-sample blocks: the same notes");
                    assert!(a.0.abs_diff(b.0) <= 1, "{len}-sample blocks: onset at {} against {}", a.0, b.0);
                }
            }
        }
    }
}

#[test]
fn no_transport_is_silence() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let r = run(&path, Scenario { transport: false, ..Scenario::held(48_000.0, fixed(512)) });
    check(&r, false);
}

#[test]
fn both_formats_export_their_entry_points() {
    let clap = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let vst3 = clap.with_file_name("Improv.vst3").join("Contents/x86_64-linux/Improv.so");
    assert!(vst3.is_file(), "{} missing", vst3.display());
    for (path, symbol) in [(&clap, "clap_entry"), (&vst3, "GetPluginFactory")] {
        // SAFETY: loading our own bundle to look up a symbol; nothing is called.
        let lib = unsafe { libloading::Library::new(path) }.expect("dlopen");
        let found = unsafe { lib.get::<*const ()>(symbol.as_bytes()) };
        assert!(found.is_ok(), "{symbol} in {}", path.display());
    }
}

/// Runs the same scenario on the debug bundle built with `assert_process_allocs`,
/// in a child process: an allocation in `process()` aborts it.
#[test]
fn alloc_checked_debug_bundle_runs_clean() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let out = child(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the alloc-checked plugin aborted: {stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"), "{}", String::from_utf8_lossy(&out.stdout));
}

/// The harness can fail: a build that allocates in `process()` aborts the child.
#[test]
fn alloc_check_catches_an_allocating_build() {
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let out = child_with(&path, true);
    assert!(!out.status.success(), "an allocating process() must abort");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("memory allocation of 64 bytes failed"), "{stderr}");
}

fn child(path: &PathBuf) -> std::process::Output {
    child_with(path, false)
}

/// The alloc-check child on a bundle, its process() allocating on purpose if asked.
fn child_with(path: &PathBuf, allocate: bool) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", "alloc_check_child", "--ignored", "--nocapture"]).env("IMPROV_ALLOC_CHILD", path);
    if allocate {
        command.env("IMPROV_TEST_ALLOCATE_IN_PROCESS", "1");
    } else {
        command.env_remove("IMPROV_TEST_ALLOCATE_IN_PROCESS");
    }
    command.output().unwrap()
}

#[test]
#[ignore = "run by alloc_checked_debug_bundle_runs_clean in a child process"]
fn alloc_check_child() {
    let path = PathBuf::from(std::env::var_os("IMPROV_ALLOC_CHILD").expect("child only"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    // The instrument, its voice sounding the line and the held chord: the voice too
    // must not allocate.
    let r = run(
        &path,
        Scenario {
            jump: Some((12.0, 4.0)),
            plugin: Some(c"invalid.example.improv.instrument"),
            ..Scenario::held(48_000.0, Box::new(move || rng.random_range(1..=2048)))
        },
    );
    check(&r, true);
    assert!(r.audio.iter().any(|&x| x != 0.0), "the voice sounded");
}

mod state {
    use super::*;
    use clack_extensions::params::{ParamInfoBuffer, PluginParams};
    use clack_extensions::state::PluginState;
    use clack_host::events::event_types::ParamValueEvent;

    /// nice-plug's CLAP state: a little-endian u64 length, then JSON.
    fn json(state: &[u8]) -> serde_json::Value {
        let len = u64::from_le_bytes(state[..8].try_into().unwrap()) as usize;
        assert_eq!(len, state.len() - 8);
        serde_json::from_slice(&state[8..]).expect("JSON state")
    }

    fn framed(json: &serde_json::Value) -> Vec<u8> {
        let body = serde_json::to_vec(json).unwrap();
        let mut out = (body.len() as u64).to_le_bytes().to_vec();
        out.extend(body);
        out
    }

    fn save(inst: &mut PluginInstance<TestHost>) -> Vec<u8> {
        let h = inst.plugin_handle();
        let ext: PluginState = h.get_extension().expect("state extension");
        let mut bytes = Vec::new();
        ext.save(&h, &mut bytes).expect("save");
        bytes
    }

    fn load(inst: &mut PluginInstance<TestHost>, bytes: &[u8]) {
        let h = inst.plugin_handle();
        let ext: PluginState = h.get_extension().expect("state extension");
        ext.load(&h, &mut &bytes[..]).expect("load");
    }

    /// Sets parameters by display name through the host's param flush; each value is
    /// given with its plain range and mapped onto the range the plugin reports.
    pub fn set(inst: &mut PluginInstance<TestHost>, values: &[(&str, f64, f64, f64)]) {
        let h = inst.plugin_handle();
        let params: PluginParams = h.get_extension().expect("params extension");
        let mut buf = ParamInfoBuffer::new();
        let mut events = EventBuffer::new();
        for i in 0..params.count(&h) {
            let info = params.get_info(&h, i, &mut buf).unwrap();
            let name = String::from_utf8_lossy(info.name).to_string();
            if let Some((_, v, lo, hi)) = values.iter().find(|(n, ..)| *n == name) {
                let value = info.min_value + (v - lo) / (hi - lo) * (info.max_value - info.min_value);
                events.push(&ParamValueEvent::new(0, info.id, Pckn::match_all(), value));
            }
        }
        assert_eq!(events.len() as usize, values.len(), "every parameter found");
        let mut out = EventBuffer::new();
        let mut inactive = inst.inactive_plugin_handle().unwrap();
        params.flush(&mut inactive, &events.as_input(), &mut out.as_output());
    }

    /// A project saved before the Feel parameter existed loads as Manual (so it sounds
    /// as it did); a new instance starts on Auto.
    #[test]
    fn a_project_from_before_feel_loads_as_manual() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        // SAFETY: our own bundle.
        let entry = unsafe { PluginEntry::load(&path) }.unwrap();
        let mut fresh = instance(&entry);
        let mut state = json(&save(&mut fresh));
        assert_eq!(state["params"]["feel"], serde_json::json!({ "string": "auto" }), "new instances: Auto");
        let params = state["params"].as_object_mut().unwrap();
        params.remove("feel");
        params.remove("lay_back");
        params.insert("swing".into(), serde_json::json!({ "f32": 0.4 }));
        let mut old = instance(&entry);
        load(&mut old, &framed(&state));
        let restored = json(&save(&mut old));
        assert_eq!(restored["params"]["feel"], serde_json::json!({ "string": "manual" }));
        assert_eq!(restored["params"]["swing"], serde_json::json!({ "f32": 0.4 }), "its own values kept");
    }

    #[test]
    fn parameters_save_and_restore_byte_identically() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        // SAFETY: our own bundle.
        let entry = unsafe { PluginEntry::load(&path) }.unwrap();
        let mut a = instance(&entry);
        set(
            &mut a,
            &[
                ("Temperature", 1.25, 0.0, 2.0),
                ("Top-k", 7.0, 0.0, 90.0),
                ("Swing", 0.5, 0.0, 1.0),
                ("Output channel", 3.0, 1.0, 16.0),
                ("Same solo every play", 1.0, 0.0, 1.0),
            ],
        );
        let saved = save(&mut a);
        let json = json(&saved);
        assert_eq!(json["params"]["temperature"]["f32"], 1.25);
        assert_eq!(json["params"]["top_k"]["i32"], 7);
        assert_eq!(json["params"]["channel"]["i32"], 3);
        assert_eq!(json["params"]["same_solo"]["bool"], true);
        assert!(json["fields"]["weights-path"].is_string());
        let mut b = instance(&entry);
        load(&mut b, &saved);
        assert_eq!(save(&mut b), saved, "restored state saves back identically");
    }

    #[test]
    fn a_missing_weights_file_on_restore_falls_back_to_the_embedded_weights() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        // SAFETY: our own bundle.
        let entry = unsafe { PluginEntry::load(&path) }.unwrap();
        let mut a = instance(&entry);
        let mut json = json(&save(&mut a));
        json["fields"]["weights-path"] = serde_json::Value::String("\"/nonexistent/mine.bin\"".into());
        let mut b = instance(&entry);
        load(&mut b, &framed(&json));
        // It activates and still plays (the warning is shown in the editor).
        let config = PluginAudioConfiguration { sample_rate: 48_000.0, min_frames_count: 1, max_frames_count: 4096 };
        let stopped = b.activate(|_, _| (), config).expect("activates with the embedded weights");
        b.deactivate(stopped);
        // The path is kept for when the file comes back.
        let again = self::json(&save(&mut b));
        assert_eq!(again["fields"]["weights-path"], json["fields"]["weights-path"]);
    }

    /// Hostile weights files restored into the plugin are refused with their reason
    /// and the host keeps running on the embedded weights: every weights file of
    /// the hostile regression folder (length fields of 2^40 and 2^63 under a valid
    /// checksum, which aborted the process when the decoder trusted them; overflowing,
    /// NaN and silent models; bit flips; truncation) and an endless device.
    #[test]
    fn hostile_weights_files_never_take_the_host_down() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        // SAFETY: our own bundle.
        let entry = unsafe { PluginEntry::load(&path) }.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut files: Vec<PathBuf> = vec!["/dev/zero".into()];
        for f in crate::common::hostile::files().into_iter().filter(|f| f.kind == crate::common::hostile::Kind::Weights)
        {
            let p = dir.path().join(f.name);
            std::fs::write(&p, &f.bytes).unwrap();
            assert_eq!(improv::model::Weights::load(&p).is_err(), f.refused.is_some(), "{}", f.name);
            files.push(p);
        }
        assert!(files.len() >= 10);
        for file in files {
            let mut a = instance(&entry);
            let mut json = json(&save(&mut a));
            json["fields"]["weights-path"] = serde_json::Value::String(format!("{:?}", file.display().to_string()));
            let mut b = instance(&entry);
            load(&mut b, &framed(&json));
            let config =
                PluginAudioConfiguration { sample_rate: 48_000.0, min_frames_count: 1, max_frames_count: 4096 };
            let stopped = b.activate(|_, _| (), config).expect("activates with the embedded weights");
            b.deactivate(stopped);
        }
    }
}

/// The plugin playing the built-in progression with "same solo every play" plays the
/// notes `improv generate` writes with that seed over the same changes: one improviser.
#[test]
fn plugin_plays_what_the_cli_generates() {
    use improv::generate::{GenerateOptions, generate, reference_changes};
    use improv::improvise::Playing;
    use improv::model::Precision;
    let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
    let (seed, tempo, bars) = (7u64, 130.0, 8.0);
    // Both models: the masters' (the default) and Metheny's, one switch away.
    for (model, weights) in [(0.0, improv::masters_weights().unwrap()), (1.0, improv::default_weights().unwrap())] {
        let r = run(
            &path,
            Scenario {
                sample_rate: 48_000.0,
                tempo,
                bars,
                params: vec![
                    ("Chord source", 1.0, 0.0, 2.0),
                    ("Same solo every play", 1.0, 0.0, 1.0),
                    ("Seed", seed as f64, 0.0, 9999.0),
                    ("Gate", 1.0, 0.05, 1.0),
                    // The CLI writes the line as written: so does the plugin with Feel Straight.
                    ("Feel", 1.0, 0.0, 2.0),
                    ("Model", model, 0.0, 1.0),
                ],
                ..Scenario::held(48_000.0, fixed(512))
            },
        );
        let options = GenerateOptions {
            bars: bars as usize,
            tempo,
            style: Playing::for_weights(&weights),
            seed,
            precision: Precision::LIVE,
        };
        let solo = generate(&weights, &reference_changes(), &options);
        let cli: Vec<(f64, u8)> = solo
            .notes
            .iter()
            .map(|n| (*n.start.numer() as f64 / *n.start.denom() as f64 * r.samples_per_beat, n.key))
            .collect();
        // The host's last block may reach the next bar's downbeat, which the CLI's
        // `bars` leave out: compare the bars both play.
        let end = bars * 4.0 * r.samples_per_beat - 1.0;
        let live: Vec<(f64, u8)> = r
            .events
            .iter()
            .filter(|e| e.on && e.channel == 0)
            .map(|e| ((e.block_start + e.time as u64) as f64, e.key))
            .filter(|&(at, _)| at < end)
            .collect();
        assert!(cli.len() > 30, "model {model}: {} notes", cli.len());
        assert_eq!(live.len(), cli.len(), "model {model}: as many notes live as offline");
        for (i, (a, b)) in live.iter().zip(&cli).enumerate() {
            assert_eq!(a.1, b.1, "model {model}, note {i}: key");
            assert!((a.0 - b.0).abs() <= 1.0, "model {model}, note {i}: sample {} live, {} offline", a.0, b.0);
        }
    }
}

/// Trading: Dm7–G7 held below the split, a 4-bar phrase above it.
mod trading {
    use super::*;

    /// Dm7 (bars 1–2) and G7 (bars 3–4), voiced below C4, for `bars` bars.
    fn changes(bars: usize) -> Vec<(f64, bool, u8)> {
        let (dm7, g7) = ([48u8, 50, 53, 57], [43u8, 53, 57, 59]);
        let mut ev = Vec::new();
        for i in 0..bars.div_ceil(2) {
            let chord = if i % 2 == 0 { dm7 } else { g7 };
            let (on, off) = (i as f64 * 8.0, i as f64 * 8.0 + 7.98);
            ev.extend(chord.iter().map(|&k| (on, true, k)));
            ev.extend(chord.iter().map(|&k| (off, false, k)));
        }
        ev
    }

    /// The 4-bar call of `tests/data/calls/ii-v-call.musicxml` from beat `from`, above the split.
    fn phrase(from: f64) -> Vec<(f64, bool, u8)> {
        let bytes = std::fs::read(crate::common::project("tests/data/calls/ii-v-call.musicxml")).unwrap();
        let (notes, _) = improv::corpus::melody_line(&bytes, None).unwrap();
        improv::trade::performed(&notes, 0.9).into_iter().map(|(at, on, key)| (from + at, on, key)).collect()
    }

    fn scenario(mode: f64, bars: f64, notes: Vec<(f64, bool, u8)>, block: u32) -> Scenario {
        Scenario {
            bars,
            hold: false,
            notes,
            // Where the answer starts is read on the grid: Feel Straight.
            params: vec![("Listen", mode, 0.0, 2.0), ("Pass input through", 0.0, 0.0, 1.0), ("Feel", 1.0, 0.0, 2.0)],
            ..Scenario::held(48_000.0, fixed(block))
        }
    }

    /// Improv's note-ons (channel 1) as beats.
    fn onsets(r: &Run) -> Vec<f64> {
        r.events.iter().filter(|e| e.on && e.channel == 0).map(|e| e.beat(r.samples_per_beat)).collect()
    }

    fn balanced(r: &Run) {
        let mut sounding = [0i32; 128];
        for e in r.events.iter().filter(|e| e.channel == 0) {
            sounding[e.key as usize] += if e.on { 1 } else { -1 };
            assert!((0..=1).contains(&sounding[e.key as usize]), "key {} on twice", e.key);
        }
        assert!(sounding.iter().all(|&s| s == 0), "every note-on has its note-off");
    }

    /// Trade 4: silence while the musician plays bars 1–4, an answer in bars 5–8
    /// from beat 1 of bar 5; every note released; no allocation (alloc-check bundle).
    #[test]
    fn trade_fours_answers_in_bars_5_to_8() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        for block in [128, 512, 1024] {
            let mut notes = changes(8);
            notes.extend(phrase(0.0));
            let r = run(&path, scenario(1.0, 8.0, notes, block));
            let ons = onsets(&r);
            eprintln!("block {block}: {} answer notes, first at beat {:?}", ons.len(), ons.first());
            // Within a sample of the grid (the host sums block lengths in beats).
            assert!(ons.iter().all(|&b| (16.0 - 1e-4..32.0).contains(&b)), "block {block}: only in bars 5–8: {ons:?}");
            let first = r.events.iter().find(|e| e.on && e.channel == 0).expect("an answer");
            let sample = (first.block_start + first.time as u64) as f64;
            assert!((sample - 16.0 * r.samples_per_beat).abs() <= 1.0, "block {block}: first note at sample {sample}");
            assert!(ons.len() >= 8, "block {block}: {} notes", ons.len());
            balanced(&r);
        }
    }

    /// Trade 4 with Auto feel: a call swung 1.5 : 1 (`tests/data/calls/swung-1.5-loud.mid`,
    /// at velocity 0.8) in bars 1–4 and 9–12 gets answers that swing within 0.1 of it
    /// and play near its level, louder than Auto feel's own; three seeds.
    #[test]
    fn an_answer_swings_as_the_call_did() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        let bytes = std::fs::read(crate::common::project("tests/data/calls/swung-1.5-loud.mid")).unwrap();
        let call = improv::corpus::played_line(&bytes, None).unwrap();
        let mut answers = Vec::new();
        for seed in 0..3 {
            let mut notes = changes(16);
            for from in [0.0, 32.0] {
                for (i, n) in call.iter().enumerate() {
                    let key = 64 + (i % 5) as u8;
                    notes.push((from + n.beat, true, key));
                    notes.push((from + n.beat + n.length, false, key));
                }
            }
            let params = vec![
                ("Listen", 1.0, 0.0, 2.0),
                ("Pass input through", 0.0, 0.0, 1.0),
                ("Same solo every play", 1.0, 0.0, 1.0),
                ("Seed", seed as f64, 0.0, 9999.0),
            ];
            let r = run(&path, Scenario { params, ..scenario(1.0, 16.0, notes, 512) });
            balanced(&r);
            let (_, most) = line_notes(&r);
            assert_eq!(most, 1, "one answer note at a time");
            let line: Vec<&Out> = r.events.iter().filter(|e| e.channel == 0).collect();
            for (i, e) in line.iter().enumerate().filter(|(_, e)| e.on) {
                let off = line[i..].iter().find(|o| !o.on && o.key == e.key).expect("released");
                let (start, end) = (e.beat(r.samples_per_beat), off.beat(r.samples_per_beat));
                answers.push((seed as f64 * 100.0 + start, end - start, e.key, Some(e.velocity * 127.0)));
            }
        }
        let feel = improv::feel::measure(&improv::feel::from_beats(&answers, TEMPO));
        let swing = feel.swing.expect("enough eighth pairs");
        let level = feel.level_mean.unwrap();
        eprintln!(
            "answers to a call swung 1.50 : 1 at velocity 102: swing {swing:.2} over {} pairs, velocity {level:.1}",
            feel.swing_pairs
        );
        assert!((swing - 1.5).abs() <= 0.1, "the answer swings {swing:.3}");
        assert!((level - 102.0).abs() <= 8.0, "the answer plays near the call's level: {level:.1}");
    }

    /// Answer: after a bar of silence Improv answers on the next downbeat; when the
    /// musician plays again, Improv's last note-off comes within a beat.
    #[test]
    fn answer_mode_stops_within_a_beat_when_the_musician_plays_again() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        let mut notes = changes(8);
        notes.extend(phrase(0.0)); // ends at beat 15: bar 5 is silent, the answer starts at 20
        let back = 25.25;
        notes.extend([(back, true, 70), (back + 0.4, false, 70)]);
        let r = run(&path, scenario(2.0, 7.5, notes, 512));
        let ons = onsets(&r);
        assert_eq!(ons.first().map(|b| (b * 12.0).round() / 12.0), Some(20.0), "{ons:?}");
        assert!(ons.iter().all(|&b| b < back), "nothing starts once the musician is back: {ons:?}");
        let last_off =
            r.events.iter().filter(|e| !e.on && e.channel == 0).map(|e| e.beat(r.samples_per_beat)).fold(0.0, f64::max);
        eprintln!("answer from beat 20, musician back at {back}, Improv's last note-off at {last_off:.3}");
        assert!(last_off <= back + 1.0, "last note-off at beat {last_off}");
        balanced(&r);
    }
}

/// The main-thread callback under a parameter fuzzer (clap-validator's fuzz test
/// warned that a host "seems to be stuck in an on_main_thread callback loop"): every
/// block sets every parameter to a random value from the audio thread; between
/// blocks (the audio thread waiting), the host runs the main-thread callback
/// whenever one was requested and counts requests made from inside it.
mod main_thread {
    use super::*;
    use clack_extensions::params::{ParamInfoBuffer, PluginParams};
    use clack_host::events::event_types::ParamValueEvent;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc;

    static REQUESTED: AtomicUsize = AtomicUsize::new(0);
    static IN_CALLBACK: AtomicBool = AtomicBool::new(false);
    static NESTED: AtomicUsize = AtomicUsize::new(0);

    struct Counting;
    impl<'a> SharedHandler<'a> for Counting {
        fn request_restart(&self) {}
        fn request_process(&self) {}
        fn request_callback(&self) {
            REQUESTED.fetch_add(1, Ordering::SeqCst);
            if IN_CALLBACK.load(Ordering::SeqCst) {
                NESTED.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    struct CountingHost;
    impl HostHandlers for CountingHost {
        type Shared<'a> = Counting;
        type MainThread<'a> = ();
        type AudioProcessor<'a> = ();
    }

    #[test]
    fn no_main_thread_callback_requests_itself_again() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        // SAFETY: our own bundle.
        let entry = unsafe { PluginEntry::load(&path) }.unwrap();
        let factory = entry.get_plugin_factory().unwrap();
        let id = factory.plugin_descriptors().next().unwrap().id().unwrap().to_owned();
        let info = HostInfo::new("improv-test", "improv", "https://example.invalid", "0.1").unwrap();
        let mut instance = PluginInstance::<CountingHost>::new(|_| Counting, |_| (), &entry, &id, &info).unwrap();
        let params: Vec<(clack_host::utils::ClapId, f64, f64)> = {
            let h = instance.plugin_handle();
            let ext: PluginParams = h.get_extension().expect("params extension");
            let mut buf = ParamInfoBuffer::new();
            (0..ext.count(&h))
                .map(|i| {
                    let p = ext.get_info(&h, i, &mut buf).unwrap();
                    (p.id, p.min_value, p.max_value)
                })
                .collect()
        };
        let config = PluginAudioConfiguration { sample_rate: 48_000.0, min_frames_count: 1, max_frames_count: 512 };
        let stopped = instance.activate(|_, _| (), config).unwrap();
        let (to_main, from_audio) = mpsc::channel::<bool>();
        let (to_audio, from_main) = mpsc::channel::<()>();
        const BLOCKS: u64 = 300;
        let audio = std::thread::spawn(move || {
            let mut proc = stopped.start_processing().unwrap();
            let mut rng = rand::rngs::StdRng::seed_from_u64(5);
            let (mut input, mut out) = (EventBuffer::new(), EventBuffer::new());
            let mut ports = AudioPorts::with_capacity(2, 1);
            let mut buffers = vec![vec![0.0f32; 512]; 2];
            for block in 0..BLOCKS {
                input.clear();
                out.clear();
                // Events in time order, as CLAP requires.
                let mut times: Vec<u32> = params.iter().map(|_| rng.random_range(0..512)).collect();
                times.sort_unstable();
                for (&(id, lo, hi), &time) in params.iter().zip(&times) {
                    let value = lo + (hi - lo) * rng.random::<f64>();
                    input.push(&ParamValueEvent::new(time, id, Pckn::match_all(), value));
                }
                let t = transport_event(block as f64 * 512.0 / 24_000.0, true, 120.0);
                let ins = unsafe { InputAudioBuffers::from_raw_buffers(&[], 512) };
                let mut outs = ports.with_output_buffers([AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_output_only(buffers.iter_mut().map(|b| b.as_mut_slice())),
                }]);
                proc.process(&ins, &mut outs, &input.as_input(), &mut out.as_output(), Some(block * 512), Some(&t))
                    .unwrap();
                to_main.send(block + 1 == BLOCKS).unwrap();
                from_main.recv().unwrap();
            }
            proc.stop_processing()
        });
        let mut callbacks = 0;
        loop {
            let last = from_audio.recv().unwrap();
            // Run the callback as often as it is asked for, up to a bound a host would keep.
            for _ in 0..8 {
                if REQUESTED.swap(0, Ordering::SeqCst) == 0 {
                    break;
                }
                IN_CALLBACK.store(true, Ordering::SeqCst);
                instance.call_on_main_thread_callback();
                IN_CALLBACK.store(false, Ordering::SeqCst);
                callbacks += 1;
            }
            to_audio.send(()).unwrap();
            if last {
                break;
            }
        }
        let stopped = audio.join().unwrap();
        instance.deactivate(stopped);
        let nested = NESTED.load(Ordering::SeqCst);
        eprintln!("{BLOCKS} fuzzed blocks: {callbacks} main-thread callbacks run, {nested} requested from inside one");
        assert_eq!(nested, 0, "a main-thread callback asked for another");
    }
}

/// The audio bus, the two plugins, the voice, and the line kept off the keys it passes through.
mod voice {
    use super::*;
    use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};

    const INSTRUMENT: &std::ffi::CStr = c"invalid.example.improv.instrument";

    fn path() -> PathBuf {
        bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap")
    }

    #[test]
    fn two_plugins_each_with_a_stereo_output_and_no_audio_input() {
        let entry = unsafe { PluginEntry::load(path()) }.expect("load the bundle");
        let factory = entry.get_plugin_factory().unwrap();
        let found: Vec<(String, String, Vec<String>)> = factory
            .plugin_descriptors()
            .map(|d| {
                let s = |c: Option<&std::ffi::CStr>| c.map(|c| c.to_string_lossy().into_owned()).unwrap_or_default();
                (s(d.id()), s(d.name()), d.features().map(|f| f.to_string_lossy().into_owned()).collect())
            })
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].0.as_str(), found[0].1.as_str()), ("invalid.example.improv", "Improv"));
        assert!(found[0].2.contains(&"note-effect".to_string()), "{found:?}");
        assert_eq!(found[1].1, "Improv Instrument");
        assert!(found[1].2.contains(&"instrument".to_string()), "{found:?}");
        for id in [c"invalid.example.improv", INSTRUMENT] {
            let mut inst = instance_of(&entry, id);
            let h = inst.plugin_handle();
            let ports: PluginAudioPorts = h.get_extension().expect("audio-ports extension");
            assert_eq!(ports.count(&h, true), 0, "no audio input");
            assert_eq!(ports.count(&h, false), 1, "one audio output");
            let mut buf = AudioPortInfoBuffer::new();
            let info = ports.get(&h, 0, false, &mut buf).unwrap();
            assert_eq!(info.channel_count, 2, "stereo");
        }
    }

    /// A run of the instrument with its voice at full level, velocity 127, no humanize.
    fn loud(voice_input: bool, block: u32) -> Run {
        run(
            &path(),
            Scenario {
                plugin: Some(INSTRUMENT),
                params: vec![
                    ("Voice plays input", voice_input as u8 as f64, 0.0, 1.0),
                    ("Voice level", 0.0, -40.0, 0.0),
                    ("Velocity", 127.0, 1.0, 127.0),
                    ("Humanize", 0.0, 0.0, 1.0),
                ],
                ..Scenario::held(48_000.0, fixed(block))
            },
        )
    }

    #[test]
    fn the_instruments_voice_follows_each_note_and_stays_under_minus_one_dbfs() {
        for block in [64, 512, 2048] {
            let r = loud(false, block);
            check(&r, true);
            let a = &r.audio;
            assert!(
                a.iter().all(|x| x.is_finite() && (*x == 0.0 || x.abs() >= f32::MIN_POSITIVE)),
                "no NaN, no denormal"
            );
            let peak = a.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let db = 20.0 * peak.log10();
            assert!(db <= -1.0 && db > -30.0, "block {block}: peak {db:.2} dBFS at velocity 127");
            let line: Vec<&Out> = r.events.iter().filter(|e| e.channel == 0).collect();
            let at = |e: &Out| (e.block_start + e.time as u64) as usize;
            let first = at(line.iter().find(|e| e.on).unwrap());
            assert!(a[..first].iter().all(|&x| x == 0.0), "block {block}: silent before the first note");
            // Every note-on is heard within a block of its sample.
            for e in line.iter().filter(|e| e.on) {
                let s = at(e);
                let heard = a[s..(s + block as usize).min(a.len())].iter().fold(0.0f32, |m, x| m.max(x.abs()));
                assert!(heard > 1e-3, "block {block}: note at {s} not heard ({heard})");
            }
            // Where the line rests for half a second, the note it ended has released.
            let spb = r.samples_per_beat as usize;
            for w in line.windows(2) {
                let (end, next) = (at(w[0]), at(w[1]));
                if !w[0].on && w[1].on && next > end + spb {
                    let level = |from: usize| a[from..from + 480].iter().fold(0.0f32, |m, x| m.max(x.abs()));
                    let (before, after) = (level(end.saturating_sub(480)), level(end + spb - 480));
                    assert!(after < 0.05 * before + 1e-4, "block {block}: a rest after {end}: {before} then {after}");
                }
            }
        }
    }

    #[test]
    fn the_voice_sounds_the_held_chord_when_asked() {
        let with = loud(true, 512);
        let without = loud(false, 512);
        let spb = with.samples_per_beat as usize;
        // Before the line's first note, the chord alone is heard (or not).
        let first = with.events.iter().find(|e| e.on && e.channel == 0).map(|e| e.time as usize).unwrap();
        let head = |r: &Run| r.audio[..first.max(1)].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(first > 0 || spb > 0);
        if first > 64 {
            assert!(head(&with) > 1e-3 && head(&without) == 0.0);
        }
        let energy = |r: &Run| r.audio.iter().map(|x| (x * x) as f64).sum::<f64>();
        assert!(energy(&with) > 1.2 * energy(&without), "the chord adds to the sound");
        let peak = with.audio.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(20.0 * peak.log10() <= -1.0, "chord and line together stay under −1 dBFS: {peak}");
    }

    /// Over 64 seeds, with Dm7 held on the line's own channel inside its register and
    /// passed through, no key ever gets a second note-on before its note-off.
    #[test]
    fn no_key_is_struck_twice_on_one_channel() {
        let mut moved = 0;
        for seed in 0..64 {
            let r = run(
                &path(),
                Scenario {
                    bars: 4.0,
                    input_channel: 0,
                    params: vec![("Same solo every play", 1.0, 0.0, 1.0), ("Seed", seed as f64, 0.0, 9999.0)],
                    ..Scenario::held(48_000.0, fixed(512))
                },
            );
            let mut sounding = [[false; 128]; 16];
            for e in &r.events {
                let s = &mut sounding[e.channel as usize][e.key as usize];
                assert_ne!(
                    *s,
                    e.on,
                    "seed {seed}: key {} {} twice on channel {}",
                    e.key,
                    if e.on { "on" } else { "off" },
                    e.channel
                );
                *s = e.on;
            }
            assert!(sounding.iter().flatten().all(|s| !s), "seed {seed}: nothing left sounding");
            let passed = r.events.iter().filter(|e| e.on && e.velocity as f32 == 0.8).count();
            assert_eq!(passed, 4, "seed {seed}: the chord passes through at its velocity");
            moved += r.events.iter().filter(|e| e.on && [62u8, 64, 65].contains(&e.key)).count();
        }
        assert!(moved > 0, "the line plays around the held keys");
    }
}

/// Taste in the plugin: ratings from the Rate parameter and from the editor's thumb
/// reach the ratings file (a Rate point replayed on the next loop pass is not taken
/// again), also when the host destroys the plugin while the writer still works;
/// and with them and Taste at 1 the line plays to taste, allocation-free (the
/// alloc-check bundle). In a child process, its config folder a temporary one.
mod taste {
    use super::*;

    #[test]
    fn ratings_reach_the_file_and_the_line_plays_to_them() {
        let path = bundle("IMPROV_CLAP", "target/test-bundles/alloc-check/Improv.clap");
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "taste::taste_child", "--ignored", "--nocapture"])
            .env("IMPROV_TASTE_CHILD", &path)
            .env("XDG_CONFIG_HOME", dir.path())
            .env("IMPROV_TEST_THUMB_UP_AT_BEAT", "12")
            // The first rating's refit outlasts the run: the host destroys the plugin
            // while that task runs and the thumb's rating still waits.
            .env("IMPROV_TEST_SLOW_REFIT_MS", "2500")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "the child failed: {stdout}\n{stderr}");
        assert!(!stderr.contains("panicked"), "no thread of the host panicked: {stderr}");
        eprintln!("{}", stdout.lines().filter(|l| l.starts_with("taste:")).collect::<Vec<_>>().join("\n"));
    }

    fn ratings(file: &std::path::Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a rating a line"))
            .collect()
    }

    #[test]
    #[ignore = "run by ratings_reach_the_file_and_the_line_plays_to_them in a child process"]
    fn taste_child() {
        let path = PathBuf::from(std::env::var_os("IMPROV_TASTE_CHILD").expect("child only"));
        let file = PathBuf::from(std::env::var_os("XDG_CONFIG_HOME").unwrap()).join("improv/ratings.jsonl");
        // Two passes of a 4-bar loop: Rate goes to Bad at beat 6 and back at beat 7 on
        // each; the editor's thumb goes up at beat 12 (once).
        let rate = vec![(6.0, "Rate", 0.5), (7.0, "Rate", 0.0)];
        let r =
            run(&path, Scenario { seam: Some((16.0, 0.0)), automation: rate, ..Scenario::held(48_000.0, fixed(512)) });
        check(&r, true);
        // The writer runs on the plugin's background thread (slowed down, above).
        for _ in 0..200 {
            if ratings(&file).len() >= 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let got = ratings(&file);
        let verdicts: Vec<&str> = got.iter().map(|r| r["verdict"].as_str().unwrap()).collect();
        println!("taste: {} ratings saved from two loop passes: {verdicts:?}", got.len());
        assert_eq!(verdicts, ["bad", "good"], "the Rate change once (not again on the second pass), then the thumb");
        for r in &got {
            assert_eq!(r["from"], "plugin");
            assert_eq!(r["model"], "wjd");
            assert!(!r["notes"].as_array().unwrap().is_empty(), "{r}");
        }
        // With those ratings and Taste at 1, the search runs ahead in the blocks
        // (allocation-free: this bundle aborts otherwise) and picks other phrases.
        let played = |taste: f64| {
            let params = vec![("Taste", taste, 0.0, 1.0), ("Candidates", 8.0, 2.0, 32.0)];
            let r = run(&path, Scenario { params, bars: 16.0, ..Scenario::held(48_000.0, fixed(512)) });
            check(&r, true);
            r.events
                .iter()
                .filter(|e| e.on && e.channel == 0)
                .map(|e| (e.block_start + e.time as u64, e.key))
                .collect::<Vec<_>>()
        };
        let (plain, to_taste) = (played(0.0), played(1.0));
        let shared = plain.iter().zip(&to_taste).take_while(|(a, b)| a == b).count();
        println!(
            "taste: Taste 0 played {} notes, Taste 1 {}; the first {shared} the same",
            plain.len(),
            to_taste.len()
        );
        assert_ne!(plain, to_taste, "Taste 1 plays other phrases");
        assert!(shared > 0, "the first phrase (no breath before it to search in) is the same");
    }
}
