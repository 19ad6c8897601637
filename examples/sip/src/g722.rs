//! G.722 at 64 kbit/s (ITU-T G.722, 09/2012): 16 kHz audio in 8-bit codes,
//! one code per pair of samples.
//!
//! The transmit QMF splits the signal into a lower and a higher band, each
//! at 8 kHz; the lower band is coded by 6-bit ADPCM, the higher by 2-bit
//! ADPCM, each with its own backward-adaptive quantizer scale and pole-zero
//! predictor; the receive QMF puts the bands back together. Everything is
//! integer arithmetic as the Recommendation writes it (its blocks are named
//! below), so that any two conforming codecs produce the same codes and the
//! same samples. The tests check it against ffmpeg's codec.
//!
//! In RTP (RFC 3551) G.722 is payload type 9 with a clock rate of 8000, for
//! historical reasons: one code, and so one tick of the RTP clock, per pair
//! of 16 kHz samples. A 20 ms packet holds 160 codes for 320 samples.

/// The QMF's even-numbered coefficients h0, h2, …, h22; the odd-numbered
/// ones are the same in reverse order (h(2i+1) = h(22−2i)).
const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/// Block 1L (QUANTL): the decision levels of the lower band's quantizer,
/// relative to the scale factor.
const Q6: [i32; 31] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0,
];
/// The 6-bit codes of the lower band's intervals, for negative and for
/// positive differences.
const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];
const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];
/// Block 2L (INVQAL): the 4-bit inverse quantizer (the code's upper four
/// bits), which feeds the predictor.
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
/// Block 5L (INVQBL): the 6-bit inverse quantizer, for the output.
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
/// Block 3L (LOGSCL): the 4-bit code's magnitude, and the log scale
/// factor's step for it.
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/// Block 3L/3H (SCALEL, SCALEH): 2^(i/32) in Q11, the mantissa of the
/// linear scale factor.
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
/// The higher band (blocks 1H to 3H): the 2-bit codes, the inverse
/// quantizer, the code's magnitude and the log scale factor's step.
const IHN: [u8; 3] = [0, 1, 0];
const IHP: [u8; 3] = [0, 3, 2];
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
const RH2: [usize; 4] = [2, 1, 2, 1];
const WH: [i32; 3] = [0, -214, 798];

/// Saturates to 16 bits, as the Recommendation's arithmetic does.
fn sat(x: i32) -> i32 {
    x.clamp(-32768, 32767)
}

/// One band's adaptive state: the scale factor and the predictor (block
/// 4), the same in the encoder and the decoder.
#[derive(Debug, Clone, Copy, Default)]
struct Band {
    /// The predicted signal: pole part plus zero part.
    s: i32,
    sp: i32,
    sz: i32,
    /// The reconstructed signal, the partial reconstruction and the
    /// quantized differences, newest first.
    r: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    /// The pole (a) and zero (b) predictor coefficients.
    a: [i32; 3],
    b: [i32; 7],
    /// The log scale factor and the linear one.
    nb: i32,
    det: i32,
}

impl Band {
    fn new(det: i32) -> Band {
        Band {
            det,
            ..Band::default()
        }
    }

    /// Blocks 3L/3H (LOGSCL, SCALEL): adapts the scale factor by `step`,
    /// with the log factor limited to `max` and the linear one shifted by
    /// `shift`.
    fn scale(&mut self, step: i32, max: i32, shift: i32) {
        self.nb = (((self.nb * 127) >> 7) + step).clamp(0, max);
        let mantissa = ILB[((self.nb >> 6) & 31) as usize];
        let e = shift - (self.nb >> 11);
        let wd3 = if e < 0 { mantissa << -e } else { mantissa >> e };
        self.det = wd3 << 2;
    }

