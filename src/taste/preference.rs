//! The preference model: logistic regression over a phrase's features, fitted to
//! the player's thumbs up and down. Small enough to fit in milliseconds and to
//! score candidates on the audio thread (fixed-size arrays, no allocation).

use super::features::{FEATURE_WORDS, Features, N_FEATURES};

/// Gradient-descent passes of a fit (full batch: the same answer every time).
const FIT_PASSES: usize = 400;
/// Step size on standardised features.
const FIT_STEP: f64 = 0.5;
/// L2 penalty on the weights: with a handful of ratings the model stays modest.
const FIT_L2: f64 = 0.05;
/// A feature whose spread over the ratings is below this is scaled as if it had
/// this spread (a feature every rated phrase shares says nothing of taste).
const MIN_SPREAD: f64 = 0.05;
/// Sentences name at most this many features each way (the strongest).
pub const SAY_AT_MOST: usize = 3;
/// Weights smaller than this are not put into words.
pub const SAY_WEIGHT: f32 = 0.25;

/// What the player's ratings say: how much each feature raises the log-odds of
/// "good", on features standardised over the ratings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preference {
    mean: Features,
    spread: Features,
    weights: Features,
    bias: f32,
    /// Ratings it was fitted to (good, bad).
    pub rated: (usize, usize),
}

/// One sentence of what the model learned: a feature, liked or not, and its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Learned {
    /// What the phrases do ("end on the 3rd or the 7th").
    pub words: &'static str,
    /// Change in log-odds of "good" per standard deviation of the feature.
    pub weight: f32,
}

impl Preference {
    /// Fits the model to rated phrases (`true` = good); `None` without ratings.
    pub fn fit(examples: &[(Features, bool)]) -> Option<Self> {
        if examples.is_empty() {
            return None;
        }
        let n = examples.len() as f64;
        let mut mean = [0.0f64; N_FEATURES];
        for (f, _) in examples {
            for (m, &x) in mean.iter_mut().zip(f) {
                *m += x as f64 / n;
            }
        }
        let mut spread = [0.0f64; N_FEATURES];
        for (f, _) in examples {
            for ((s, &x), m) in spread.iter_mut().zip(f).zip(&mean) {
                *s += (x as f64 - m).powi(2) / n;
            }
        }
        spread.iter_mut().for_each(|s| *s = s.sqrt().max(MIN_SPREAD));
        let rows: Vec<([f64; N_FEATURES], f64)> = examples
            .iter()
            .map(|(f, good)| {
                let mut z = [0.0; N_FEATURES];
                for (i, zi) in z.iter_mut().enumerate() {
                    *zi = (f[i] as f64 - mean[i]) / spread[i];
                }
                (z, if *good { 1.0 } else { 0.0 })
            })
            .collect();
        let (mut w, mut b) = ([0.0f64; N_FEATURES], 0.0f64);
        for _ in 0..FIT_PASSES {
            let (mut gw, mut gb) = ([0.0f64; N_FEATURES], 0.0f64);
            for (z, y) in &rows {
                let p = sigmoid(b + dot(&w, z));
                let e = (p - y) / n;
                gb += e;
                for (g, &zi) in gw.iter_mut().zip(z) {
                    *g += e * zi;
                }
            }
            b -= FIT_STEP * gb;
            for (wi, g) in w.iter_mut().zip(&gw) {
                *wi -= FIT_STEP * (g + FIT_L2 * *wi);
            }
        }
        let good = examples.iter().filter(|(_, g)| *g).count();
        Some(Self {
            mean: mean.map(|x| x as f32),
            spread: spread.map(|x| x as f32),
            weights: w.map(|x| x as f32),
            bias: b as f32,
            rated: (good, examples.len() - good),
        })
    }

