use std::hint::black_box;
use std::time::Instant;
use barge::{Format, Mode, Role, Session};
fn main() {
    if std::env::var_os("RAMP").is_some() { let n: u32 = std::env::args().nth(1).map_or(2_000_000, |a| a.parse().unwrap()); ramp_only(n); return; }
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    let ids = [s.join(Role::Customer).unwrap(), s.join(Role::Agent).unwrap(), s.join_supervisor(if std::env::args().nth(2).is_some() { Mode::Whisper } else { Mode::Barge }).unwrap()];
    let frames: Vec<Vec<i16>> = (0..3).map(|i| (0..160).map(|j| ((j * 37 + i * 11) % 2000) as i16 - 1000).collect()).collect();
    let mut outs = vec![vec![0i16; 160]; 3];
    for _ in 0..3 { for (id, f) in ids.iter().zip(&frames) { s.put_frame(*id, f).unwrap(); } s.mix(); }
    let n: u32 = std::env::args().nth(1).map_or(2_000_000, |a| a.parse().unwrap());
    for round in 0..1 {
        let t = Instant::now();
        for _ in 0..n { for (o, f) in outs.iter_mut().zip(&frames) { o.copy_from_slice(black_box(f)); } black_box(&mut outs); }
        let memcpy = t.elapsed().as_nanos() as f64 / n as f64;
        let t = Instant::now();
        for _ in 0..n { for (id, f) in ids.iter().zip(&frames) { s.put_frame(*id, black_box(f)).unwrap(); } s.mix(); for id in &ids { black_box(s.output(*id).unwrap()); } }
        let full = t.elapsed().as_nanos() as f64 / n as f64;
        let t = Instant::now();
        for _ in 0..n { for (id, f) in ids.iter().zip(&frames) { s.put_frame(*id, black_box(f)).unwrap(); } black_box(&mut s); s.mix(); black_box(&mut s);}
        let _ = round;
        let t2 = t.elapsed().as_nanos() as f64 / n as f64;
        let t = Instant::now();
        for _ in 0..n { s.mix(); black_box(&mut s); }
        let mixonly = t.elapsed().as_nanos() as f64 / n as f64;
        println!("memcpy {memcpy:.1}  full {full:.1}  put+mix {t2:.1}  mix(no inputs) {mixonly:.1}");
    }
}
#[allow(dead_code)]
pub fn ramp_only(n: u32) {
    let mut s = Session::<i16>::new(Format::NARROWBAND_20MS);
    let ids = [s.join(Role::Customer).unwrap(), s.join(Role::Agent).unwrap(), s.join_supervisor(Mode::Whisper).unwrap()];
    let frames: Vec<Vec<i16>> = (0..3).map(|i| (0..160).map(|j| ((j * 37 + i * 11) % 2000) as i16 - 1000).collect()).collect();
    for _ in 0..3 { for (id, f) in ids.iter().zip(&frames) { s.put_frame(*id, f).unwrap(); } s.mix(); }
    let t = Instant::now();
    for k in 0..n {
        s.set_mode(ids[2], if k % 2 == 0 { Mode::Barge } else { Mode::Whisper }).unwrap();
        for (id, f) in ids.iter().zip(&frames) { s.put_frame(*id, black_box(f)).unwrap(); }
        s.mix();
        for id in &ids { black_box(s.output(*id).unwrap()); }
        while s.poll_event().is_some() {}
    }
    println!("toggle tick {:.1}", t.elapsed().as_nanos() as f64 / n as f64);
}
