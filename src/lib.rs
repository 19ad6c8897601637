//! # barge
//!
//! Sans-IO call mixing for supervisors: listen silently (**monitor**), coach
//! the agent without the customer hearing (**whisper**), or join so that all
//! three hear each other (**barge**), and switch between them mid-call.
//!
//! `barge` owns no socket, thread, timer or clock. The host (a dialer, a PBX,
//! a WebRTC gateway) keeps its signalling and media transport, hands in one
//! PCM frame per party per tick and reads back what each party must hear. It
//! is fully deterministic: time is the frame counter.
//!
//! ## Usage
//!
//! ```
//! use barge::{Format, Mode, Role, Session};
//!
//! // One session per call: 8 kHz, 20 ms frames of i16 ("slin").
//! let mut call = Session::<i16>::new(Format::new(8000, 20)?);
//! let customer = call.join(Role::Customer)?;
//! let agent = call.join(Role::Agent)?;
//! let supervisor = call.join(Role::Supervisor)?; // joins in monitor
//!
//! // Later, from the supervisor's UI:
//! call.set_mode(supervisor, Mode::Whisper)?;
//!
//! // Every 20 ms, in the host's media loop:
//! # let (from_customer, from_agent, from_supervisor) = ([0i16; 160], [0i16; 160], [0i16; 160]);
//! call.put_frame(customer, &from_customer)?;
//! call.put_frame(agent, &from_agent)?;
//! call.put_frame(supervisor, &from_supervisor)?;
//! call.mix();
//! let to_customer: &[i16] = call.output(customer)?; // never holds the whisper
//! let to_agent = call.output(agent)?;               // customer + whisper
//! # let _ = (to_customer, to_agent);
//! while let Some(event) = call.poll_event() {
//!     // audit trail: joins, leaves, mode changes, route gains, volumes
//!     # let _ = event;
//! }
//! # Ok::<(), barge::Error>(())
//! ```
//!
//! ## Who hears whom
//!
//! | who hears → | customer | agent | other supervisors |
//! |---|---|---|---|
//! | customer speaks | – | yes | yes |
//! | agent speaks | yes | – | yes |
//! | supervisor in [`Mode::Monitor`] | no | no | no |
//! | supervisor in [`Mode::Whisper`] | **no** | yes | yes |
//! | supervisor in [`Mode::PrivateWhisper`] | **no** | yes | yes |
//! | supervisor in [`Mode::CustomerOnly`] | yes | **no** | yes |
//! | supervisor in [`Mode::Barge`] | yes | yes | yes |
//!
//! A supervisor hears the customer, the agent and the other supervisors
//! that the table lets it hear, in every mode but private whisper, in which
//! it hears nobody. Several supervisors may share a call, each in its own
//! mode. A [`Role::Recorder`] hears the call and is heard by nobody;
//! whether it records whispers is the host's choice when it joins.
//!
//! On top of the table the host may set the gain of single routes
//! ([`Session::set_route_gain`]) and each party's volume
//! ([`Session::set_volume`]), from muted up to +12 dB. These lower, raise
//! or close the routes the table opens and never open one it closes: the
//! only way to let the customer hear a supervisor is a mode that says so
//! ([`Mode::Barge`], [`Mode::CustomerOnly`]), and every mode change is on
//! the audit trail. [`Session::hears`] tells who hears whom, at what gain.
//!
//! ## Run loop
//!
//! ```text
//!   control calls (any time)          once per tick (10–60 ms)
//!   join / leave / set_mode   ┌───────────────────────────────────┐
//!   set_route_gain ─────────► │ Session                           │
//!   set_volume / set_ramp     │  put_frame(party, &frame)  × n    │
//!                             │  mix()   or  mix_frames(&frames)  │
//!   poll_event() ◄─────────── │  output(party) -> &[S]     × n    │
//!   party(id).stats           └───────────────────────────────────┘
//! ```
//!
//! A host whose frames are already in memory hands them to
//! [`Session::mix_frames`] instead: borrowed, read where they are, with no
//! copy; a host that decodes writes straight into [`Session::frame_mut`].
//!
//! Changes made between ticks take effect at the next [`Session::mix`]; the
//! [`Event`]s that record them carry that tick's index. Routes that open, and
//! gains that change, ramp linearly over [`Session::ramp`] (5 ms by default,
//! at most one frame, zero allowed) so that nobody hears a click. A route
//! that a supervisor's new mode closes closes at once, so that not one sample
//! of a whisper reaches the customer.
//!
//! A party that hands in no frame for a tick is silence for everyone that
//! tick (counted in [`PartyStats::frames_missing`]); frames never carry over.
//! Lost is not absent: a frame lost in transit ([`Session::lose_frame`],
//! [`media::Fill::Lost`]) of a party that conceals loss
//! ([`Join::conceal_loss`]) is filled from its own earlier audio
//! ([`plc`]), counted in [`PartyStats::frames_concealed`]; it counts as
//! audio of the tick it was made from, so a route that opened since does
//! not carry it.
//! Every listener's frame is written every tick, so a whisper reaches the
//! agent even when nothing else does.
//!
//! ## Plugging in your media
//!
//! The host keeps its transport and implements two small traits per leg:
//! a [`media::Source`] fills the frame `barge` hands it with the party's
//! next frame, or says it is [`media::Fill::Missing`] or
//! [`media::Fill::Ended`]; a [`media::Sink`] takes the frame the party must
//! hear. Once per tick, [`media::Driver::tick`] reads every source, mixes,
//! writes every sink, and lets a party whose source has ended leave the
//! call. Nothing in a tick allocates. The plain [`Session`] calls above
//! remain for hosts that want to drive each step themselves.
//!
//! A WebRTC gateway (`f32`, 48 kHz, 10 ms), whose stack has already
//! decoded each participant's Opus into PCM and will encode what it is
//! given:
//!
//! ```
//! use barge::media::{Driver, Fill, Leg, Sink, Source};
//! use barge::{Format, Join, Mode, Role, Session};
//!
//! /// The host's side of one participant: its stack's jitter buffer
//! /// (NetEq) gives 10 ms of decoded audio at a time, its encoder takes
//! /// 10 ms.
//! struct Track {
//!     decoded: Option<[f32; 480]>, // what the jitter buffer has for now
//!     hung_up: bool,
//!     to_encode: [f32; 480],
//! }
//!
//! impl Source<f32> for Track {
//!     fn fill(&mut self, frame: &mut [f32]) -> Fill {
//!         match self.decoded.take() {
//!             _ if self.hung_up => Fill::Ended,
//!             Some(pcm) => {
//!                 frame.copy_from_slice(&pcm);
//!                 Fill::Frame
//!             }
//!             None => Fill::Missing, // nothing to play, not even concealment
//!         }
//!     }
//! }
//!
//! impl Sink<f32> for Track {
//!     fn take(&mut self, frame: &[f32]) {
//!         self.to_encode.copy_from_slice(frame); // then Opus-encode and send
//!     }
//! }
//!
//! let format = Format::WEBRTC_10MS;
//! let mut call = Session::<f32>::new(format);
//! let (customer, agent) = (call.join(Role::Customer)?, call.join(Role::Agent)?);
//! let supervisor = call.join(Join::supervisor(Mode::Whisper))?;
//! let track = || Track { decoded: Some([0.1; 480]), hung_up: false, to_encode: [0.0; 480] };
//! let (mut c, mut a, mut s) = (track(), track(), track());
//!
//! let mut driver = Driver::new(format);
//! // Every 10 ms, on the host's media clock:
//! driver.tick(&mut call, &mut [
//!     Leg::duplex(customer, &mut c),
//!     Leg::duplex(agent, &mut a),
//!     Leg::duplex(supervisor, &mut s),
//! ])?;
//! assert!(c.to_encode.iter().all(|&x| x <= 0.1)); // the agent, never the whisper
//! # Ok::<(), barge::Error>(())
//! ```
//!
//! A PBX or SIP media server (PCMU, 8 kHz, 20 ms), whose legs are RTP
//! streams: its jitter buffer hands over one packet's payload per tick and
//! its RTP session packetizes what it is given; [`media::G711Source`] and
//! [`media::G711Sink`] convert between the payload and PCM (see
//! [`g711`]), and the session mixes `i16`:
//!
//! ```
//! use barge::g711::Law;
//! use barge::media::{Driver, Fill, G711Sink, G711Source, Leg, PayloadSink, PayloadSource};
//! use barge::{Format, Role, Session};
//!
//! /// The host's RTP leg: a jitter buffer in, a packetizer out.
//! struct RtpLeg {
//!     ready: Option<[u8; 160]>, // the payload due now, if it came in time
//!     next_seq: u16,
//! }
//!
//! impl PayloadSource for RtpLeg {
//!     fn fill_payload(&mut self, payload: &mut [u8]) -> Fill {
//!         match self.ready.take() {
//!             Some(p) => {
//!                 payload.copy_from_slice(&p);
//!                 Fill::Frame
//!             }
//!             None => Fill::Missing, // lost or late: silence this tick
//!         }
//!     }
//! }
//!
//! impl PayloadSink for RtpLeg {
//!     fn take_payload(&mut self, _payload: &[u8]) {
//!         // Write the RTP header (PT 0, this leg's SSRC, seq, timestamp
//!         // += 160) in front of the payload and send it.
//!         self.next_seq = self.next_seq.wrapping_add(1);
//!     }
//! }
//!
//! let format = Format::NARROWBAND_20MS;
//! let mut call = Session::<i16>::new(format);
//! let customer = call.join(Role::Customer)?;
//! let agent = call.join(Role::Agent)?;
//! let leg = || RtpLeg { ready: Some([0xFF; 160]), next_seq: 0 };
//! let (mut from_c, mut to_c) = (
//!     G711Source::new(Law::Ulaw, format, leg())?,
//!     G711Sink::new(Law::Ulaw, format, leg())?,
//! );
//! let (mut from_a, mut to_a) = (
//!     G711Source::new(Law::Ulaw, format, leg())?,
//!     G711Sink::new(Law::Ulaw, format, leg())?,
//! );
//!
//! let mut driver = Driver::new(format);
//! // Every 20 ms:
//! driver.tick(&mut call, &mut [
//!     Leg::new(customer, &mut from_c, &mut to_c),
//!     Leg::new(agent, &mut from_a, &mut to_a),
//! ])?;
//! assert_eq!(to_a.inner().next_seq, 1);
//! # Ok::<(), barge::Error>(())
//! ```
//!
//! `examples/rtp_call.rs` is this host in full: three RTP endpoints over
//! UDP, a jitter buffer, a steady timer and a supervisor's schedule.
//!
//! What the host must do, because `barge` does not:
//!
//! - **Jitter.** Packets arrive unevenly; `barge` takes exactly one frame
//!   per leg per tick. Buffer what arrives (a jitter buffer, fixed at
//!   40–100 ms or adaptive), hand over the frame that is due, and never
//!   block in a source: what has not arrived is [`media::Fill::Lost`] (or
//!   [`media::Fill::Missing`] while nothing is sent). A packet that comes
//!   after its turn is dropped, not played late.
//! - **Packet loss.** A missing frame (absent on purpose) is silence for
//!   that party for that tick, counted in [`PartyStats::frames_missing`];
//!   `barge` never repeats a frame. A lost frame ([`media::Fill::Lost`],
//!   [`Session::lose_frame`]) of a party that joined with
//!   [`Join::conceal_loss`] is concealed from its own earlier audio at its
//!   leg's rate ([`plc`]) and counted in [`PartyStats::frames_concealed`]
//!   too; for any other party it is silence.
//! - **Clock drift.** One clock paces the ticks: the host's. Schedule tick
//!   `n` at `start + n × ptime` rather than sleeping one ptime after each
//!   tick, so that late wake-ups do not add up; after a stall, run the
//!   missed ticks back to back. Each sender's clock differs from the
//!   host's by up to ~100 ppm (a 20 ms frame every few minutes): the
//!   jitter buffer absorbs it, dropping a frame when it holds too much and
//!   reporting missing frames when it runs dry (or stretching time, if it
//!   can). Outgoing, send one packet per tick with the RTP timestamp
//!   advancing by [`Format::samples_per_frame`]; the far ends' jitter
//!   buffers absorb the host's drift.
//! - **Rates and frame durations.** A call mixes at the rate the host gives
//!   [`Session::new`]; each party's leg may be at another rate
//!   ([`Session::set_leg_format`]): it hands in and hears frames at its own
//!   rate, resampled to the call's before the mix and back after it
//!   ([`resample`]). A leg at the call's rate is never resampled. Pick the
//!   call's rate for the parties that matter most: 8 kHz for a PSTN call
//!   (a 48 kHz browser supervisor then hears and is heard band-limited to
//!   narrowband, as the phone network would carry it anyway), 16 kHz if
//!   the customer and the agent are wideband. The rate is fixed for the
//!   call, so that a join never changes what the others hear. A leg's
//!   frames may be shorter than the call's, or longer, as long as one
//!   divides the other. A browser's 10 ms frames on a 20 ms PSTN call are
//!   handed in one by one ([`Session::put_frame`] twice a tick,
//!   [`Session::skip_frame`] for one that is missing) and heard back to
//!   back in [`Session::output`]; what it hands in is heard at most one
//!   of the call's frames later, as on the phone network. A 60 ms leg on
//!   a 20 ms call takes and gives a frame when [`Session::frame_due`] says
//!   so, with no delay but its own packetization. The [`media::Driver`]
//!   does both by itself, once per leg frame. G.711 legs are 8 kHz and
//!   attach to an 8 kHz leg of a call at any rate. [`media::Converted`]
//!   lets an `f32` leg join an `i16` call, or the reverse.
//!
//! ## Design
//!
//! The crate is built in layers, each a module or a folder of modules, each
//! calling only downward (a module imports what it uses from the module
//! that defines it):
//!
//! 1. **Formats and values** ([`format`], and the ids, labels, gains and
//!    the one [`Error`] every layer returns): sample rates (8–48 kHz),
//!    frame durations (10–60 ms) and samples per frame; invalid
//!    combinations cannot be built.
//! 2. **Signal kernels** (`src/dsp/`): pure functions over slices, no
//!    allocation per frame. [`kernel`] mixes frames at route gains (`i16`
//!    sums in `i32` and `f32` in `f32`, saturated once at the end; unity
//!    routes bit-exact); [`g711`] codes μ-law and A-law; [`resample`]
//!    converts between a leg's rate and the call's; [`tone`] generates
//!    beeps, the recording warning and DTMF digits sample-exactly at every
//!    rate; [`dtmf`] recognises DTMF digits in a party's frames.
//! 3. **Modes and routes** ([`route`], [`tap`], [`keypad`]): roles,
//!    supervisor modes and the table above; which channel of a recording
//!    tap records whom; which digit switches to which mode.
//! 4. **Policy** ([`policy`], [`label`]): grants, identities, refusals and
//!    the consent gate's states: which changes are allowed at all.
//! 5. **The mix plan** (`src/plan.rs`): the control call that changes a
//!    route works out the route matrix of the next tick (every listener ×
//!    talker gain, with its ramp) and compiles it into a plan: for each
//!    listener the kernel that mixes its frame and the talkers it adds, and
//!    how the tick runs it: in one pass (a copy for a two-party call, the
//!    whole three- or four-party call at once, a one-pass sum per row) when
//!    no route ramps and every listener hears at unity, else row by row.
//!    The plan knows positions in the matrix, not parties: a new kind of
//!    talker (an announcement) is a column, a new kind of listener (a
//!    recording tap) a row, and a leg at another format a conversion before
//!    its column and after its row; they join the matrix, never a new fast
//!    path. Whichever way the plan runs, the result is the general path's,
//!    bit for bit (property tests run every tick both ways). The kernel's
//!    one-pass loops are compiled for the target and, on x86-64 with `std`,
//!    also for AVX2, chosen once at run time.
//! 6. **The session** ([`session`], `src/session/`): the state machine of
//!    one call, a file per concern: parties and modes, the route matrix's
//!    working out and commit, the tick, frames in and out, legs at another
//!    format, taps, announcements and cues, the keypad, policy and the
//!    consent gate, the audit trail. One tick path ([`Session::mix`],
//!    [`Session::mix_frames`]): frames in; for a call that needs them,
//!    tones played, the routes of the tick (compiled by the control call
//!    that changed them, or now), legs converted into the call's format and
//!    digits found; the plan run; legs converted back, the routes moved on,
//!    the consent gate lifted; statistics. A settled call of plain parties
//!    (no tone, no leg at another format, no digit detector) needs nothing
//!    but the plan. (A change a tick makes itself, a digit found in a
//!    supervisor's audio or the end of the disclosure, is worked out by the
//!    tick after it.)
//! 7. **The media edge** ([`media`]): the traits a host's legs implement,
//!    the driver that runs a tick over them, G.711 adapters, sample-type
//!    conversion and (feature `dasp`) dasp signals.
//!
//! ## Recording, cues, the keypad and compliance
//!
//! - **Recording taps** ([`Session::add_tap`], [`Tap`]): a listener of the
//!   mix that is not a party. A stereo tap writes the customer on one
//!   channel and the agent's side on the other; a stems tap one channel
//!   per party, at a rate of the host's choice. Supervisors are always on
//!   the agent's side; the host chooses per tap whether whispers, and
//!   supervisors at all, are recorded; later joiners are picked up by the
//!   rule ([`tap`]). A tap changes nothing anyone hears.
//! - **Announcements and cues** ([`Join::announcement`],
//!   [`Session::play`], [`Session::set_cue`]): a party that talks to an
//!   [`Audience`] of roles and hears nobody, playing the host's audio or a
//!   [`ToneSpec`]; cues play a tone to a chosen audience when a supervisor
//!   joins, leaves, whispers or barges, from the tick the change takes
//!   effect. With no cue configured a supervisor in monitor is
//!   undetectable.
//! - **Modes from the keypad** ([`Session::press`] for RFC 4733 events,
//!   [`Session::detect_dtmf`] for tones in the supervisor's audio,
//!   [`keypad::DtmfMap`] with Asterisk ChanSpy's and FreeSWITCH eavesdrop's
//!   digits): a digit switches the mode through the same checks and audit
//!   trail as [`Session::set_mode`]; an in-band key press is muted from the
//!   frame that recognises it.
//! - **Who may supervise whom** ([`Session::set_policy`], [`Policy`],
//!   [`Join::identity`]): grants by the host's user keys and
//!   groups ([`Identity`], [`Label`]), opt-outs; anything outside a grant is
//!   [`Error::Refused`], changes nothing, and is on the audit trail. No
//!   policy: anyone may do anything, as without the feature.
//! - **No listening before consent** ([`Session::require_disclosure`]):
//!   until the host records consent or a disclosure announcement has
//!   played to the customer throughout, to its end, no supervisor,
//!   recorder or tap hears anything of the call ([`Event::ConsentGiven`]
//!   marks the moment). The disclosure is a tone, or the host's own
//!   recorded prompt, whose end the host reports ([`Session::prompt_ended`];
//!   the [`media::Driver`] does when its source ends); one the customer
//!   did not hear whole does not count, and one that could never end or
//!   never reach the customer is refused.
//! - **An audit trail fit for review**: every [`Event`] carries its tick
//!   ([`Session::media_time`] turns it into media time) and the host's key
//!   for each party it names, and prints as a line a reviewer can read;
//!   refusals say who, what and why; with feature `serde` events
//!   serialize (JSON lines in `examples/compliance.rs`).
//!   [`audit::Timeline`] folds a call's events into who heard whom when,
//!   each supervisor's segments by mode, and a report;
//!   [`Session::routes`] lists who hears whom now, by id and key, and
//!   [`Session::modes_for`] the modes a supervisor may switch to, and why
//!   not the others.
//!
//! The core is `#![no_std]` with `alloc`; the `std` feature (default) adds
//! [`std::error::Error`] for [`Error`]. There is no `unsafe` code.
//!
//! ## Call signals
//!
//! [`Session::enable_signals`] turns on live signals from the customer's
//! and the agent's own audio, before mixing (a whisper is never counted):
//! talk time and ratio, turns, dead air, overtalk and who started it,
//! backchannels apart from interruptions, monologues, reply latency, level
//! and clipping ([`CallSignals`], read with [`Session::signals`]), and
//! [`Alert`]s when a [`SignalConfig`] threshold is crossed
//! ([`Session::poll_alert`]). Off by default; on or off, no output changes.
//!
//! ## Privacy guarantees
//!
//! These hold for every sequence of control calls the API has (joins in
//! every role and mode, leaves, mode changes by call or by digit, route
//! gains and volumes on any party, supervisors included, ramps, event
//! limits, announcements and their tones, cues, recording taps, policies
//! and the consent gate) and every frame, and are tested by property tests
//! (`tests/properties.rs`, `tests/taps.rs`, `tests/compliance.rs`) and the
//! `session_ops` fuzz target:
//!
//! - A party hears a supervisor only while the supervisor's mode lets it
//!   (the table above): when only a supervisor's input changes, the output
//!   of every party its mode keeps it from is unchanged, bit for bit. So a
//!   supervisor in monitor reaches nobody, and the customer hears a
//!   supervisor only in barge or customer-only.
//! - While no supervisor's mode lets a party hear it, that party hears
//!   exactly, bit for bit, what it would hear in the same call without any
//!   supervisor, across mode changes and ramps: a route that a mode change
//!   closes closes at the tick boundary, not with a fade. The one
//!   exception is the host's own: a cue ([`Session::set_cue`]) it has set
//!   to play to that party when a supervisor joins, leaves or changes mode
//!   (with no cue to a party, a supervisor is undetectable to it).
//! - Nobody hears themselves; a missing frame is silence; a non-finite `f32`
//!   sample reaches nobody.
//! - Across rates ([`Session::set_leg_format`]) all of this holds on the
//!   call's time line: what a party's leg hands in is mixed at the tick it
//!   belongs to, and a mode change takes effect at a tick. A leg at another
//!   rate adds its resampler's delay ([`resample::Resampler::delay`], 0.5
//!   to 2.4 ms each way) as a few ms more network latency would: a party on
//!   such a leg hears, at the start of the tick after a route closes, the
//!   last few ms of what it was allowed to hear before. A route from a
//!   talker on a leg of another format opens only once what it hands in
//!   after the change reaches the call (its next frame; a tick later for a
//!   leg at another rate, whose resampler remembers the frame before), so
//!   that neither a frame handed in before the change nor the resampler's
//!   memory of it is heard: nothing said while a mode kept a party from hearing it
//!   ever reaches that party (`tests/properties.rs` varies a supervisor's
//!   frames while the customer may not hear it, and the customer's output
//!   stays the same at every later tick).
//! - A [`PartyId`] acts only on the session that issued it
//!   ([`Error::ForeignParty`] elsewhere), and is never reused.
//! - The audit trail holds at most [`Session::event_limit`] events; when
//!   it is full the oldest go, and an [`Event::Dropped`] says how many.
//!
//! ## Panics, errors and allocation
//!
//! A panic is a bug. Every bad input is answered with an [`Error`] that names
//! the value given and what was expected, and a control call that fails
//! leaves the session exactly as it was. Joining allocates the party's
//! frames; [`Session::mix`], [`Session::mix_frames`], [`Session::put_frame`]
//! and [`Session::output`] never allocate, lock, or read a clock.
//!
//! ## Bad input and the errors it returns
//!
//! Every bad input that a public call can receive, and the [`Error`] it
//! returns. Each error's message names the value given and the value
//! expected. A call that returns one has changed nothing: a [`Session`]
//! call leaves no state and no event, a [`kernel`] or [`g711`] call writes
//! no output, and [`media::Driver::tick`] reads no source, writes no sink
//! and lets no party leave. Each row is a test in `tests/bad_input.rs`.
//!
//! | entry point | bad input | error |
//! |---|---|---|
//! | [`Format::new`], [`SampleRate::from_hz`], [`Tap::at_rate`] | a rate other than 8000, 16000, 24000, 32000 or 48000 Hz | [`Error::UnsupportedSampleRate`] |
//! | [`Format::new`], [`Ptime::from_ms`] | a frame duration other than 10, 20, 30, 40 or 60 ms | [`Error::UnsupportedPtime`] |
//! | [`Ptime::from_duration`] | a duration that is not exactly one of those | [`Error::UnsupportedPtime`] |
//! | [`Gain::from_db`], [`Session::set_volume`], [`Session::set_route_gain`] | NaN, +inf, or louder than +12 dB | [`Error::GainOutOfRange`] |
//! | [`Gain::from_linear`] | a negative factor, NaN, or more than [`Gain::MAX`] | [`Error::LinearGainOutOfRange`] |
//! | [`Session::join`] | a [`Join::leg`] whose frame duration neither divides the call's nor is a multiple of it | [`Error::LegFrameDuration`] |
//! | [`Session::join`] | a party more than [`MAX_PARTIES`] | [`Error::TooManyParties`] |
//! | [`Session::join`] | a join after 2³² − 1 ids were handed out | [`Error::PartyIdsExhausted`] |
//! | [`Session::add_tap`] | a tap more than [`MAX_TAPS`] | [`Error::TooManyTaps`] |
//! | [`Session::add_tap`] | a tap after 2³² − 1 tap ids were handed out | [`Error::TapIdsExhausted`] |
//! | every [`Session`] call that takes a [`TapId`] (see below) | a tap that was removed, or that a clone added after the snapshot | [`Error::UnknownTap`] |
//! | every [`Session`] call that takes a [`TapId`] | a tap of another session, whatever its number | [`Error::ForeignTap`] |
//! | [`Session::tap_channel`] | a tap of stems | [`Error::NotStereo`] |
//! | [`Session::tap_stem`] | a stereo tap | [`Error::NotStems`] |
//! | every [`Session`] call that takes a [`PartyId`] (see below) | a party that has left | [`Error::PartyLeft`] |
//! | every [`Session`] call that takes a [`PartyId`] | an id of another session, whatever its number | [`Error::ForeignParty`] |
//! | every [`Session`] call that takes a [`PartyId`] | an id that a clone of this session handed out after the snapshot | [`Error::UnknownParty`] |
//! | [`Session::set_mode`] | a party that is not a supervisor | [`Error::NotASupervisor`] |
//! | [`Session::set_route_gain`], [`Session::clear_route_gain`], [`Session::route_gain`], [`Session::hears`] | the same party as listener and talker | [`Error::SelfRoute`] |
//! | [`Session::set_ramp`] | a ramp longer than one frame | [`Error::RampTooLong`] |
//! | [`Session::set_leg_format`] | a leg whose frame duration neither divides the call's nor is a multiple of it (30 ms on 20 ms) | [`Error::LegFrameDuration`], listing the durations that fit |
//! | [`Session::put_frame`], [`Session::frame_mut`], [`Session::skip_frame`], [`Session::mix_frames`] | a frame for a leg whose frames span several ticks, between its frames | [`Error::FrameNotDue`] |
//! | [`Session::put_frame`], [`Session::frame_mut`], [`Session::skip_frame`] | a frame more for a leg of shorter frames than the call's, once the tick's are all in | [`Error::DuplicateFrame`] |
//! | [`Session::set_leg_format`] | another format for a party that has handed in its frame for the next tick | [`Error::DuplicateFrame`] |
//! | [`Session::put_frame`] | a frame with more or fewer samples than [`Format::samples_per_frame`] | [`Error::FrameLength`] |
//! | [`Session::put_frame`], [`Session::frame_mut`] | a second frame for the same party in the same tick | [`Error::DuplicateFrame`] |
//! | [`Session::mix_frames`] | a frame with more or fewer samples than [`Format::samples_per_frame`] | [`Error::FrameLength`] |
//! | [`Session::mix_frames`] | a party twice in the list, or one that already handed in its frame this tick | [`Error::DuplicateFrame`] |
//! | [`Session::mix_frames`] | a party of another session, or one that has left | [`Error::ForeignParty`], [`Error::PartyLeft`] |
//! | [`Session::set_audience`], [`Session::play`], [`Session::stop`], [`Session::set_disclosure`], [`Session::prompt_ended`] | a party that is not an announcement | [`Error::NotAnAnnouncement`] |
//! | [`Session::put_frame`], [`Session::frame_mut`], [`Session::mix_frames`], [`Session::set_leg_format`], [`Session::prompt_ended`] | a frame, a leg format or a prompt's end for an announcement that plays a tone | [`Error::TonePlaying`] |
//! | [`Session::set_disclosure`], [`Session::play`] | a disclosure that plays a tone forever ([`tone::ToneGenerator::forever`]) | [`Error::DisclosureNeverEnds`] |
//! | [`Session::set_disclosure`], [`Session::set_audience`] | a disclosure whose audience leaves out the customer | [`Error::DisclosureUnheard`] |
//! | [`tone::ToneGenerator::new`], [`Session::play`], [`Session::set_cue`] | a frequency not above 0 Hz and below half the rate | [`Error::ToneFrequency`] |
//! | [`tone::ToneGenerator::new`], [`Session::play`], [`Session::set_cue`] | a level that is not finite or would clip | [`Error::ToneLevel`] |
//! | [`tone::ToneGenerator::new`], [`Session::play`], [`Session::set_cue`] | an on-time of 0 ms, 0 repeats, or an edge longer than a burst or pause | [`Error::ToneCadence`] |
//! | [`dtmf::Digit::from_event_code`] | a telephone-event code above 15 | [`Error::DtmfEventCode`] |
//! | [`dtmf::Digit::from_char`] | a character that is not 0-9, *, #, A-D | [`Error::DtmfChar`] |
//! | [`Label::new`] | no text, more than 32 bytes, or a control character or line separator | [`Error::EmptyLabel`], [`Error::LabelTooLong`], [`Error::LabelCharacter`] |
//! | [`Identity::with_group`] | a fifth group | [`Error::TooManyGroups`] |
//! | [`policy::GrantBuilder::on_agents`] | more than 1024 agents | [`Error::TooManyAgents`] |
//! | [`Session::join`], [`Session::set_mode`], [`Session::press`], [`Session::set_policy`] | a supervisor outside its grant, without a key under a policy, an opted-out agent, or a join before a required disclosure with [`BeforeDisclosure::RefuseJoins`] | [`Error::Refused`] (recorded as [`Event::Refused`]; nothing else changes) |
//! | [`kernel::mix`], [`kernel::mix_matrix`] | more than [`kernel::MAX_TALKERS`] talkers | [`Error::MatrixShape`] |
//! | [`kernel::mix`] | a talker's frame not as long as the output | [`Error::MatrixShape`] |
//! | [`kernel::mix_matrix`] | a number of gains other than listeners × talkers | [`Error::MatrixShape`] |
//! | [`kernel::mix_matrix`] | listeners' frames of different lengths | [`Error::MatrixShape`] |
//! | [`kernel::mix_matrix`] | a talker's frame not as long as the listeners' | [`Error::MatrixShape`] |
//! | [`g711::Law::encode`], [`g711::Law::decode`], [`g711::Law::encode_f32`], [`g711::Law::decode_f32`] | an output slice not as long as the input | [`Error::LengthMismatch`] |
//! | [`media::G711Source::new`], [`media::G711Sink::new`] | a format at another rate than 8000 Hz | [`Error::CodecRate`] |
//! | [`media::Driver::tick`] | a session of another format than the driver's | [`Error::FormatMismatch`] |
//! | [`media::Driver::tick`] | a source or sink built for another format than its party's leg (a [`media::G711Source`] or [`media::G711Sink`], a [`media::Converted`]; see [`Session::leg_format`]) | [`Error::LegFormat`], naming the party and the end |
//! | [`media::Driver::tick`] | a leg for an id of another session | [`Error::ForeignParty`] |
//! | [`media::Driver::tick`] | a second source for one party, or a source for a party that has already handed in its frame this tick | [`Error::DuplicateFrame`] |
//! | [`media::Driver::tick`] | a source for an announcement that plays a tone | [`Error::TonePlaying`] |
//!
//! The calls that take a [`PartyId`] are [`Session::leave`],
//! [`Session::set_mode`], [`Session::mode`], [`Session::set_route_gain`],
//! [`Session::clear_route_gain`], [`Session::route_gain`], [`Session::hears`],
//! [`Session::set_volume`], [`Session::put_frame`], [`Session::frame_mut`],
//! [`Session::output`], [`Session::party`], [`Session::set_leg_format`] and
//! [`Session::leg_format`] and [`Session::tap_stem`]; those that take a
//! [`TapId`] are [`Session::remove_tap`], [`Session::tap_frame`],
//! [`Session::tap_channel`], [`Session::tap_stem`], [`Session::tap_format`]
//! and [`Session::tap`]. When one call has several
//! bad inputs it reports the first it checks: the listener before the
//! talker, parties before values (a frame's expected length is its party's
//! leg's); [`kernel::mix_matrix`] checks the number of
//! talkers, the gains, the listeners' frames, then the talkers';
//! [`media::Driver::tick`] checks the session's format, then each leg in
//! turn: its party, its source's and sink's formats, then whether its
//! source is a second one for its party.
//!
//! Accepted, and not errors:
//!
//! - a non-finite `f32` sample handed to a session is replaced by silence
//!   before mixing and counted in [`PartyStats::samples_non_finite`];
//! - a party that hands in no frame is silence for that tick, counted in
//!   [`PartyStats::frames_missing`];
//! - setting the mode a supervisor is already in, the volume a party
//!   already has or the gain a route already has, or clearing a route gain
//!   that is not set, changes nothing and records no event;
//! - a route gain or a volume on a route the modes close (a supervisor in
//!   monitor, a whisper for the customer) is kept, and applies whenever the
//!   modes open the route; until then it opens nothing;
//! - any [`Session::set_event_limit`], zero included;
//! - [`Session::mix`] cannot fail;
//! - in [`media::Driver::tick`], a leg whose party has left the call is
//!   skipped and counted in [`media::Tick::gone`]; several sinks for one
//!   party are all written; a [`media::MemorySink`] that is full counts
//!   what it drops in [`media::MemorySink::dropped`];
//! - the [`kernel`] functions do not check `f32` samples: given a non-finite
//!   one, every output sample is still finite and within full scale, but
//!   what it sounds like is unspecified (a [`Session`] never passes one).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

