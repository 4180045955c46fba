//! Intrusive doubly linked lists over the lease slab: O(1) push, unlink and
//! pop, no allocation. A lease is on at most one list at a time.

pub const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct List {
    pub head: u32,
    pub tail: u32,
    pub len: u32,
}

impl Default for List {
    fn default() -> Self {
        List {
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

/// Links of one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Links {
    pub prev: u32,
    pub next: u32,
}

impl Default for Links {
    fn default() -> Self {
        Links {
            prev: NIL,
            next: NIL,
        }
    }
}

/// Access to the links of the elements of a slab.
pub trait Linked {
    fn links(&mut self, index: u32) -> &mut Links;
}

impl List {
    pub fn push_back<S: Linked>(&mut self, slab: &mut S, index: u32) {
        *slab.links(index) = Links {
            prev: self.tail,
            next: NIL,
        };
        if self.tail == NIL {
            self.head = index;
        } else {
            slab.links(self.tail).next = index;
        }
        self.tail = index;
        self.len += 1;
    }

    pub fn unlink<S: Linked>(&mut self, slab: &mut S, index: u32) {
        let Links { prev, next } = *slab.links(index);
        if prev == NIL {
            self.head = next;
        } else {
            slab.links(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            slab.links(next).prev = prev;
        }
        *slab.links(index) = Links::default();
        self.len -= 1;
    }

    pub fn pop_front<S: Linked>(&mut self, slab: &mut S) -> Option<u32> {
        let head = self.head;
        if head == NIL {
            return None;
        }
        self.unlink(slab, head);
        Some(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Slab(Vec<Links>);
    impl Linked for Slab {
        fn links(&mut self, index: u32) -> &mut Links {
            &mut self.0[index as usize]
        }
    }

    fn collect(list: &List, slab: &mut Slab) -> Vec<u32> {
        let mut out = Vec::new();
        let mut at = list.head;
        while at != NIL {
            out.push(at);
            at = slab.links(at).next;
        }
        out
    }

    #[test]
    fn push_unlink_pop_keep_order() {
        let mut slab = Slab(vec![Links::default(); 5]);
        let mut list = List::default();
        for i in 0..5 {
            list.push_back(&mut slab, i);
        }
        list.unlink(&mut slab, 2);
        list.unlink(&mut slab, 0);
        list.unlink(&mut slab, 4);
        assert_eq!(collect(&list, &mut slab), vec![1, 3]);
        list.push_back(&mut slab, 0);
        assert_eq!(list.pop_front(&mut slab), Some(1));
        assert_eq!(collect(&list, &mut slab), vec![3, 0]);
        assert_eq!(list.len, 2);
        assert_eq!(list.pop_front(&mut slab), Some(3));
        assert_eq!(list.pop_front(&mut slab), Some(0));
        assert_eq!(list.pop_front(&mut slab), None);
        assert_eq!(list, List::default());
    }
}
