#![no_main]
libfuzzer_sys::fuzz_target!(|input: barge_fuzz::g711::Input| {
    barge_fuzz::g711::run(&input);
});
