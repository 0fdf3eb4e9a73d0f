//! A yes/no question before an action that cannot be undone (drawn by `ui::popup::confirm`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A question over the screen about a `T` (what the action would act on). While it is visible
/// it takes every key: `y` confirms; `n`, Esc and any other key cancel. Either closes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Confirm<T> {
    /// The question and its subject, while it is asked.
    asked: Option<(String, T)>,
}

/// What the key answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer<T> {
    /// Go ahead with the action on this subject.
    Yes(T),
    No,
}

impl<T> Default for Confirm<T> {
    fn default() -> Self {
        Confirm { asked: None }
    }
}

impl<T> Confirm<T> {
    /// Shows `message` (a question, such as `Cancel allocation 1.12 of alice?`) about `subject`.
    pub fn ask(&mut self, message: impl Into<String>, subject: T) {
        self.asked = Some((message.into(), subject));
    }

    pub fn is_visible(&self) -> bool {
        self.asked.is_some()
    }

    pub fn message(&self) -> Option<&str> {
        self.asked.as_ref().map(|(m, _)| m.as_str())
    }

    /// While visible: takes the key, closes, and answers. Not visible: `None`, the key is not
    /// for it.
    pub fn on_key(&mut self, key: &KeyEvent) -> Option<Answer<T>> {
        let (_, subject) = self.asked.take()?;
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        Some(match key.code {
            KeyCode::Char('y' | 'Y') if plain => Answer::Yes(subject),
            _ => Answer::No,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn hidden_it_takes_no_key() {
        let mut c: Confirm<u32> = Confirm::default();
        assert!(!c.is_visible() && c.message().is_none());
        assert_eq!(c.on_key(&key(KeyCode::Char('y'))), None);
    }

    #[test]
    fn y_confirms_the_subject_and_closes() {
        let mut c = Confirm::default();
        c.ask("Cancel allocation 1.12?", 12);
        assert!(c.is_visible());
        assert_eq!(c.message(), Some("Cancel allocation 1.12?"));
        assert_eq!(c.on_key(&key(KeyCode::Char('y'))), Some(Answer::Yes(12)));
        assert!(!c.is_visible());
        assert_eq!(c.on_key(&key(KeyCode::Char('y'))), None, "answered once");
    }

    #[test]
    fn n_esc_and_any_other_key_cancel() {
        let ctrl_y = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL);
        for k in [
            key(KeyCode::Char('n')),
            key(KeyCode::Esc),
            key(KeyCode::Enter),
            key(KeyCode::Char('q')),
            ctrl_y,
        ] {
            let mut c = Confirm::default();
            c.ask("Sure?", ());
            assert_eq!(c.on_key(&k), Some(Answer::No), "{k:?}");
            assert!(!c.is_visible());
        }
    }
}