// The layers, bottom up (see "Design" above): formats and the values
// every layer names (ids, labels, gains, errors); the signal kernels; modes
// and routes, taps and the keypad; policy; the mix plan; the session; the
// media edge.
/// `Clone` for a struct, field by field, whose `clone_from` reuses each
/// field's memory: copying a session into one of the same shape (a
/// snapshot taken every tick, say) then allocates nothing. `clone` builds
/// the struct from the list, so a field left out of it does not compile.
macro_rules! clone_by_fields {
    (impl[$($g:tt)*] $ty:ty { $($(#[$m:meta])* $f:ident),* $(,)? }) => {
        impl<$($g)*> Clone for $ty {
            fn clone(&self) -> Self {
                Self { $($(#[$m])* $f: Clone::clone(&self.$f),)* }
            }

            fn clone_from(&mut self, source: &Self) {
                $($(#[$m])* Clone::clone_from(&mut self.$f, &source.$f);)*
            }
        }
    };
}

mod error;
pub mod format;
mod gain;
mod id;
pub mod label;

mod dsp;
pub use dsp::{dtmf, g711, kernel, plc, resample, tone, vad};

pub mod keypad;
pub mod route;
pub mod tap;

pub mod policy;

mod plan;

pub mod session;

pub mod audit;

pub mod media;

pub use dsp::dtmf::{Digit, DtmfDetector, DtmfEvent};
pub use dsp::kernel::Sample;
pub use dsp::tone::{ToneGenerator, ToneSpec};
pub use dsp::vad::VoiceDetector;
pub use error::Error;
pub use format::{Format, Ptime, SampleRate};
pub use gain::Gain;
pub use label::Label;
pub use policy::{Grant, Identity, ModeSet, Policy, Reason, Refusal};
pub use route::{Audience, Mode, Role};
pub use session::{Alert, CallSignals, SignalConfig, TalkSignals, ALERT_LIMIT};
pub use session::{
    BeforeDisclosure, Consent, ConsentBy, Cue, CueOn, Event, Join, PartyId, PartyInfo, PartyStats,
    Route, Session, TapInfo, DEFAULT_EVENT_LIMIT, MAX_PARTIES,
};
pub use tap::{Tap, TapChannel, TapId, TapLayout, MAX_TAPS};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
