//! Trading offline: the musician's bars (a call, or a file's solo) and Improv's
//! answers in turn, on the changes — what `improv generate --call` and `--trade`
//! run, with the listener and the answer the plugin uses live.

use crate::feel::answer::{CallNote, hear_call};
use crate::generate::{AnsweredTurn, GenerateOptions, Solo, SoloNote, accompaniment};
use crate::grammar::classify_pc;
use crate::improvise::grid::TICKS_PER_BEAT;
pub use crate::improvise::listen::Turns;
use crate::improvise::listen::{Call, Heard, HeardNote, MAX_CALL_NOTES};
use crate::improvise::motif::{CALL_CELLS, Cell};
use crate::improvise::{BEATS_PER_BAR, ChangeSource, Changes, Improviser, LiveModel, LoopedChanges, Outcome};
use crate::model::Weights;
use crate::score::{Element, ElementKind};
use num_rational::Ratio;

/// The musician's notes heard on the grid: (onset, end, key) in twelfths of a beat.
pub fn heard_notes(notes: &[Element]) -> Vec<HeardNote> {
    let mut call = Call::default();
    let mut out = Vec::with_capacity(notes.len());
    let beat = |b: crate::score::Beats| *b.numer() as f64 / *b.denom() as f64;
    for n in notes {
        if let ElementKind::Note { key, .. } = n.kind {
            call.note_on(beat(n.offset), key, None);
            call.note_off(beat(n.end()), key);
        }
        // Drain when full, so a file longer than one call's buffer is heard whole.
        if call.notes().len() >= MAX_CALL_NOTES - 1 {
            out.extend_from_slice(call.notes());
            call.clear();
        }
    }
    out.extend_from_slice(call.notes());
    out.sort_by_key(|n| n.start);
    out.dedup_by_key(|n| n.start);
    out
}

/// Beats ahead of a downbeat that a note still belongs to the bar it anticipates.
const EARLY: f64 = 0.15;

/// Improv's turns of a trade over `bars` bars that answer a musician's turn, each
/// with the feel of the call it answers (heard from `played`): what the solo is
/// played in when its feel follows the caller's ([`Solo::answered`]).
pub fn answered_turns(played: &[CallNote], turns: Turns, bars: usize) -> Vec<AnsweredTurn> {
    let per = turns.bars.max(1);
    let beats = |bar: usize| (bar as i64 * BEATS_PER_BAR) as f64;
    (per..bars)
        .step_by(per)
        .filter(|&first| !turns.musician_plays(first as i64) && turns.musician_plays((first - per) as i64))
        .map(|first| {
            let (from, at) = (beats(first - per), beats(first));
            // A note just before the turn's downbeat anticipates it: it belongs to the turn.
            let a = played.partition_point(|n| n.beat < from - EARLY);
            let b = played.partition_point(|n| n.beat < at - EARLY);
            AnsweredTurn { start: at, end: beats((first + per).min(bars)), call: hear_call(&played[a..b]) }
        })
        .collect()
}

/// A line as a player performs it into MIDI: (beat, note-on?, key) events, each note
/// released after `gate` (0..1) of its length — how the tests and benches play a
/// call into the plugin.
pub fn performed(notes: &[Element], gate: f64) -> Vec<(f64, bool, u8)> {
    let beat = |b: crate::score::Beats| *b.numer() as f64 / *b.denom() as f64;
    let mut events = Vec::with_capacity(2 * notes.len());
    for n in notes {
        if let ElementKind::Note { key, .. } = n.kind {
            events.push((beat(n.offset), true, key));
            events.push((beat(n.offset) + beat(n.duration) * gate.clamp(0.0, 1.0), false, key));
        }
    }
    events
}

/// Trades over `changes` for `options.bars` bars: in the musician's turns their
/// notes from `musician` (heard on the grid) are played and listened to; each of
/// Improv's turns answers the turn before it, starting on its downbeat and ending
/// its phrase by the turn's end. With `listen` off, every answer starts as if
/// nothing had been played (the comparison for how much listening adds).
pub fn trade(
    weights: &Weights,
    changes: &Changes,
    musician: &[HeardNote],
    turns: Turns,
    options: &GenerateOptions,
    listen: bool,
) -> Solo {
    let live = Box::new(LiveModel::with_precision(weights, String::new(), options.precision));
    let mut improviser = Improviser::new(live, options.seed);
    let bars = if changes.is_empty() { 0 } else { options.bars };
    let source = LoopedChanges::new(changes);
    let per_turn = turns.bars.max(1);
    let mut notes = Vec::new();
    let mut call_notes = Vec::new();
    let mut tokens = 0;
    let mut heard = Heard::default();
    let mut last_call: &[HeardNote] = &[];
    for first in (0..bars).step_by(per_turn) {
        let last = (first + per_turn).min(bars);
        let (from, to) = ((first as i64) * BEATS_PER_BAR, (last as i64) * BEATS_PER_BAR);
        let (from_t, to_t) = (from * TICKS_PER_BEAT, to * TICKS_PER_BEAT);
        if turns.musician_plays(first as i64) {
            let a = musician.partition_point(|n| n.start < from_t);
            let b = musician.partition_point(|n| n.start < to_t);
            last_call = &musician[a..b];
            for n in last_call {
                let at = Ratio::new(n.start, TICKS_PER_BEAT);
                let Some(sounding) = source.chord_at(at) else { continue };
                let end = n.end.min(to_t);
                call_notes.push(SoloNote {
                    start: at,
                    length: Ratio::new(end - n.start, TICKS_PER_BEAT),
                    key: n.key,
                    kind: classify_pc(n.key, &sounding.harmony),
                });
            }
            continue;
        }
        let mut cells = [Cell::default(); CALL_CELLS];
        let mut last_key = None;
        if listen && !last_call.is_empty() {
            heard.encode(last_call, from_t, &source, improviser.model());
            improviser.hear(heard.tokens(), heard.steps());
            cells = heard.answer_plan();
            last_key = last_call.last().map(|n| n.key);
        }
        improviser.answer(from, to, &cells, last_key);
        if listen && !last_call.is_empty() {
            improviser.answer_shape(heard.shape());
        }
        improviser.fill(Ratio::from_integer(to), &source, &options.style, &mut |d| {
            tokens += 1;
            if let Outcome::Note { key, length, kind } = d.outcome {
                notes.push(SoloNote { start: d.at, length, key, kind });
            }
        });
        improviser.stop_answering();
        last_call = &[];
    }
    Solo {
        notes,
        call: call_notes,
        chords: accompaniment(changes, bars),
        bars,
        tempo: options.tempo,
        seed: options.seed,
        tokens,
        answered: Vec::new(),
    }
}
