//! The crossbeam-channel side of ChannelBench's diagnostics `try_pair_ns` and `seq_ns`, so that
//! the single-operation figures can be compared with crossbeam on the same machine in one run.
//! Prints `crossbeam try_pair_ns FLAVOR NS` (one thread: try_send then try_recv, fastest of 30
//! batches of N/10 pairs) and `crossbeam seq_ns FLAVOR NS` (one thread sends N into a new
//! channel, then receives N; fastest of 10 batches; nanoseconds per item), and
//! `crossbeam select_pair_ns FLAVOR NS` (one thread: a select over four send operations, then a
//! select over the four receive operations of the same channels, as one `select_both` producer
//! and one consumer each do per item; fastest of 30 batches of N/10 pairs).
use crossbeam_channel::{bounded, unbounded, Receiver, Select, Sender};
use std::hint::black_box;
use std::time::Instant;

fn try_pair(name: &str, tx: Sender<u64>, rx: Receiver<u64>, pairs: u64) {
    let mut best = f64::MAX;
    for _ in 0..30 {
        let start = Instant::now();
        for i in 0..pairs {
            let _ = tx.try_send(i);
            black_box(rx.try_recv().expect("the item just sent"));
        }
        best = best.min(start.elapsed().as_nanos() as f64 / pairs as f64);
    }
    println!("crossbeam try_pair_ns {} {:.2}", name, best);
}

fn seq(name: &str, make: &dyn Fn() -> (Sender<u64>, Receiver<u64>), n: u64) {
    let mut best = f64::MAX;
    for _ in 0..10 {
        let start = Instant::now();
        let (tx, rx) = make();
        for i in 0..n {
            tx.send(i).expect("a receiver is alive");
        }
        for _ in 0..n {
            black_box(rx.recv().expect("an item is buffered"));
        }
        best = best.min(start.elapsed().as_nanos() as f64 / n as f64);
    }
    println!("crossbeam seq_ns {} {:.2}", name, best);
}

fn select_pair(name: &str, chans: Vec<(Sender<u64>, Receiver<u64>)>, pairs: u64) {
    let mut best = f64::MAX;
    for _ in 0..30 {
        let start = Instant::now();
        for i in 0..pairs {
            let mut sel = Select::new();
            for (tx, _) in &chans {
                sel.send(tx);
            }
            let op = sel.select();
            let k = op.index();
            op.send(&chans[k].0, i).expect("a receiver is alive");
            let mut sel = Select::new();
            for (_, rx) in &chans {
                sel.recv(rx);
            }
            let op = sel.select();
            let k = op.index();
            black_box(op.recv(&chans[k].1).expect("the item just sent"));
        }
        best = best.min(start.elapsed().as_nanos() as f64 / pairs as f64);
    }
    println!("crossbeam select_pair_ns {} {:.2}", name, best);
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let pairs = (n / 10).max(1000);
    let (tx, rx) = bounded(1024);
    try_pair("bounded", tx, rx, pairs);
    let (tx, rx) = unbounded();
    try_pair("unbounded", tx, rx, pairs);
    seq("boundedN", &|| bounded(n as usize), n);
    seq("unbounded", &|| unbounded(), n);
    select_pair("bounded", (0..4).map(|_| bounded(1024)).collect(), pairs);
    select_pair("unbounded", (0..4).map(|_| unbounded()).collect(), pairs);
}
