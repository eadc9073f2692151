//! Comment threads: ordering comments for display as nested lists, with a depth cap.

use std::collections::HashMap;

/// What the thread builder needs to know about a comment.
pub trait Threaded {
    fn id(&self) -> i64;
    fn parent_id(&self) -> Option<i64>;
}

/// One comment in display order. After rendering the comment, a template opens a
/// nested list when `has_children`; otherwise it closes the item and then `closes`
/// enclosing levels.
#[derive(Debug)]
pub struct ThreadItem<'a, T> {
    pub comment: &'a T,
    /// 1 for top-level comments.
    pub depth: usize,
    pub has_children: bool,
    pub closes: usize,
}

/// Orders `comments` (oldest first) into a depth-first thread. A comment whose parent
/// is not in the list shows at the top level; replies deeper than `max_depth` show at
/// the deepest allowed level, after their parent.
// Every index below comes from `0..comments.len()` (or `index`, built from it), and
// every vector indexed has that length.
#[allow(clippy::indexing_slicing)]
pub fn build<T: Threaded>(comments: &[T], max_depth: usize) -> Vec<ThreadItem<'_, T>> {
    let max_depth = max_depth.max(1);
    let index: HashMap<i64, usize> = comments.iter().enumerate().map(|(i, c)| (c.id(), i)).collect();

    // The depth of each comment and the parent it is shown under.
    let mut depth = vec![0usize; comments.len()];
    let mut shown_under: Vec<Option<usize>> = vec![None; comments.len()];
    for i in 0..comments.len() {
        depth_of(i, comments, &index, &mut depth, &mut shown_under, max_depth);
    }

    let mut children: Vec<Vec<usize>> = vec![Vec::new(); comments.len()];
    let mut roots = Vec::new();
    for (i, under) in shown_under.iter().enumerate() {
        match under {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }

    let mut order = Vec::with_capacity(comments.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        stack.extend(children[i].iter().rev());
    }

    let mut items: Vec<ThreadItem<'_, T>> = order
        .iter()
        .map(|&i| ThreadItem {
            comment: &comments[i],
            depth: depth[i],
            has_children: !children[i].is_empty(),
            closes: 0,
        })
        .collect();
    for k in 0..items.len() {
        if !items[k].has_children {
            let next_depth = items.get(k + 1).map_or(1, |n| n.depth);
            items[k].closes = items[k].depth.saturating_sub(next_depth);
        }
    }
    items
}

/// Resolves the display depth of comment `i`, walking up without recursion (threads
/// from imports can be deep, and a corrupt parent chain may even loop).
// As in `build`: indices from `0..comments.len()`, vectors of that length.
#[allow(clippy::indexing_slicing)]
fn depth_of<T: Threaded>(
    i: usize,
    comments: &[T],
    index: &HashMap<i64, usize>,
    depth: &mut [usize],
    shown_under: &mut [Option<usize>],
    max_depth: usize,
) {
    if depth[i] != 0 {
        return;
    }
    // Collect the chain of unresolved ancestors.
    let mut chain = vec![i];
    let mut cur = i;
    loop {
        let parent = comments[cur].parent_id().and_then(|p| index.get(&p).copied());
        match parent {
            Some(p) if depth[p] == 0 && !chain.contains(&p) => {
                chain.push(p);
                cur = p;
            }
            _ => break,
        }
    }
    // Resolve from the top of the chain down.
    for &c in chain.iter().rev() {
        let parent = comments[c].parent_id().and_then(|p| index.get(&p).copied()).filter(|&p| depth[p] != 0);
        match parent {
            None => {
                depth[c] = 1;
                shown_under[c] = None;
            }
            Some(p) if depth[p] < max_depth => {
                depth[c] = depth[p] + 1;
                shown_under[c] = Some(p);
            }
            Some(p) => {
                // Too deep: show beside the parent, at the parent's level.
                depth[c] = depth[p];
                shown_under[c] = shown_under[p];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct C(i64, Option<i64>);
    impl Threaded for C {
        fn id(&self) -> i64 {
            self.0
        }
        fn parent_id(&self) -> Option<i64> {
            self.1
        }
    }

    fn shape(items: &[ThreadItem<'_, C>]) -> Vec<(i64, usize, bool, usize)> {
        items.iter().map(|t| (t.comment.0, t.depth, t.has_children, t.closes)).collect()
    }

    #[test]
    fn replies_follow_their_parents() {
        let cs = [C(1, None), C(2, None), C(3, Some(1)), C(4, Some(3)), C(5, Some(1))];
        let items = build(&cs, 5);
        assert_eq!(
            shape(&items),
            vec![(1, 1, true, 0), (3, 2, true, 0), (4, 3, false, 1), (5, 2, false, 1), (2, 1, false, 0)]
        );
    }

    #[test]
    fn replies_beyond_the_cap_show_at_the_deepest_level() {
        let cs = [C(1, None), C(2, Some(1)), C(3, Some(2)), C(4, Some(3))];
        let items = build(&cs, 2);
        assert_eq!(shape(&items), vec![(1, 1, true, 0), (2, 2, false, 0), (3, 2, false, 0), (4, 2, false, 1)]);
    }

    #[test]
    fn orphans_and_loops_show_at_the_top() {
        let cs = [C(1, Some(99)), C(2, Some(3)), C(3, Some(2))];
        let items = build(&cs, 5);
        assert_eq!(items.len(), 3);
        assert!(items.iter().any(|t| t.comment.0 == 1 && t.depth == 1));
        let total_closes: usize = items.iter().map(|t| t.closes).sum();
        let opens = items.iter().filter(|t| t.has_children).count();
        assert_eq!(total_closes, opens);
    }
}
