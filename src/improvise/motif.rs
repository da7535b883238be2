//! Motifs: the opening cells of earlier phrases, kept so a later phrase can restate
//! one — its tokens drawn again and re-decoded over the current chord, keeping the
//! cell's intervals where the chord allows, which makes a sequence through the
//! changes.

/// Tokens kept per cell.
pub const CELL_TOKENS: usize = 8;
/// Cells of a call an answer restates, in order (see `listen::Heard::answer_plan`).
pub const CALL_CELLS: usize = 2;
/// Cells remembered.
const MEMORY: usize = 8;
/// Tokens of one restated cell that may be bent to the allowed token nearest in
/// rhythm (a model that hears; see `Improviser::draw_guided`): one keeps the cell
/// recognisable over a new chord, where a cell that needs more no longer is one.
pub const MAX_BENT: u8 = 1;

/// A phrase's opening: tokens and, for notes, the interval from the note before
/// (within the cell).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    tokens: [u16; CELL_TOKENS],
    intervals: [Option<i8>; CELL_TOKENS],
    len: usize,
    /// Where in its beat the cell started, in twelfths (a restatement starts at the
    /// same point of a beat, so its rhythm fits the time grid as the original did).
    start: i64,
    /// The musician played it (a call's cell).
    from_call: bool,
    /// For a call's cell, each token's length as played, in twelfths (0: the
    /// token's own): an answer restates the call's rhythm even where the
    /// vocabulary has no token of that length.
    lengths: [u16; CELL_TOKENS],
}

impl Cell {
    /// Appends a token starting at `at` (twelfths of a beat); `interval` is the
    /// semitones from the cell's previous note.
    pub fn push(&mut self, token: u16, interval: Option<i8>, at: i64) {
        if self.len == 0 {
            self.start = at.rem_euclid(12);
        }
        if self.len < CELL_TOKENS {
            self.tokens[self.len] = token;
            self.intervals[self.len] = interval;
            self.len += 1;
        }
    }

    /// Marks the cell as the musician's and the last token's length as played
    /// (twelfths of a beat).
    pub fn mark_call(&mut self, length: i64) {
        self.from_call = true;
        if self.len > 0 {
            self.lengths[self.len - 1] = length.clamp(0, u16::MAX as i64) as u16;
        }
    }

    /// True if nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True once the cell holds [`CELL_TOKENS`] tokens.
    pub fn is_full(&self) -> bool {
        self.len == CELL_TOKENS
    }
}

/// The remembered cells and the one being restated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Motifs {
    cells: [Cell; MEMORY],
    count: usize,
    /// The opening of the current phrase, while it is being played.
    pub recording: Cell,
    /// A cell waiting for its point in the beat.
    pending: Option<Cell>,
    playing: Option<(Cell, usize)>,
    /// A call's cells still to restate in an answer, in order, and the next one.
    call: [Cell; CALL_CELLS],
    call_next: usize,
    /// Tokens of the restatement being played that were bent to fit.
    bent: u8,
}

impl Motifs {
    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Keeps the current phrase's opening (if it got far enough) and starts a new one.
    pub fn end_phrase(&mut self) {
        if self.recording.len >= 4 {
            self.cells[self.count % MEMORY] = self.recording;
            self.count += 1;
        }
        self.recording = Cell::default();
    }

    /// Starts restating a remembered cell: `pick` in 0..1 chooses it (the most
    /// recent more often). False if there is none.
    pub fn restate(&mut self, pick: f64) -> bool {
        if let Some(c) = self.take_call() {
            self.pending = Some(c);
            return true;
        }
        self.pending = self.remembered(pick);
        self.pending.is_some()
    }

    /// A remembered cell: `pick` in 0..1 chooses it (the most recent more often).
    fn remembered(&self, pick: f64) -> Option<Cell> {
        let n = self.count.min(MEMORY);
        if n == 0 {
            return None;
        }
        let back = if pick < 0.6 { 0 } else { ((pick - 0.6) / 0.4 * n as f64) as usize % n };
        Some(self.cells[(self.count - 1 - back) % MEMORY])
    }

    /// Restates the current phrase's opening as soon as the line reaches the same
    /// point of a beat (a sequence), unless a call's cell is waiting.
    pub fn sequence(&mut self) -> bool {
        if self.recording.is_full() && !self.pending.is_some_and(|c| c.from_call) {
            self.pending = Some(self.recording);
            true
        } else {
            false
        }
    }

    /// Chooses again which of the solo's own cells the waiting restatement is
    /// (`pick` as in [`Motifs::restate`]), among those that start where it does
    /// in the beat; a call's cell stays.
    pub fn repick(&mut self, pick: f64) {
        if let Some(old) = self.pending.filter(|c| !c.from_call)
            && let Some(new) = self.remembered(pick).filter(|c| c.start == old.start)
        {
            self.pending = Some(new);
        }
    }

    /// Where in a beat (twelfths) the waiting restatement starts.
    pub fn pending_start(&self) -> Option<i64> {
        self.pending.map(|c| c.start)
    }

    /// The next token of a restatement at `at` (twelfths of a beat) and the
    /// interval it should keep; a waiting cell starts here if `at` is its point in
    /// the beat.
    pub fn next_at(&mut self, at: i64) -> Option<(u16, Option<i8>)> {
        if self.playing.is_none()
            && let Some(cell) = self.pending.filter(|c| c.start == at.rem_euclid(12))
        {
            self.playing = Some((cell, 0));
            self.pending = None;
            self.bent = 0;
        }
        self.next()
    }

    /// The next token of the restatement being played.
    pub fn next(&self) -> Option<(u16, Option<i8>)> {
        let (cell, i) = self.playing?;
        (i < cell.len).then(|| (cell.tokens[i], cell.intervals[i]))
    }

