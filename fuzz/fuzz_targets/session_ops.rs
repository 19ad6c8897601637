#![no_main]
libfuzzer_sys::fuzz_target!(|input: barge_fuzz::session_ops::Input| {
    barge_fuzz::session_ops::run(&input);
});
