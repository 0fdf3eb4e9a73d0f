//! A scroll position bounded by what was last drawn.

/// The first line shown of a list taller than its area. The draw records how long the list is
/// and how many lines fit ([`Scroll::fit`]); moving down stops once the last line is on screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scroll {
    offset: usize,
    len: usize,
    page: usize,
}

impl Scroll {
    pub fn offset(self) -> usize {
        self.offset
    }

    pub fn up(&mut self) {
        self.offset = self.offset.saturating_sub(1);
    }

    pub fn down(&mut self) {
        self.offset = (self.offset + 1).min(self.last_offset());
    }

    /// Lines on screen at the last draw (at least 1).
    pub fn page(self) -> usize {
        self.page.max(1)
    }

    /// Move by `lines` (negative: up), within the list.
    pub fn by(&mut self, lines: isize) {
        let to = (self.offset as isize).saturating_add(lines);
        self.offset = (to.max(0) as usize).min(self.last_offset());
    }

    /// Back to the top, forgetting the last draw (another list is coming).
    pub fn reset(&mut self) {
        *self = Scroll::default();
    }

    /// Records a draw of `len` lines with `page` of them on screen, and returns the first line
    /// to draw: the offset, clamped in case the list got shorter.
    pub fn fit(&mut self, len: usize, page: usize) -> usize {
        self.len = len;
        self.page = page;
        self.offset = self.offset.min(self.last_offset());
        self.offset
    }

    fn last_offset(self) -> usize {
        self.len.saturating_sub(self.page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_stops_when_the_last_line_is_on_screen() {
        let mut s = Scroll::default();
        s.down();
        assert_eq!(s.offset(), 0, "nothing drawn yet: nowhere to go");
        assert_eq!(s.fit(10, 4), 0);
        for _ in 0..20 {
            s.down();
        }
        assert_eq!(s.offset(), 6);
        s.up();
        assert_eq!(s.offset(), 5);
    }

    #[test]
    fn a_shorter_list_pulls_the_offset_back() {
        let mut s = Scroll::default();
        s.fit(10, 4);
        for _ in 0..6 {
            s.down();
        }
        assert_eq!(s.fit(7, 4), 3);
        assert_eq!(s.fit(3, 4), 0, "all of it fits");
        s.up();
        assert_eq!(s.offset(), 0);
    }

    #[test]
    fn reset_goes_back_to_the_top() {
        let mut s = Scroll::default();
        s.fit(10, 4);
        s.down();
        s.reset();
        assert_eq!(s, Scroll::default());
    }
}
