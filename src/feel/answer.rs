//! Answering in the caller's feel: what a call's timing, dynamics and articulation
//! were (its swing ratio, how far behind the beat it sat, how loud and how shaped,
//! how long its notes were held), and the learned feel moved toward it — all the
//! way for a long call, less for a short one, in which the style's feel still counts.
//!
//! Hearing a call allocates nothing and looks at [`MAX_NOTES`] notes at most, so
//! the plugin hears on the audio thread.

use super::render::Performance;

/// Notes of a call looked at (the listener's own buffer holds as many).
pub const MAX_NOTES: usize = crate::improvise::listen::MAX_CALL_NOTES;
/// How much the style's feel weighs against the call's, in the call's own units:
/// the style counts as this many eighth pairs (for the swing) or notes (for the
/// rest) heard. A call of two pairs is then half its own, a bar of eighths (four
/// pairs) two-thirds, a 4-bar call of eighths (16 pairs) eight-ninths: what a
/// player asking "answer in my feel" hears as their feel after a phrase.
pub const PRIOR_WEIGHT: f64 = 2.0;
/// A note within this many beats of a beat is on it (its deviation is lay-back).
const ON_BEAT: f64 = 0.15;
/// A note this far into the beat (beats, from the one on the beat) is its "and"
/// for a swing pair: from a straight eighth (0.5) to past a 3 : 1 dotted one.
const AND_WINDOW: (f64, f64) = (0.4, 0.8);
/// Gaps longer than this (beats) are rests: the note before them says nothing of articulation.
const LONGEST_HELD_GAP: f64 = 2.0;

/// A note of a call as played: onset and length in beats (not on a grid), velocity.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallNote {
    /// Onset, beats from the timeline's start.
    pub beat: f64,
    /// Length, beats.
    pub length: f64,
    /// MIDI velocity.
    pub velocity: u8,
}

/// What a call's feel was.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct CallFeel {
    /// Notes heard.
    pub notes: usize,
    /// Beats with a note on the beat and one on its "and" and none between or after in the beat.
    pub swing_pairs: usize,
    /// Median long : short ratio of those pairs.
    pub swing: Option<f64>,
    /// Notes near a beat.
    pub on_beat: usize,
    /// Their mean lateness, beats (negative: ahead of the beat).
    pub lay_back: Option<f64>,
    /// Mean velocity.
    pub velocity: Option<f64>,
    /// Standard deviation of velocity.
    pub velocity_sd: Option<f64>,
    /// Slope of velocity along the call, first note to last, in standard deviations.
    pub velocity_slope: Option<f64>,
    /// Notes followed by another within two beats (a longer gap is a rest).
    pub held: usize,
    /// Their median articulation (length ÷ gap to the next onset).
    pub articulation: Option<f64>,
}

/// Sorts the first `n` values of `v` and returns their median (none if `n` is 0).
fn median_of(v: &mut [f64], n: usize) -> Option<f64> {
    let v = &mut v[..n];
    v.sort_unstable_by(f64::total_cmp);
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(0.5 * (v[n / 2 - 1] + v[n / 2])),
    }
}

