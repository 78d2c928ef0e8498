//! Property tests of the queues a worker takes tasks from, against `VecDeque` models, with
//! random operations: the inbox (any thread pushes, the owner takes the batch), and the run
//! queue as the scheduler uses crossbeam-deque's (the owner pushes and pops FIFO, peers steal
//! batches from the front). Nothing is lost, duplicated or reordered.

use std::collections::VecDeque;

use crossbeam_deque::{Steal, Worker};
use proptest::prelude::*;

use super::inbox::Inbox;
use super::park::ParkState;

#[derive(Clone, Debug)]
enum Op {
    Push,
    /// The owner takes (the inbox's whole batch; the run queue's front task).
    Take,
    /// A peer steals a batch into its own queue and pops one (run queue only).
    Steal,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![4 => Just(Op::Push), 2 => Just(Op::Take), 1 => Just(Op::Steal)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn inbox_hands_over_every_item_in_order(ops in prop::collection::vec(op(), 1..200)) {
        let inbox = Inbox::new();
        let park = ParkState::new();
        let mut model = VecDeque::new();
        let mut next = 0u32;
        let mut batch = Vec::new();
        for op in ops {
            match op {
                Op::Push => {
                    let _ = inbox.push(next, &park);
                    model.push_back(next);
                    next += 1;
                }
                Op::Take | Op::Steal => {
                    inbox.take(&mut batch);
                    let expected: Vec<u32> = model.drain(..).collect();
                    prop_assert_eq!(std::mem::take(&mut batch), expected);
                }
            }
            prop_assert_eq!(inbox.is_empty(), model.is_empty());
        }
    }

    #[test]
    fn run_queue_and_steals_lose_and_reorder_nothing(ops in prop::collection::vec(op(), 1..300)) {
        let owner = Worker::new_fifo();
        let stealer = owner.stealer();
        let mut model = VecDeque::new();
        let mut next = 0u32;
        // Everything that left the owner's queue, in the order each taker got it.
        let mut taken = Vec::new();
        for op in ops {
            match op {
                Op::Push => {
                    owner.push(next);
                    model.push_back(next);
                    next += 1;
                }
                Op::Take => {
                    let got = owner.pop();
                    prop_assert_eq!(got, model.pop_front());
                    taken.extend(got);
                }
                Op::Steal => {
                    let peer = Worker::new_fifo();
                    match stealer.steal_batch_and_pop(&peer) {
                        Steal::Success(first) => {
                            // A batch from the front, in order.
                            let mut batch = vec![first];
                            while let Some(t) = peer.pop() {
                                batch.push(t);
                            }
                            let expected: Vec<u32> = model.drain(..batch.len()).collect();
                            prop_assert_eq!(&batch, &expected);
                            taken.extend(batch);
                        }
                        Steal::Empty => prop_assert!(model.is_empty()),
                        Steal::Retry => {}
                    }
                }
            }
            prop_assert_eq!(owner.len(), model.len());
        }
        taken.extend(std::iter::from_fn(|| owner.pop()));
        prop_assert_eq!(taken, (0..next).collect::<Vec<_>>());
    }
}