    /// Block 4: the quantized difference `d` updates the predictor and
    /// gives the next prediction.
    fn predict(&mut self, d: i32) {
        // RECONS, PARREC
        self.d[0] = d;
        self.r[0] = sat(self.s + d);
        self.p[0] = sat(self.sz + d);

        // UPPOL2: the second pole coefficient.
        let sg = |x: i32| x >> 15;
        let (sg0, sg1, sg2) = (sg(self.p[0]), sg(self.p[1]), sg(self.p[2]));
        let wd1 = sat(self.a[1] << 2);
        let wd2 = if sg0 == sg1 { -wd1 } else { wd1 }.min(32767);
        let mut a2 = (wd2 >> 7) + if sg0 == sg2 { 128 } else { -128 };
        a2 += (self.a[2] * 32512) >> 15;
        let a2 = a2.clamp(-12288, 12288);

        // UPPOL1: the first, limited by the second.
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let limit = sat(15360 - a2);
        let a1 = sat(wd1 + wd2).clamp(-limit, limit);

        // UPZERO: the six zero coefficients.
        let step = if d == 0 { 0 } else { 128 };
        let sgd = sg(d);
        let mut b = [0i32; 7];
        for ((b, &old), &d) in b.iter_mut().zip(&self.b).zip(&self.d).skip(1) {
            let wd2 = if sg(d) == sgd { step } else { -step };
            *b = sat(wd2 + ((old * 32640) >> 15));
        }

        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
        }
        self.b = b;
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
        }
        self.a = [0, a1, a2];

        // FILTEP, FILTEZ, PREDIC
        let wd1 = (self.a[1] * sat(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * sat(self.r[2] + self.r[2])) >> 15;
        self.sp = sat(wd1 + wd2);
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat(sz);
        self.s = sat(self.sp + self.sz);
    }
}

/// The initial scale factors of the lower and the higher band.
const DET_LOW: i32 = 32;
const DET_HIGH: i32 = 8;

/// A G.722 encoder (64 kbit/s): 16 kHz samples in, one code per two.
#[derive(Debug, Clone)]
pub struct Encoder {
    /// The QMF's last 24 input samples, oldest first.
    x: [i32; 24],
    low: Band,
    high: Band,
}

impl Default for Encoder {
    fn default() -> Encoder {
        Encoder::new()
    }
}

impl Encoder {
    /// An encoder in its initial state.
    pub fn new() -> Encoder {
        Encoder {
            x: [0; 24],
            low: Band::new(DET_LOW),
            high: Band::new(DET_HIGH),
        }
    }

    /// Encodes `pcm` (16 kHz) into `codes`, one code per two samples; an
    /// odd last sample is ignored. Returns how many codes were written
    /// (at most `codes.len()`).
    pub fn encode(&mut self, pcm: &[i16], codes: &mut [u8]) -> usize {
        let mut n = 0;
        for (pair, code) in pcm.chunks_exact(2).zip(codes.iter_mut()) {
            *code = self.encode_pair(pair[0], pair[1]);
            n += 1;
        }
        n
    }

    fn encode_pair(&mut self, first: i16, second: i16) -> u8 {
        // The transmit QMF.
        self.x.copy_within(2.., 0);
        self.x[22] = i32::from(first);
        self.x[23] = i32::from(second);
        let (mut odd, mut even) = (0i32, 0i32);
        for i in 0..12 {
            odd += self.x[2 * i] * QMF[i];
            even += self.x[2 * i + 1] * QMF[11 - i];
        }
        let xlow = (even + odd) >> 14;
        let xhigh = (even - odd) >> 14;

        // The lower band. SUBTRA, QUANTL:
        let el = sat(xlow - self.low.s);
        let wd = if el >= 0 { el } else { -(el + 1) };
        let mut i = 1;
        while i < 30 && wd >= (Q6[i] * self.low.det) >> 12 {
            i += 1;
        }
        let ilow = if el < 0 { ILN[i] } else { ILP[i] };
        // INVQAL, LOGSCL, SCALEL, then the predictor.
        let ril = usize::from(ilow >> 2);
        let dlow = (self.low.det * QM4[ril]) >> 15;
        self.low.scale(WL[RL42[ril]], 18432, 8);
        self.low.predict(dlow);

        // The higher band. SUBTRA, QUANTH:
        let eh = sat(xhigh - self.high.s);
        let wd = if eh >= 0 { eh } else { -(eh + 1) };
        let mih = if wd >= (564 * self.high.det) >> 12 {
            2
        } else {
            1
        };
        let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
        // INVQAH, LOGSCH, SCALEH, then the predictor.
        let dhigh = (self.high.det * QM2[usize::from(ihigh)]) >> 15;
        self.high.scale(WH[RH2[usize::from(ihigh)]], 22528, 10);
        self.high.predict(dhigh);

        (ihigh << 6) | ilow
    }
}