    /// The log-odds that the player likes a phrase with these features
    /// (allocation-free: the improviser scores candidates with it).
    pub fn logit(&self, f: &Features) -> f32 {
        let terms = self.weights.iter().zip(f).zip(self.mean.iter().zip(&self.spread));
        self.bias + terms.map(|((w, x), (m, sd))| w * (x - m) / sd).sum::<f32>()
    }

    /// The probability that the player likes it.
    pub fn likes(&self, f: &Features) -> f32 {
        sigmoid(self.logit(f) as f64) as f32
    }

    /// What it learned, strongest first: every feature whose weight is at least
    /// [`SAY_WEIGHT`] either way.
    pub fn learned(&self) -> Vec<Learned> {
        let mut out: Vec<Learned> = (0..N_FEATURES)
            .filter(|&i| self.weights[i].abs() >= SAY_WEIGHT)
            .map(|i| Learned { words: FEATURE_WORDS[i], weight: self.weights[i] })
            .collect();
        out.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()).then(a.words.cmp(b.words)));
        out
    }

    /// What it learned in one or two sentences ("you like phrases that …; you
    /// dislike phrases that …"), the [`SAY_AT_MOST`] strongest features each way.
    pub fn in_words(&self) -> String {
        let learned = self.learned();
        let list = |like: bool| {
            let words: Vec<&str> =
                learned.iter().filter(|l| (l.weight > 0.0) == like).map(|l| l.words).take(SAY_AT_MOST).collect();
            match words.as_slice() {
                [] => None,
                [one] => Some((*one).to_string()),
                [init @ .., last] => Some(format!("{} and {last}", init.join(", "))),
            }
        };
        let parts: Vec<String> = [(true, "you like phrases that"), (false, "you dislike phrases that")]
            .into_iter()
            .filter_map(|(like, lead)| list(like).map(|w| format!("{lead} {w}")))
            .collect();
        if parts.is_empty() { "no preference stands out yet".into() } else { parts.join("; ") }
    }
}

fn dot(a: &[f64; N_FEATURES], b: &[f64; N_FEATURES]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Phrases whose feature `i` is `x` and every other a fixed pattern of `k`.
    fn phrase(k: usize, i: usize, x: f32) -> Features {
        let mut f = [0.0; N_FEATURES];
        for (j, v) in f.iter_mut().enumerate() {
            *v = ((j * 7 + k * 3) % 10) as f32 / 10.0;
        }
        f[i] = x;
        f
    }

    #[test]
    fn it_learns_a_liked_feature_and_says_so() {
        // Liked when they leave space (feature 2); the other features are noise.
        let examples: Vec<(Features, bool)> = (0..60)
            .map(|k| {
                let space = (k % 5) as f32 / 4.0;
                (phrase(k, 2, space), space >= 0.5)
            })
            .collect();
        let p = Preference::fit(&examples).unwrap();
        assert_eq!(p.rated, (36, 24));
        let roomy = phrase(1, 2, 1.0);
        let crowded = phrase(1, 2, 0.0);
        assert!(p.likes(&roomy) > 0.7 && p.likes(&crowded) < 0.2, "{} {}", p.likes(&roomy), p.likes(&crowded));
        let top = p.learned()[0];
        assert_eq!(top.words, FEATURE_WORDS[2]);
        assert!(top.weight > 1.0);
        assert!(p.in_words().starts_with("you like phrases that leave space after them"), "{}", p.in_words());
        // The same ratings fit the same model, bit for bit.
        assert_eq!(Preference::fit(&examples), Some(p));
    }

    #[test]
    fn no_ratings_no_model_and_one_sided_ratings_learn_no_feature() {
        assert_eq!(Preference::fit(&[]), None);
        let all_good: Vec<(Features, bool)> = (0..20).map(|k| (phrase(k, 0, 1.0), true)).collect();
        let p = Preference::fit(&all_good).unwrap();
        assert!(p.learned().is_empty(), "{:?}", p.learned());
        assert_eq!(p.in_words(), "no preference stands out yet");
    }
}
