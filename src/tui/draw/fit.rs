//! Fitting a line of parts to the width: each part gives way, shortest rendering first.

use super::*;

/// One item of a header line, from its longest rendering to its shortest (an empty one
/// drops it).
pub(super) struct Part {
    variants: Vec<Vec<Span<'static>>>,
    at: usize,
    /// No separator between this part and the next.
    glued: bool,
}

impl Part {
    pub(super) fn new(variants: Vec<Vec<Span<'static>>>) -> Part {
        Part {
            variants,
            at: 0,
            glued: false,
        }
    }

    pub(super) fn texts(texts: Vec<String>, style: Style) -> Part {
        Part::new(
            texts
                .into_iter()
                .map(|t| {
                    if t.is_empty() {
                        Vec::new()
                    } else {
                        vec![Span::styled(t, style)]
                    }
                })
                .collect(),
        )
    }

    pub(super) fn glued(mut self) -> Part {
        self.glued = true;
        self
    }

    pub(super) fn spans(&self) -> &[Span<'static>] {
        &self.variants[self.at]
    }

    pub(super) fn width(&self) -> usize {
        self.spans().iter().map(Span::width).sum()
    }
}

/// How a header line gives way when it does not fit, in order.
#[derive(Clone, Copy)]
pub(super) enum Give {
    /// The next shorter rendering of a part.
    Next(usize),
    /// Shorter renderings of a part while the line is too wide and they are at least
    /// this wide.
    Shrink(usize, usize),
}

pub(super) const SEP: &str = " │ ";

pub(super) fn line_width(parts: &[Part]) -> usize {
    let mut w = 0;
    let mut glued = true;
    for p in parts {
        let pw = p.width();
        if pw == 0 {
            continue;
        }
        if !glued {
            w += SEP.chars().count();
        }
        w += pw;
        glued = p.glued;
    }
    w
}

/// Gives way, step by step, until the line fits `width`; then joins it.
pub(super) fn fit_line(mut parts: Vec<Part>, gives: &[Give], width: usize) -> Line<'static> {
    for give in gives {
        if line_width(&parts) <= width {
            break;
        }
        match *give {
            Give::Next(i) => {
                if parts[i].at + 1 < parts[i].variants.len() {
                    parts[i].at += 1;
                }
            }
            Give::Shrink(i, min) => {
                while line_width(&parts) > width
                    && parts[i].at + 1 < parts[i].variants.len()
                    && parts[i].variants[parts[i].at + 1]
                        .iter()
                        .map(Span::width)
                        .sum::<usize>()
                        >= min
                {
                    parts[i].at += 1;
                }
            }
        }
    }
    // What shrank to make room may grow back into room that later steps freed.
    for give in gives.iter().rev() {
        let (Give::Next(i) | Give::Shrink(i, _)) = *give;
        {
            while parts[i].at > 0 {
                parts[i].at -= 1;
                if line_width(&parts) > width {
                    parts[i].at += 1;
                    break;
                }
            }
        }
    }
    let mut spans = Vec::new();
    let mut glued = true;
    for p in &parts {
        if p.width() == 0 {
            continue;
        }
        if !glued {
            spans.push(Span::styled(SEP, dim()));
        }
        spans.extend(p.spans().iter().cloned());
        glued = p.glued;
    }
    Line::from(spans)
}
