//! What the plugin rates: the phrase Improv played last, kept as it was drawn (on
//! the grid, before feel moves it), so a thumbs up from the editor or a change of
//! the Rate parameter describes it as `improv rate` describes a phrase of a solo.
//! Allocation-free: a ring of the last notes and a request sized once, for the
//! audio thread. A phrase is rated once: again from the editor, or by automation
//! replayed on the next loop pass, it is not rated twice.

use crate::taste::PhraseNote;
use crate::taste::ratings::Verdict;

/// Line notes remembered (several phrases).
pub const LOGGED: usize = 256;
/// Notes of a rated phrase kept (a phrase of the improviser holds far fewer).
pub const MAX_RATED_NOTES: usize = 64;
/// Phrases (and automation points) remembered as rated.
const REMEMBERED: usize = 64;
/// Twelfths of a beat of silence that end a phrase (as [`crate::taste::phrases`]).
const PHRASE_GAP: i64 = crate::improvise::grid::TICKS_PER_BEAT;
/// A Rate change within this many twelfths of one already taken is the same
/// automation point replayed (a loop pass), not a new rating.
const SAME_POINT: i64 = crate::improvise::grid::TICKS_PER_BEAT / 2;

/// A phrase to save as rated, handed from the audio thread to the writer.
#[derive(Debug, Clone, Copy)]
pub struct RateRequest {
    /// Good or bad.
    pub verdict: Verdict,
    /// The phrase's notes (the first `len`), onsets in twelfths of the host's beats.
    pub notes: [PhraseNote; MAX_RATED_NOTES],
    /// Notes in the phrase.
    pub len: usize,
    /// Silence after it so far, in twelfths.
    pub rest_after: i64,
}

impl RateRequest {
    /// The phrase's notes.
    pub fn phrase(&self) -> &[PhraseNote] {
        &self.notes[..self.len.min(MAX_RATED_NOTES)]
    }
}

const NO_NOTE: PhraseNote = PhraseNote { at: 0, length: 0, key: 0, kind: crate::grammar::NoteType::Rest, guide: false };

/// The line's last notes and what has been rated.
pub struct PhraseLog {
    notes: [PhraseNote; LOGGED],
    /// Notes pushed in all (the ring's next slot is `pushed % LOGGED`).
    pushed: usize,
    rated: [u64; REMEMBERED],
    rated_len: usize,
    points: [i64; REMEMBERED],
    points_len: usize,
    request: RateRequest,
}

impl Default for PhraseLog {
    fn default() -> Self {
        Self {
            notes: [NO_NOTE; LOGGED],
            pushed: 0,
            rated: [0; REMEMBERED],
            rated_len: 0,
            points: [0; REMEMBERED],
            points_len: 0,
            request: RateRequest { verdict: Verdict::Good, notes: [NO_NOTE; MAX_RATED_NOTES], len: 0, rest_after: 0 },
        }
    }
}