    /// The length the musician played the next restated token with (twelfths), for
    /// a call's cell.
    pub fn played_length(&self) -> Option<i64> {
        let (cell, i) = self.playing?;
        (cell.from_call && i < cell.len && cell.lengths[i] > 0).then(|| cell.lengths[i] as i64)
    }

    /// True while a call's cell is being restated.
    pub fn restating_call(&self) -> bool {
        self.playing.is_some_and(|(c, _)| c.from_call)
    }

    /// True while a cell is being restated.
    pub fn is_playing(&self) -> bool {
        self.next().is_some()
    }

    /// The restated token was played.
    pub fn advance(&mut self) {
        if let Some((cell, i)) = &mut self.playing {
            *i += 1;
            if *i >= cell.len {
                self.playing = None;
                if self.pending.is_none() {
                    self.pending = self.take_call();
                }
            }
        }
    }

    /// Takes a call's cells (the musician's, in order) for an answer: the first is
    /// restated from the next token on, wherever in the beat that is; each of the
    /// others waits until the one before it is done, then for its own point in the
    /// beat, and a new phrase restates the next one still waiting. All are kept.
    pub fn answer(&mut self, cells: &[Cell]) {
        self.recording = Cell::default();
        self.call = [Cell::default(); CALL_CELLS];
        self.call_next = 0;
        let cells = &cells[..cells.len().min(CALL_CELLS)];
        for (i, &c) in cells.iter().filter(|c| c.len > 0).enumerate() {
            self.call[i] = c;
        }
        for &c in self.call.iter().rev().filter(|c| c.len > 0) {
            self.cells[self.count % MEMORY] = c;
            self.count += 1;
        }
        self.pending = None;
        self.playing = self.take_call().map(|c| (c, 0));
        self.bent = 0;
    }

    /// The next of a call's cells still to restate.
    fn take_call(&mut self) -> Option<Cell> {
        let c = self.call.get(self.call_next).copied().filter(|c| c.len > 0)?;
        self.call_next += 1;
        Some(c)
    }

    /// True if the restatement being played may bend one more token to fit
    /// ([`MAX_BENT`]); counts it.
    pub fn bend(&mut self) -> bool {
        let may = self.bent < MAX_BENT;
        self.bent += u8::from(may);
        may
    }

    /// Gives up the restatement (its next token does not fit here) and any waiting one.
    pub fn abort(&mut self) {
        self.playing = None;
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restates_the_cells_it_kept() {
        let mut m = Motifs::default();
        assert!(!m.restate(0.0));
        for t in 0..CELL_TOKENS as u16 {
            m.recording.push(t, Some(2), 3 + 3 * t as i64);
        }
        assert!(m.sequence());
        assert_eq!(m.pending_start(), Some(3));
        assert_eq!(m.next_at(12), None, "waits for its point in the beat");
        assert!(m.next_at(27).is_some());
        let mut got = Vec::new();
        while let Some((t, _)) = m.next() {
            got.push(t);
            m.advance();
        }
        assert_eq!(got, (0..CELL_TOKENS as u16).collect::<Vec<_>>());
        m.end_phrase();
        assert!(m.restate(0.1));
        assert_eq!(m.next_at(15), Some((0, Some(2))));
        m.abort();
        assert!(!m.is_playing());
    }

    /// A phrase's opening of `CELL_TOKENS` tokens from `first`, starting `start`
    /// twelfths into its beat, kept as a cell.
    fn keep(m: &mut Motifs, first: u16, start: i64) {
        for t in first..first + CELL_TOKENS as u16 {
            m.recording.push(t, Some(2), start + 3 * (t - first) as i64);
        }
        m.end_phrase();
    }

    #[test]
    fn a_restatement_bends_one_token_at_most_and_the_next_may_again() {
        let mut m = Motifs::default();
        keep(&mut m, 0, 0);
        assert!(m.restate(0.0));
        assert!(m.next_at(24).is_some());
        assert!(m.bend(), "the first misfit bends");
        assert!((1..5).all(|_| !m.bend()), "no further token of the same restatement");
        m.abort();
        assert!(m.restate(0.0));
        assert!(m.next_at(36).is_some());
        assert!(m.bend(), "a new restatement may bend one again");
    }

    #[test]
    fn repicking_keeps_the_point_in_the_beat_and_a_calls_cell() {
        let mut m = Motifs::default();
        keep(&mut m, 0, 0);
        keep(&mut m, 10, 3);
        keep(&mut m, 20, 0);
        assert!(m.restate(0.0), "the most recent: tokens 20.., on the beat");
        // Picks near 1 reach back to the oldest cells: tokens 0.. on the beat
        // may replace it, tokens 10.. (a sixteenth in) may not.
        let firsts: std::collections::BTreeSet<u16> = (0..100)
            .map(|k| {
                let mut n = m;
                n.repick(0.6 + 0.4 * k as f64 / 100.0);
                assert_eq!(n.pending_start(), Some(0));
                n.next_at(12).unwrap().0
            })
            .collect();
        assert_eq!(firsts.into_iter().collect::<Vec<_>>(), vec![0, 20]);
        // A call's cell is the answer's to restate: it stays.
        let call = |first: u16| {
            let mut c = Cell::default();
            for t in 0..CELL_TOKENS as u16 {
                c.push(first + t, Some(1), 3 * t as i64);
            }
            c.mark_call(3);
            c
        };
        m.answer(&[call(40), call(50)]);
        assert!(m.restate(0.9), "the call's second cell waits");
        m.repick(0.99);
        while m.next().is_some() {
            m.advance();
        }
        assert_eq!(m.next_at(0).map(|t| t.0), Some(50));
    }
}
