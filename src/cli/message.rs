//! What the command-line tools say when they refuse something: one line, safe to
//! print — control characters escaped (a track name with a newline or a terminal
//! escape cannot split the line or reach the terminal), absurdly long numbers
//! shortened, and clap's multi-line usage errors reduced to their first line.

/// Digits kept of a longer number.
const KEEP_DIGITS: usize = 12;
/// Longest message printed, in characters.
const MAX_CHARS: usize = 400;

/// `text` with its control characters escaped (`\n`, `\u{1b}`), so a name read
/// from a file can be printed on a line of its own without splitting it or
/// reaching the terminal.
pub fn printable(text: &str) -> String {
    text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect()
}

/// The message as one printable line.
pub fn one_line(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() > KEEP_DIGITS {
            out.push_str(&format!("{}… ({} digits)", &digits[..KEEP_DIGITS], digits.len()));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.trim_end().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        flush(&mut digits, &mut out);
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    if out.chars().count() > MAX_CHARS {
        out = out.chars().take(MAX_CHARS).collect::<String>() + "…";
    }
    out
}

/// A clap error as one line without its "error: " prefix and usage block, e.g.
/// `invalid value 'x' for '--bars <BARS>': invalid digit found in string`.
pub fn clap_line(error: &str) -> String {
    // The first paragraph: a line ending in ':' continues with what it lists
    // ("the following required arguments were not provided:\n  --chords-from …").
    let mut lines = error.lines().skip_while(|l| l.trim().is_empty());
    let mut first = lines.next().unwrap_or(error).to_string();
    if first.ends_with(':') {
        let listed: Vec<&str> = lines.take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
        first = format!("{first} {}", listed.join(", "));
    }
    let first = first.strip_prefix("error: ").unwrap_or(&first);
    one_line(first) + " (see --help)"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_printable() {
        assert_eq!(printable("lead\n\x1b[31mred\x07 é"), "lead\\n\\u{1b}[31mred\\u{7} é");
    }

    #[test]
    fn one_printable_line() {
        assert_eq!(one_line("track \"a\nb\x1b[31m\x07\": bad"), "track \"a\\nb\\u{1b}[31m\\u{7}\": bad");
        let long = format!("--tempo {} is not between 20 and 400 BPM", "9".repeat(309));
        assert_eq!(one_line(&long), "--tempo 999999999999… (309 digits) is not between 20 and 400 BPM");
        assert_eq!(one_line(&"x".repeat(1000)).chars().count(), MAX_CHARS + 1);
        let clap = "error: unexpected argument '--frobnicate' found\n\n  tip: …\n\nUsage: improv generate [OPTIONS]\n";
        assert_eq!(clap_line(clap), "unexpected argument '--frobnicate' found (see --help)");
        let missing = "error: the following required arguments were not provided:\n  --chords-from <CHORDS_FROM>\n\nUsage: improv generate --trade <TRADE> --chords-from <CHORDS_FROM>\n";
        assert_eq!(
            clap_line(missing),
            "the following required arguments were not provided: --chords-from <CHORDS_FROM> (see --help)"
        );
    }
}
