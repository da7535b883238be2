//! A click-free percussive envelope: attack from wherever the level is, then an
//! exponential decay while the key is down and a faster release after it.

/// Below this level a voice is silent (−100 dBFS): it stops, and its level is
/// exactly 0, so nothing decays into denormal numbers (not even a key held for minutes).
pub const SILENT: f32 = 1e-5;

/// Times of one sound's envelope, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Rise to the peak (from the current level, so a retrigger does not click).
    pub attack: f32,
    /// Time constant of the decay while the key is held.
    pub decay: f32,
    /// Time constant of the release after the key is let go.
    pub release: f32,
}

/// The envelope of one voice, advanced a sample at a time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Envelope {
    level: f32,
    peak: f32,
    /// Per-sample step of the attack (0 once it has reached the peak).
    rise: f32,
    /// Per-sample factor while held and after release.
    hold: f32,
    fall: f32,
    held: bool,
}

impl Envelope {
    /// Starts a note of `peak` level (retriggering from the current level).
    pub fn start(&mut self, shape: Shape, peak: f32, sample_rate: f32) {
        let sr = sample_rate.max(1.0);
        self.peak = peak;
        self.rise = (peak - self.level).max(0.0) / (shape.attack * sr).max(1.0);
        self.hold = (-1.0 / (shape.decay * sr).max(1.0)).exp();
        self.fall = (-1.0 / (shape.release * sr).max(1.0)).exp();
        self.held = true;
    }

    /// Lets the key go: the release begins.
    pub fn release(&mut self) {
        self.held = false;
        self.rise = 0.0;
    }

    /// Cuts the note at once, with a release of a few milliseconds (voice stealing, panic).
    pub fn stop(&mut self, sample_rate: f32) {
        self.release();
        self.fall = self.fall.min((-1.0 / (0.003 * sample_rate.max(1.0))).exp());
    }

    /// True while the voice makes any sound.
    pub fn active(&self) -> bool {
        self.level > 0.0 || self.rise > 0.0
    }

    /// True while the key is held.
    pub fn held(&self) -> bool {
        self.held
    }

    /// The next sample's level.
    #[inline]
    pub fn tick(&mut self) -> f32 {
        if self.rise > 0.0 {
            self.level += self.rise;
            if self.level >= self.peak {
                self.level = self.peak;
                self.rise = 0.0;
            }
        } else {
            self.level *= if self.held { self.hold } else { self.fall };
            if self.level < SILENT {
                self.level = 0.0;
            }
        }
        self.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape { attack: 0.002, decay: 1.0, release: 0.05 };

    #[test]
    fn rises_decays_releases_and_stops_at_exactly_zero() {
        let mut e = Envelope::default();
        e.start(SHAPE, 1.0, 48_000.0);
        let levels: Vec<f32> = (0..200).map(|_| e.tick()).collect();
        assert!((levels[95] - 1.0).abs() < 1e-6, "peak after 2 ms: {}", levels[95]);
        assert!(levels.windows(2).take(95).all(|w| w[1] > w[0]));
        e.release();
        let mut n = 0;
        while e.active() {
            e.tick();
            n += 1;
        }
        // ln(1e5) time constants of 50 ms: 0.58 s.
        assert!((27_000..29_000).contains(&n), "{n} samples of release");
        assert_eq!(e.tick(), 0.0);
    }

    #[test]
    fn a_retrigger_starts_from_the_current_level() {
        let mut e = Envelope::default();
        e.start(SHAPE, 0.8, 48_000.0);
        for _ in 0..4_800 {
            e.tick();
        }
        let before = e.tick();
        e.start(SHAPE, 0.9, 48_000.0);
        let after = e.tick();
        assert!((after - before).abs() < 0.01, "{before} then {after}");
    }
}