/// A G.722 decoder (64 kbit/s): one code in, two 16 kHz samples out.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// The receive QMF's last 24 inputs.
    x: [i32; 24],
    low: Band,
    high: Band,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder in its initial state.
    pub fn new() -> Decoder {
        Decoder {
            x: [0; 24],
            low: Band::new(DET_LOW),
            high: Band::new(DET_HIGH),
        }
    }

    /// Decodes `codes` into `pcm` (16 kHz), two samples per code. Returns
    /// how many samples were written (at most `pcm.len()`, rounded down to
    /// an even number).
    pub fn decode(&mut self, codes: &[u8], pcm: &mut [i16]) -> usize {
        let mut n = 0;
        for (&code, pair) in codes.iter().zip(pcm.chunks_exact_mut(2)) {
            let (a, b) = self.decode_code(code);
            pair[0] = a;
            pair[1] = b;
            n += 2;
        }
        n
    }

    fn decode_code(&mut self, code: u8) -> (i16, i16) {
        let ilow = usize::from(code & 0x3f);
        let ihigh = usize::from(code >> 6);

        // The lower band: INVQBL and RECONS for the output, limited
        // (LIMIT); INVQAL, LOGSCL, SCALEL and the predictor as the encoder.
        let rlow = (self.low.s + ((self.low.det * QM6[ilow]) >> 15)).clamp(-16384, 16383);
        let ril = ilow >> 2;
        let dlow = (self.low.det * QM4[ril]) >> 15;
        self.low.scale(WL[RL42[ril]], 18432, 8);
        self.low.predict(dlow);

        // The higher band.
        let dhigh = (self.high.det * QM2[ihigh]) >> 15;
        let rhigh = (dhigh + self.high.s).clamp(-16384, 16383);
        self.high.scale(WH[RH2[ihigh]], 22528, 10);
        self.high.predict(dhigh);

        // The receive QMF.
        self.x.copy_within(2.., 0);
        self.x[22] = rlow + rhigh;
        self.x[23] = rlow - rhigh;
        let (mut first, mut second) = (0i32, 0i32);
        for i in 0..12 {
            second += self.x[2 * i] * QMF[i];
            first += self.x[2 * i + 1] * QMF[11 - i];
        }
        (sat(first >> 11) as i16, sat(second >> 11) as i16)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// A 16 kHz test signal: a swept tone, a chord with a syllable-rate
    /// envelope, noise bursts, silence and full-scale steps, so that both
    /// bands and every scale factor are exercised.
    fn signal(n: usize) -> Vec<i16> {
        let mut seed = 0x2545_f491_u32;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed >> 16) as i32 - 32768
        };
        (0..n)
            .map(|i| {
                let t = i as f64 / 16000.0;
                let v = match (i / 8000) % 5 {
                    0 => 12000.0 * (2.0 * std::f64::consts::PI * (100.0 + 3500.0 * t) * t).sin(),
                    1 => {
                        let env = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * 4.0 * t).sin();
                        env * [220.0, 1330.0, 5200.0]
                            .iter()
                            .map(|f| 7000.0 * (2.0 * std::f64::consts::PI * f * t).sin())
                            .sum::<f64>()
                    }
                    2 => f64::from(noise()) * if (i / 1000) % 2 == 0 { 0.6 } else { 0.02 },
                    3 => 0.0,
                    _ => {
                        if (i / 40) % 2 == 0 {
                            32767.0
                        } else {
                            -32768.0
                        }
                    }
                };
                v.round().clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    fn snr_db(reference: &[i16], x: &[i16], lag: usize) -> f64 {
        let (mut s, mut e) = (0.0, 0.0);
        for (i, &r) in reference.iter().enumerate().take(x.len() - lag) {
            let (r, y) = (f64::from(r), f64::from(x[i + lag]));
            s += r * r;
            e += (r - y) * (r - y);
        }
        10.0 * (s / e.max(1.0)).log10()
    }

    #[test]
    fn a_chord_comes_back_through_the_codec() {
        // The chord alone: the codec's delay is 22 samples (the two QMFs).
        let x: Vec<i16> = signal(48000)[8000..16000].to_vec();
        let mut codes = vec![0u8; x.len() / 2];
        assert_eq!(Encoder::new().encode(&x, &mut codes), x.len() / 2);
        let mut y = vec![0i16; x.len()];
        assert_eq!(Decoder::new().decode(&codes, &mut y), x.len());
        let best = (0..40).max_by(|&a, &b| snr_db(&x, &y, a).total_cmp(&snr_db(&x, &y, b)));
        assert_eq!(best, Some(22));
        let snr = snr_db(&x[1600..], &y[1600..], 22);
        assert!(snr > 15.0, "SNR {snr:.1} dB");
    }

    #[test]
    fn silence_is_silence_and_extremes_do_not_overflow() {
        let mut codes = [0u8; 400];
        Encoder::new().encode(&[0; 800], &mut codes);
        let mut y = [1i16; 800];
        Decoder::new().decode(&codes, &mut y);
        assert!(y.iter().all(|&s| s.abs() <= 8), "{:?}", &y[..40]);
        // Every code sequence decodes without overflow (no panic in debug).
        let mut d = Decoder::new();
        let junk: Vec<u8> = (0..20000u32).map(|i| (i * 7919 % 256) as u8).collect();
        let mut out = vec![0i16; 40000];
        assert_eq!(d.decode(&junk, &mut out), 40000);
        let mut e = Encoder::new();
        let full: Vec<i16> = (0..20000)
            .map(|i| if i % 3 == 0 { i16::MIN } else { i16::MAX })
            .collect();
        let mut c = vec![0u8; 10000];
        assert_eq!(e.encode(&full, &mut c), 10000);
    }

    fn ffmpeg() -> Option<PathBuf> {
        let ok = Command::new("ffmpeg")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(PathBuf::from("ffmpeg"));
        }
        let message = "ffmpeg is not installed (Debian: apt-get install ffmpeg)";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("g722: skipped: {message}");
        None
    }

    fn run(ffmpeg: &Path, args: &[&str]) {
        let out = Command::new(ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(args)
            .output()
            .expect("run ffmpeg");
        assert!(
            out.status.success(),
            "ffmpeg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// ffmpeg's G.722 (libavcodec's own, an independent implementation of
    /// the Recommendation): its encoder's codes are ours, bit for bit, and
    /// its decoder's samples are ours, bit for bit, for the codes of
    /// either encoder.
    #[test]
    fn ffmpeg_agrees_bit_for_bit() {
        let Some(ffmpeg) = ffmpeg() else { return };
        let dir = std::env::temp_dir().join(format!("barge-sip-g722-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let x = signal(16000 * 5);
        let pcm_path = dir.join("in.s16");
        let bytes: Vec<u8> = x.iter().flat_map(|s| s.to_le_bytes()).collect();
        std::fs::write(&pcm_path, bytes).unwrap();
        let g722_path = dir.join("ffmpeg.g722");
        let pcm = pcm_path.to_str().unwrap();
        let g722 = g722_path.to_str().unwrap();
        run(
            &ffmpeg,
            &[
                "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", pcm, "-c:a", "g722", "-f", "g722",
                g722,
            ],
        );
        let theirs = std::fs::read(&g722_path).unwrap();
        let mut ours = vec![0u8; x.len() / 2];
        Encoder::new().encode(&x, &mut ours);
        assert_eq!(theirs.len(), ours.len());
        let first_diff = ours.iter().zip(&theirs).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "the encoders' codes differ");

        // Decoding: ours and ffmpeg's, of the same codes.
        let out_path = dir.join("ffmpeg.s16");
        let out = out_path.to_str().unwrap();
        run(
            &ffmpeg,
            &["-f", "g722", "-i", g722, "-f", "s16le", "-ac", "1", out],
        );
        let theirs: Vec<i16> = std::fs::read(&out_path)
            .unwrap()
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let mut decoded = vec![0i16; ours.len() * 2];
        Decoder::new().decode(&ours, &mut decoded);
        assert_eq!(theirs.len(), decoded.len());
        let first_diff = decoded.iter().zip(&theirs).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "the decoders' samples differ");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
