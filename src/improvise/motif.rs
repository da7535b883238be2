//! Motifs: the opening cells of earlier phrases, kept so a later phrase can restate
//! one — its tokens drawn again and re-decoded over the current chord, keeping the
//! cell's intervals where the chord allows, which makes a sequence through the
//! changes.

/// Tokens kept per cell.
pub const CELL_TOKENS: usize = 8;
/// Cells remembered.
const MEMORY: usize = 8;

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
        let n = self.count.min(MEMORY);
        if n == 0 {
            return false;
        }
        let back = if pick < 0.6 { 0 } else { ((pick - 0.6) / 0.4 * n as f64) as usize % n };
        self.pending = Some(self.cells[(self.count - 1 - back) % MEMORY]);
        true
    }

    /// Restates the current phrase's opening as soon as the line reaches the same
    /// point of a beat (a sequence).
    pub fn sequence(&mut self) -> bool {
        if self.recording.is_full() {
            self.pending = Some(self.recording);
            true
        } else {
            false
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
        }
        self.next()
    }

    /// The next token of the restatement being played.
    pub fn next(&self) -> Option<(u16, Option<i8>)> {
        let (cell, i) = self.playing?;
        (i < cell.len).then(|| (cell.tokens[i], cell.intervals[i]))
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
            }
        }
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
}
