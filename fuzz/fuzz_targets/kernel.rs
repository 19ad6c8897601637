#![no_main]
libfuzzer_sys::fuzz_target!(|input: barge_fuzz::kernel::Input| {
    barge_fuzz::kernel::run(&input);
});
