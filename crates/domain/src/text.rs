//! The Unicode policy for text people write (titles, descriptions,
//! categories, tags, chat messages): bidirectional controls are stripped
//! (they let a title or a message display in an order other than the one
//! stored), and text made only of invisible characters counts as empty.

/// Bidirectional embedding, override and isolate controls and marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that draw nothing: white space, format characters (zero
/// width spaces and joiners, word joiner, byte order mark, soft hyphen,
/// variation selectors, tag characters) and blank look-alikes (Hangul
/// fillers, braille blank).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Whether the text shows at least one visible character.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !is_invisible(c))
}

/// The text without bidirectional controls, trimmed; empty when nothing
/// visible is left.
pub fn clean(text: &str) -> String {
    let stripped: String = text.chars().filter(|c| !is_bidi_control(*c)).collect();
    let trimmed = stripped.trim_matches(is_invisible);
    if has_visible(trimmed) {
        trimmed.to_owned()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_only_text_is_empty() {
        for text in [
            "\u{200b}\u{200b}",
            "\u{feff}",
            " \u{2060} ",
            "\u{3164}",
            "\u{202e}",
            "\u{e0041}",
        ] {
            assert!(!has_visible(text), "{text:?}");
            assert_eq!(clean(text), "", "{text:?}");
        }
    }

    #[test]
    fn bidi_controls_are_stripped_and_the_rest_kept() {
        assert_eq!(clean("\u{202e}evil\u{202c} set"), "evil set");
        assert_eq!(clean("\u{2067}x\u{2069}"), "x");
        assert_eq!(clean("  café \u{200b}"), "café");
    }

    #[test]
    fn joiners_inside_visible_text_are_kept() {
        // Emoji sequences and scripts rely on joiners between visible characters.
        let family = "👩\u{200d}👩\u{200d}👧";
        assert_eq!(clean(family), family);
        assert!(has_visible("\u{200b}a"));
    }
}