/// FNV-1a of a phrase's onsets, lengths and keys: the same phrase replayed (Same
/// solo, a loop) hashes the same.
fn identity(notes: &[PhraseNote]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for n in notes {
        for x in [n.at as u64, n.length as u64, n.key as u64] {
            h = (h ^ x).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

impl PhraseLog {
    /// Remembers a note of the line as drawn.
    pub fn push(&mut self, note: PhraseNote) {
        self.notes[self.pushed % LOGGED] = note;
        self.pushed += 1;
    }

    /// Forgets the notes (a transport jump: what follows is another line); what
    /// was rated stays rated.
    pub fn clear(&mut self) {
        self.pushed = 0;
    }

    fn logged(&self) -> usize {
        self.pushed.min(LOGGED)
    }

    /// The `i`-th remembered note, oldest first.
    fn note(&self, i: usize) -> PhraseNote {
        self.notes[(self.pushed - self.logged() + i) % LOGGED]
    }

    /// Rates the phrase sounding or last ended at `now` (twelfths of the host's
    /// beats): the notes up to the last one started by then, back to a beat of
    /// silence. `from_automation`: a Rate parameter change, which is not taken
    /// again at a point already taken (the host replays automation on every loop
    /// pass). `None` if there is no phrase, or it was rated already.
    pub fn rate(&mut self, verdict: Verdict, now: i64, from_automation: bool) -> Option<&RateRequest> {
        if from_automation && self.points[..self.points_len].iter().any(|&p| (p - now).abs() < SAME_POINT) {
            return None;
        }
        let n = self.logged();
        let last = (0..n).rev().find(|&i| self.note(i).at <= now)?;
        let mut first = last;
        while first > 0 && last - first + 1 < MAX_RATED_NOTES {
            let (a, b) = (self.note(first - 1), self.note(first));
            if b.at - (a.at + a.length) >= PHRASE_GAP {
                break;
            }
            first -= 1;
        }
        let len = last - first + 1;
        for k in 0..len {
            self.request.notes[k] = self.note(first + k);
        }
        let end = self.note(last).at + self.note(last).length;
        let next = (last + 1 < n).then(|| self.note(last + 1).at);
        self.request.rest_after = next.unwrap_or(now).saturating_sub(end).max(0);
        self.request.len = len;
        self.request.verdict = verdict;
        let id = identity(&self.request.notes[..len]);
        if self.rated[..self.rated_len].contains(&id) {
            return None;
        }
        remember(&mut self.rated, &mut self.rated_len, id);
        if from_automation {
            remember(&mut self.points, &mut self.points_len, now);
        }
        Some(&self.request)
    }
}

/// The phrase of Improv's that `beat` falls in or just after (the editor's roll):
/// its notes as drawn, in time order, cut where the line rests a beat or more, and
/// the silence after it (up to its next note, else 0). `None` if no phrase of
/// Improv's is there.
pub fn phrase_at(history: &[super::engine::PlayedNote], beat: f64) -> Option<(Vec<PhraseNote>, i64)> {
    let mut notes: Vec<PhraseNote> = history.iter().filter_map(|n| n.drawn).collect();
    notes.sort_by_key(|n| n.at);
    notes.dedup();
    let at = (beat * crate::improvise::grid::TICKS_PER_BEAT as f64).floor() as i64;
    let mut start = 0;
    for i in 0..notes.len() {
        let end = notes[i].at + notes[i].length;
        let next = notes.get(i + 1).map(|n| n.at);
        if next.is_none_or(|n| n - end >= PHRASE_GAP) {
            // notes[start..=i] is a phrase; it owns the beat up to a beat after its end.
            if (notes[start].at..end + PHRASE_GAP).contains(&at) {
                return Some((notes[start..=i].to_vec(), next.map_or(0, |n| n - end)));
            }
            start = i + 1;
        }
    }
    None
}

/// Keeps `x` in a small ring (the oldest goes when it is full).
fn remember<T: Copy>(ring: &mut [T; REMEMBERED], len: &mut usize, x: T) {
    if *len == REMEMBERED {
        ring.copy_within(1.., 0);
        ring[REMEMBERED - 1] = x;
    } else {
        ring[*len] = x;
        *len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::NoteType;

    fn note(at: i64, length: i64, key: u8) -> PhraseNote {
        PhraseNote { at, length, key, kind: NoteType::Chord, guide: false }
    }

    #[test]
    fn the_last_phrase_is_rated_once() {
        let mut log = PhraseLog::default();
        // Phrase one: beats 0–2; two beats of rest; phrase two from beat 4.
        for (at, key) in [(0, 60), (6, 62), (12, 64), (18, 65)] {
            log.push(note(at, 6, key));
        }
        for (at, key) in [(48, 67), (54, 65), (60, 64)] {
            log.push(note(at, 6, key));
        }
        // During the rest after phrase one, phrase one is rated.
        let r = log.rate(Verdict::Good, 36, false).unwrap();
        assert_eq!(r.phrase().iter().map(|n| n.key).collect::<Vec<_>>(), vec![60, 62, 64, 65]);
        assert_eq!(r.rest_after, 24, "the rest up to the next phrase");
        assert!(log.rate(Verdict::Bad, 40, false).is_none(), "the same phrase again");
        // Late in phrase two: phrase two so far.
        let r = log.rate(Verdict::Bad, 61, true).unwrap();
        assert_eq!(r.len, 3);
        assert_eq!(r.verdict, Verdict::Bad);
        // The same automation point on the next loop pass, over another phrase: not taken.
        log.clear();
        log.push(note(50, 12, 70));
        assert!(log.rate(Verdict::Good, 62, true).is_none());
        // A new point is.
        assert!(log.rate(Verdict::Good, 80, true).is_some());
        assert!(PhraseLog::default().rate(Verdict::Good, 100, false).is_none(), "nothing played yet");
    }

    #[test]
    fn the_roll_picks_the_phrase_under_the_pointer() {
        use super::super::engine::PlayedNote;
        let played = |at: i64, key: u8| PlayedNote {
            start: at as f64 / 12.0 + 0.02,
            length: 0.4,
            key: key + 12,
            kind: NoteType::Chord,
            heard: false,
            drawn: Some(note(at, 6, key)),
        };
        let heard = PlayedNote { drawn: None, heard: true, ..played(30, 80) };
        let history = [played(0, 60), played(6, 62), heard, played(48, 67), played(54, 65)];
        let (first, rest) = phrase_at(&history, 0.7).unwrap();
        assert_eq!(first.iter().map(|n| n.key).collect::<Vec<_>>(), vec![60, 62], "the drawn keys, not the heard note");
        assert_eq!(rest, 36);
        assert_eq!(phrase_at(&history, 1.9).unwrap().0.len(), 2, "a beat after its end still picks it");
        assert!(phrase_at(&history, 3.0).is_none(), "in the rest between phrases");
        assert_eq!(phrase_at(&history, 4.5).unwrap().0[0].key, 67);
    }

    #[test]
    fn a_long_line_is_cut_to_what_a_request_holds() {
        let mut log = PhraseLog::default();
        for i in 0..(LOGGED as i64 + 40) {
            log.push(note(i * 3, 3, 60 + (i % 12) as u8));
        }
        let r = log.rate(Verdict::Good, i64::MAX, false).unwrap();
        assert_eq!(r.len, MAX_RATED_NOTES);
        assert_eq!(r.phrase().last().unwrap().at, (LOGGED as i64 + 39) * 3);
    }
}