/// Hears the feel of a call: `notes` in time order (the first [`MAX_NOTES`]).
pub fn hear_call(notes: &[CallNote]) -> CallFeel {
    let notes = &notes[..notes.len().min(MAX_NOTES)];
    let n = notes.len();
    let mut feel = CallFeel { notes: n, ..CallFeel::default() };
    if n == 0 {
        return feel;
    }
    let mut ratios = [0.0; MAX_NOTES];
    let mut shares = [0.0; MAX_NOTES];
    let (mut late_sum, mut late_n) = (0.0, 0usize);
    for (i, a) in notes.iter().enumerate() {
        let beat = a.beat.round();
        if (a.beat - beat).abs() <= ON_BEAT {
            late_sum += a.beat - beat;
            late_n += 1;
            // A swing pair: this note on the beat, the next on its "and", nothing
            // else before the next beat.
            if let Some(b) = notes.get(i + 1) {
                let into = b.beat - a.beat;
                let after_ok = notes.get(i + 2).is_none_or(|c| c.beat - a.beat >= 1.0 - ON_BEAT);
                if (AND_WINDOW.0..=AND_WINDOW.1).contains(&into) && after_ok {
                    ratios[feel.swing_pairs] = into / (1.0 - into);
                    feel.swing_pairs += 1;
                }
            }
        }
        if let Some(b) = notes.get(i + 1) {
            let gap = b.beat - a.beat;
            if gap > 0.0 && gap <= LONGEST_HELD_GAP {
                shares[feel.held] = (a.length / gap).clamp(0.0, 1.5);
                feel.held += 1;
            }
        }
    }
    feel.swing = median_of(&mut ratios, feel.swing_pairs);
    feel.on_beat = late_n;
    feel.lay_back = (late_n > 0).then(|| late_sum / late_n as f64);
    feel.articulation = median_of(&mut shares, feel.held);
    let mean = notes.iter().map(|x| x.velocity as f64).sum::<f64>() / n as f64;
    let sd = (notes.iter().map(|x| (x.velocity as f64 - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    feel.velocity = Some(mean);
    feel.velocity_sd = Some(sd);
    if n >= 3 && sd > 0.0 {
        // Least squares of z on the position along the call (-0.5 … 0.5).
        let along = |i: usize| i as f64 / (n - 1) as f64 - 0.5;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (i, x) in notes.iter().enumerate() {
            sxy += along(i) * (x.velocity as f64 - mean) / sd;
            sxx += along(i) * along(i);
        }
        feel.velocity_slope = Some(sxy / sxx);
    }
    feel
}

/// A live call as it is played: note-ons waiting for their note-offs, and the
/// notes completed, in a buffer sized once (the plugin records on the audio thread).
#[derive(Debug, Clone)]
pub struct CallRecorder {
    /// Onset (beats; NaN: not sounding) and velocity of each key's sounding note.
    sounding: [(f64, u8); 128],
    notes: [CallNote; MAX_NOTES],
    len: usize,
}

impl Default for CallRecorder {
    fn default() -> Self {
        Self { sounding: [(f64::NAN, 0); 128], notes: [CallNote::default(); MAX_NOTES], len: 0 }
    }
}

impl CallRecorder {
    /// A key goes down at `beat` with a MIDI velocity (a key already down ends first).
    pub fn note_on(&mut self, beat: f64, key: u8, velocity: u8) {
        let k = (key & 0x7f) as usize;
        self.note_off(beat, key);
        self.sounding[k] = (beat, velocity.min(127));
    }

    /// A key comes up at `beat`: its note is complete (beyond [`MAX_NOTES`] it is not kept).
    pub fn note_off(&mut self, beat: f64, key: u8) {
        let k = (key & 0x7f) as usize;
        let (on, velocity) = self.sounding[k];
        if on.is_nan() {
            return;
        }
        self.sounding[k].0 = f64::NAN;
        if self.len < MAX_NOTES {
            self.notes[self.len] = CallNote { beat: on, length: (beat - on).max(0.0), velocity };
            self.len += 1;
        }
    }

    /// True if no note has been completed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ends the call at `beat` (keys still down end there), hears its feel and
    /// starts a new call. Allocation-free.
    pub fn close(&mut self, beat: f64) -> CallFeel {
        for key in 0..128u8 {
            if self.sounding[key as usize].0 < beat {
                self.note_off(beat, key);
            }
        }
        let notes = &mut self.notes[..self.len];
        notes.sort_unstable_by(|a, b| a.beat.total_cmp(&b.beat));
        let feel = hear_call(notes);
        self.clear();
        feel
    }

    /// Forgets the call (after a transport jump: what came before is not one phrase).
    pub fn clear(&mut self) {
        self.len = 0;
        self.sounding = [(f64::NAN, 0); 128];
    }
}

impl CallFeel {
    /// What it heard, in words: "you swung 1.35 : 1, laid back 18 ms, velocity 92 ± 10,
    /// notes held 80 % of the gap" (at `bpm`, for the milliseconds).
    pub fn describe(&self, bpm: f64) -> String {
        let mut parts = Vec::new();
        match self.swing {
            Some(r) => parts.push(format!("swung {r:.2} : 1 over {} eighth pairs", self.swing_pairs)),
            None => parts.push("played no eighth pairs".to_string()),
        }
        if let Some(l) = self.lay_back {
            let ms = l * 60_000.0 / bpm.max(1.0);
            parts.push(if ms >= 0.0 { format!("laid back {ms:.0} ms") } else { format!("ahead {:.0} ms", -ms) });
        }
        if let (Some(v), Some(sd)) = (self.velocity, self.velocity_sd) {
            parts.push(format!("velocity {v:.0} ± {sd:.0}"));
        }
        if let Some(a) = self.articulation {
            parts.push(format!("notes held {:.0} % of the gap", 100.0 * a.min(1.0)));
        }
        format!("you {}", parts.join(", "))
    }
}

/// The share a call's measure weighs, from how much of it was heard.
fn weight(heard: usize) -> f64 {
    heard as f64 / (heard as f64 + PRIOR_WEIGHT)
}

fn blend(style: f64, call: Option<f64>, w: f64) -> f64 {
    call.map_or(style, |c| style + w * (c - style))
}

impl Performance {
    /// This feel moved toward a call's: swing, lay-back, velocity level, spread and
    /// shape, articulation, each by the share [`PRIOR_WEIGHT`] gives what was heard.
    /// Straight stays straight.
    pub fn answering(&self, call: &CallFeel) -> Performance {
        if self.is_straight() || call.notes == 0 {
            return *self;
        }
        let w_notes = weight(call.notes);
        let mut p = *self;
        p.swing = blend(self.swing, call.swing, weight(call.swing_pairs)).clamp(1.0, 3.0);
        p.lay_back = blend(self.lay_back, call.lay_back, weight(call.on_beat));
        p.velocity = blend(self.velocity, call.velocity, w_notes).clamp(1.0, 127.0);
        p.velocity_per_sd = blend(self.velocity_per_sd, call.velocity_sd, w_notes);
        p.phrase_slope = blend(self.phrase_slope, call.velocity_slope, w_notes);
        if let (Some(a), Some(style)) = (call.articulation, self.articulation) {
            let w = weight(call.held);
            p.articulation = Some(style.map(|s| blend(s, Some(a.min(1.0)), w)));
            // The call's articulation replaces the style's spread of them.
            p.articulation_shares = None;
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four bars of eighth pairs at a swing ratio, laid back, at a velocity, held `gate` of each gap.
    fn eighths(ratio: f64, late: f64, velocity: u8, gate: f64) -> Vec<CallNote> {
        let and = ratio / (1.0 + ratio);
        (0..16)
            .flat_map(|b| {
                let b = b as f64;
                [
                    CallNote { beat: b + late, length: gate * and, velocity },
                    CallNote { beat: b + and + late, length: gate * (1.0 - and), velocity },
                ]
            })
            .collect()
    }

    #[test]
    fn hears_swing_lay_back_velocity_and_articulation() {
        let f = hear_call(&eighths(1.5, 0.04, 100, 0.8));
        assert_eq!(f.swing_pairs, 16);
        assert!((f.swing.unwrap() - 1.5).abs() < 1e-9, "{f:?}");
        assert!((f.lay_back.unwrap() - 0.04).abs() < 1e-9);
        assert_eq!(f.velocity, Some(100.0));
        assert!((f.articulation.unwrap() - 0.8).abs() < 1e-9);
        let straight = hear_call(&eighths(1.0, 0.0, 60, 1.0));
        assert!((straight.swing.unwrap() - 1.0).abs() < 1e-9);
        assert!(straight.describe(120.0).starts_with("you swung 1.00 : 1"), "{}", straight.describe(120.0));
        assert_eq!(hear_call(&[]).swing, None);
    }

    #[test]
    fn a_long_call_moves_the_feel_most_of_the_way_and_a_short_one_less() {
        let style = Performance { swing: 1.25, ..Performance::manual(1.25, 0.0, 88, 0.9, 120.0) };
        let long = style.answering(&hear_call(&eighths(1.6, 0.05, 110, 0.7)));
        assert!((long.swing - (1.25 + 16.0 / 18.0 * 0.35)).abs() < 1e-9, "{}", long.swing);
        assert!(long.velocity > 100.0 && long.lay_back > 0.03);
        let short = style.answering(&hear_call(&eighths(1.6, 0.05, 110, 0.7)[..4]));
        assert!(short.swing > 1.25 && short.swing < long.swing);
        assert_eq!(Performance::STRAIGHT.answering(&hear_call(&eighths(1.6, 0.0, 110, 0.7))), Performance::STRAIGHT);
    }

    #[test]
    fn a_recorded_call_is_heard_as_the_same_notes_given_at_once() {
        let call = eighths(1.5, 0.03, 100, 0.8);
        let mut rec = CallRecorder::default();
        // Three keys in turn, each released after the next one goes down (a note-off
        // arrives after a later note-on), the last still down when the call closes.
        for (i, n) in call.iter().enumerate() {
            rec.note_on(n.beat, 60 + (i % 3) as u8, n.velocity);
            if i >= 1 {
                let p = call[i - 1];
                rec.note_off(p.beat + p.length, 60 + ((i - 1) % 3) as u8);
            }
        }
        let last = call[call.len() - 1];
        let heard = rec.close(last.beat + last.length);
        let given = hear_call(&call);
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (a, b) => a == b,
        };
        assert_eq!((heard.notes, heard.swing_pairs, heard.on_beat, heard.held), (32, 16, 16, 31));
        assert_eq!(
            (heard.notes, heard.swing_pairs, heard.on_beat, heard.held),
            (given.notes, given.swing_pairs, given.on_beat, given.held)
        );
        for (a, b) in [
            (heard.swing, given.swing),
            (heard.lay_back, given.lay_back),
            (heard.velocity, given.velocity),
            (heard.velocity_sd, given.velocity_sd),
            (heard.velocity_slope, given.velocity_slope),
            (heard.articulation, given.articulation),
        ] {
            assert!(close(a, b), "{heard:?}\n{given:?}");
        }
        assert!(rec.is_empty());
        assert_eq!(rec.close(100.0).notes, 0, "a closed call starts afresh");
    }

    #[test]
    fn a_crescendo_is_heard_as_a_rising_shape() {
        let mut call = eighths(1.0, 0.0, 0, 1.0);
        call.iter_mut().enumerate().for_each(|(i, n)| n.velocity = 60 + i as u8);
        assert!(hear_call(&call).velocity_slope.unwrap() > 1.0);
    }
}
