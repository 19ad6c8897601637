//! Replays every committed seed and regression input through the targets'
//! `run` functions, without libFuzzer: `cargo test` in `fuzz/`.

use std::fs;
use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};

fn replay<T: for<'a> Arbitrary<'a>>(target: &str, run: impl Fn(&T)) -> usize {
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let seeds_only = dir == "corpus";
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(target);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if seeds_only && !name.starts_with("seed-") {
                continue;
            }
            let bytes = fs::read(&path).unwrap();
            // As libfuzzer-sys builds it: the whole input, taken by `arbitrary_take_rest`.
            if let Ok(input) = T::arbitrary_take_rest(Unstructured::new(&bytes)) {
                run(&input);
            }
            n += 1;
        }
    }
    n
}

#[test]
fn session_ops_seeds_and_regressions_pass() {
    let n = replay("session_ops", barge_fuzz::session_ops::run);
    assert!(n > 0, "no seed found");
}

#[test]
fn kernel_seeds_and_regressions_pass() {
    let n = replay("kernel", barge_fuzz::kernel::run);
    assert!(n > 0, "no seed found");
}

#[test]
fn g711_seeds_and_regressions_pass() {
    let n = replay("g711", barge_fuzz::g711::run);
    assert!(n > 0, "no seed found");
}
