#!/usr/bin/env python3
"""Builds the voice-activity test set: scripted two-party calls of
espeak-ng speech whose speech and pauses are known because this script
places them, mixed with noise at several signal-to-noise ratios and levels,
linear and through G.711 mu-law.

    python3 tests/vad/make_set.py OUT_DIR

Writes into OUT_DIR:

- ``manifest.csv``: one row per party's leg per condition: ``stem, call,
  noise, snr, codec, party, level``; ``stem.s16`` holds the leg's audio,
  8 kHz mono, 16-bit little-endian;
- ``CALL.PARTY.truth``: one byte per 10 ms frame of the call, 1 where that
  party speaks: the frames within 40 dB of the peak frame of the
  utterance they belong to (measured on the clean utterance, alone);
- ``CALL.json``: the script: every utterance, its party, kind (``turn`` or
  ``backchannel``), first and last frame, voice and text.

The conditions: clean, and white, pink, babble noise and 50 Hz mains hum at
20, 10 and 5 dB SNR; the signal-to-noise ratio is the party's active speech
power (its mean power over its truth frames) over the noise's mean power.
Each call sets its two parties at their own active speech levels (from -45
to -10 dBFS, where 0 dBFS is the RMS of a full-scale square wave); every
condition is written linear and through mu-law (encoded and decoded as
G.711 does). Everything is seeded: the set is the same every run.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly

RATE = 8000
FRAME = 80  # 10 ms
TRUTH_DB = 40.0

NOISES = ["white", "pink", "babble", "hum"]
SNRS = [20, 10, 5]
CODECS = ["linear", "ulaw"]

# Two calls, each in one language with two voices; the parties' active
# speech levels in dBFS. The babble comes from other languages and voices.
CALLS = {
    "en": {
        "agent": ("en-us+f3", 175),
        "customer": ("en-gb+m3", 165),
        "levels": {"agent": -25.0, "customer": -45.0},
        "agent_lines": [
            "Thank you for calling Northwind support, my name is Sarah.",
            "How can I help you today?",
            "I am sorry to hear that, let me pull up your account.",
            "Could you read me the order number on the invoice?",
            "Thank you, I can see the order here.",
            "So, the parcel left our warehouse in Leeds on Monday morning.",
            "It was handed to the courier the same afternoon, and it should have reached you by Wednesday.",
            "Unfortunately the tracking shows that it was returned to the depot, because nobody was home to sign for it.",
            "What I can do is book a new delivery for tomorrow, between eight and noon, at no extra cost.",
            "I will also add a note that the driver may leave it with a neighbour.",
            "You will get a text message with a one hour window in the morning.",
            "Is there anything else I can help you with?",
            "Right, I understand, let me check that for you.",
            "Perfect, that is all sorted, have a lovely evening.",
        ],
        "customer_lines": [
            "Hi, yes, I ordered a coffee machine two weeks ago and it still has not arrived.",
            "The website says it was delivered, but there is nothing here.",
            "It is four five seven two nine one.",
            "Hang on, nobody came to the door on Wednesday, I was home all day.",
            "Okay, that sounds fine.",
            "Tomorrow morning works for me.",
            "Actually, wait, I will be out after ten, can it come earlier?",
            "No, that is everything, thank you so much.",
        ],
        "backchannels": ["yes", "okay", "right", "mm"],
    },
    "de": {
        "agent": ("de+m2", 165),
        "customer": ("de+f4", 175),
        "levels": {"agent": -10.0, "customer": -35.0},
        "agent_lines": [
            "Guten Tag, Sie sprechen mit Thomas Berger von den Stadtwerken.",
            "Was kann ich für Sie tun?",
            "Das tut mir leid, ich sehe mir das gleich an.",
            "Nennen Sie mir bitte Ihre Kundennummer.",
            "Vielen Dank, ich habe Ihren Vertrag gefunden.",
            "Also, Ihr Abschlag wurde im Januar an den neuen Tarif angepasst.",
            "Der Grund dafür ist der höhere Verbrauch im letzten Winter, der bei der Jahresabrechnung festgestellt wurde.",
            "Sie können den Abschlag aber jederzeit selbst ändern, entweder im Kundenportal oder hier am Telefon.",
            "Wenn Sie möchten, setze ich ihn auf achtzig Euro im Monat herunter, dann gleicht sich das im Dezember aus.",
            "Eine Bestätigung schicke ich Ihnen noch heute per Post.",
            "Die Änderung gilt ab dem nächsten Monat.",
            "Kann ich sonst noch etwas für Sie tun?",
            "Einen Moment bitte, ich schaue nach.",
            "Gerne, einen schönen Tag noch und auf Wiederhören.",
        ],
        "customer_lines": [
            "Hallo, ich habe eine Frage zu meiner letzten Rechnung.",
            "Mein Abschlag ist plötzlich um dreißig Euro gestiegen, und ich weiß nicht warum.",
            "Das ist die sieben drei acht eins fünf.",
            "Moment, im Winter war ich doch drei Monate gar nicht zu Hause.",
            "Ach so, das wusste ich nicht.",
            "Ja, achtzig Euro wären gut.",
            "Eigentlich, warten Sie, kann ich das auch online nachlesen?",
            "Nein, das war alles, vielen Dank.",
        ],
        "backchannels": ["ja", "genau", "okay", "mhm"],
    },
}

# Two more calls, not in the default set: a check that what is tuned on the
# first two holds on other voices and texts (``--calls fr,es``).
CALLS["fr"] = {
    "agent": ("fr-fr+f2", 170),
    "customer": ("fr-fr+m3", 160),
    "levels": {"agent": -30.0, "customer": -20.0},
    "agent_lines": [
        "Bonjour, service client de la banque Horizon, Julie à votre écoute.",
        "Que puis-je faire pour vous?",
        "Je comprends, je regarde votre dossier tout de suite.",
        "Pouvez-vous me donner votre numéro de client?",
        "Merci, j'ai bien trouvé votre compte.",
        "Alors, la carte a été bloquée hier soir après trois essais de code erronés.",
        "C'est une mesure de sécurité automatique, elle protège votre compte contre la fraude.",
        "Je peux la débloquer maintenant, mais il faudra choisir un nouveau code dans l'application.",
        "Vous recevrez un message de confirmation dans quelques minutes sur votre téléphone.",
        "Ensuite, la carte fonctionnera de nouveau chez tous les commerçants.",
        "Le plafond de paiement reste le même qu'avant.",
        "Avez-vous d'autres questions?",
        "D'accord, je vérifie cela pour vous.",
        "Je vous en prie, bonne fin de journée.",
    ],
    "customer_lines": [
        "Bonjour, ma carte bancaire ne fonctionne plus depuis ce matin.",
        "J'ai essayé de payer au supermarché et le paiement a été refusé deux fois.",
        "C'est le deux huit quatre neuf un sept.",
        "Attendez, je n'ai jamais fait d'erreur de code, ce n'était pas moi.",
        "Ah bon, d'accord.",
        "Très bien, je vais le faire.",
        "En fait, attendez, et si quelqu'un connaît mon code?",
        "Non, ce sera tout, merci beaucoup.",
    ],
    "backchannels": ["oui", "d'accord", "hm", "voilà"],
}
CALLS["es"] = {
    "agent": ("es+m3", 170),
    "customer": ("es-419+f3", 175),
    "levels": {"agent": -40.0, "customer": -15.0},
    "agent_lines": [
        "Buenos días, le atiende Carlos, del servicio técnico de Telred.",
        "¿En qué puedo ayudarle?",
        "Lo siento mucho, ahora mismo lo reviso.",
        "¿Me puede decir el número de su contrato?",
        "Gracias, ya tengo su ficha en pantalla.",
        "Bueno, veo que hay una avería en la central de su barrio desde ayer por la tarde.",
        "Los técnicos ya están trabajando en ella y esperan terminar antes de esta noche.",
        "Mientras tanto puedo activar datos ilimitados en su móvil sin ningún coste adicional.",
        "Además le aplicaré un descuento de dos días en la próxima factura.",
        "Le enviaremos un mensaje cuando la conexión vuelva a funcionar.",
        "Si mañana sigue sin servicio, llámenos otra vez.",
        "¿Hay algo más en lo que pueda ayudarle?",
        "Vale, un momento, que lo compruebo.",
        "De nada, que tenga un buen día.",
    ],
    "customer_lines": [
        "Hola, desde ayer no tengo internet en casa y trabajo desde aquí.",
        "He reiniciado el router tres veces y la luz sigue en rojo.",
        "Es el cinco cero dos siete tres.",
        "Espere, ayer nadie me avisó de ninguna avería.",
        "Ah, vale, entiendo.",
        "Sí, los datos me vendrían muy bien.",
        "Oiga, perdone, ¿y si esta noche tampoco funciona?",
        "No, eso es todo, muchas gracias.",
    ],
    "backchannels": ["sí", "vale", "claro", "ya"],
}

BABBLE = [
    ("fr+f2", 170, "Bonjour, je voudrais savoir si le magasin est ouvert dimanche matin, parce que je dois rendre un colis."),
    ("fr-fr+m4", 160, "Alors nous avons décidé de partir en vacances au mois de juillet, dans un petit village près de la mer."),
    ("it+m2", 175, "Ieri sera siamo andati al ristorante con tutta la famiglia e abbiamo mangiato benissimo."),
    ("it+f3", 165, "Devo prenotare un appuntamento dal dentista per la settimana prossima, se possibile di pomeriggio."),
    ("es+f4", 180, "El autobús de las ocho siempre llega tarde, así que ahora salgo de casa un poco antes."),
    ("es-419+m3", 170, "Mi hermano trabaja en una empresa de software y vive en Monterrey desde hace tres años."),
    ("nl+f1", 165, "Wij gaan morgen met de fiets naar de markt om verse groenten en kaas te kopen."),
    ("nl+m1", 155, "De vergadering is verplaatst naar donderdag om half drie in de grote zaal."),
    ("pt-br+f1", 170, "Eu preciso trocar a senha do meu banco porque esqueci a antiga no fim de semana."),
    ("pt-br+m2", 160, "A previsão do tempo diz que vai chover a tarde inteira, então leve um guarda-chuva."),
    ("en-us+m5", 185, "The meeting ran late again, so I missed the train and had to wait forty minutes for the next one."),
    ("en-gb-x-rp+f5", 170, "We are thinking of painting the kitchen a pale green, but my partner prefers yellow."),
]


def speak(voice, wpm, text, tmp):
    """Says `text` with espeak-ng; returns 8 kHz float samples in i16
    units, trimmed to the utterance (from its first to its last frame
    within 60 dB of its peak)."""
    path = os.path.join(tmp, "u.wav")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "-w", path, text],
        check=True,
        capture_output=True,
    )
    rate, x = wavfile.read(path)
    x = resample_poly(x.astype(np.float64), RATE // 50, rate // 50)
    n = len(x) // 20
    e = (x[: n * 20].reshape(n, 20) ** 2).sum(axis=1)
    keep = np.nonzero(e > e.max() * 1e-6)[0]
    x = x[keep[0] * 20 : (keep[-1] + 1) * 20]
    return x


def truth_frames(x):
    """Frames (of 80 samples, from x's start) within TRUTH_DB of the peak
    frame."""
    n = -(-len(x) // FRAME)
    y = np.zeros(n * FRAME)
    y[: len(x)] = x
    e = (y.reshape(n, FRAME) ** 2).sum(axis=1)
    return e >= e.max() * 10 ** (-TRUTH_DB / 10)


class Script:
    """Places utterances on the two parties' tracks, in frames."""

    def __init__(self, call, tmp):
        self.call = call
        self.tmp = tmp
        self.t = 0  # next free frame
        self.utts = []

    def utter(self, party, start, text, kind):
        voice, wpm = CALLS[self.call][party]
        if kind == "backchannel":
            wpm += 20
        x = speak(voice, wpm, text, self.tmp)
        frames = -(-len(x) // FRAME)
        self.utts.append(
            {
                "party": party,
                "kind": kind,
                "start": int(start),
                "end": int(start + frames),  # exclusive
                "voice": voice,
                "text": text,
                "x": x,
            }
        )
        return int(start + frames)

    def turn(self, party, lines, rng, start=None, pause=(20, 45)):
        """A turn of `lines` said one after the other with pauses of
        `pause` frames between them; returns its (start, end) frames."""
        t = self.t if start is None else start
        first = t
        for i, line in enumerate(lines):
            if i:
                t += int(rng.integers(pause[0], pause[1] + 1))
            t = self.utter(party, t, line, "turn")
        return first, t

    def gap(self, ms):
        self.t += ms // 10


def build_call(call, rng, tmp):
    c = CALLS[call]
    a, cu, bc = c["agent_lines"], c["customer_lines"], c["backchannels"]
    s = Script(call, tmp)
    s.gap(1500)  # the line is open before anyone speaks
    # Greeting, a pause inside the turn.
    _, s.t = s.turn("agent", a[0:2], rng)
    s.gap(500)
    # The customer's problem, with a backchannel from the agent inside it.
    t0, s.t = s.turn("customer", cu[0:2], rng)
    s.utter("agent", t0 + (s.t - t0) * 2 // 5, bc[0], "backchannel")
    s.gap(300)
    _, s.t = s.turn("agent", a[2:4], rng)
    s.gap(600)
    _, s.t = s.turn("customer", cu[2:3], rng)
    s.gap(400)
    # The agent explains; the customer cuts in 600 ms before the end
    # (an interruption: the customer then talks on for more than 1 s).
    _, end = s.turn("agent", a[4:5], rng)
    _, s.t = s.turn("customer", cu[3:4], rng, start=end - 60)
    s.gap(700)
    _, s.t = s.turn("agent", a[12:13], rng)
    # Dead air: 5 s in which nobody speaks.
    s.gap(5000)
    _, s.t = s.turn("customer", cu[4:5], rng)
    s.gap(400)
    # A monologue of the agent with short pauses and two backchannels
    # from the customer.
    t0, s.t = s.turn("agent", a[5:11], rng, pause=(20, 40))
    s.utter("customer", t0 + (s.t - t0) // 4, bc[1], "backchannel")
    s.utter("customer", t0 + (s.t - t0) * 3 // 5, bc[2], "backchannel")
    s.gap(600)
    # The customer speaks; the agent talks over the customer 1 s after
    # the customer began, for a long while (overtalk).
    t0, s.t = s.turn("customer", cu[5:7], rng)
    end_agent = s.utter("agent", t0 + 100, a[11], "turn")
    s.t = max(s.t, end_agent)
    s.gap(800)
    _, s.t = s.turn("customer", cu[7:8], rng)
    s.gap(250)
    _, s.t = s.turn("agent", a[13:14], rng)
    s.gap(1500)
    return s


def active_gain(x, truth, level_db):
    """The gain that sets the active speech level (RMS over truth frames)
    of x to level_db dBFS."""
    y = np.zeros(len(truth) * FRAME)
    y[: len(x)] = x
    p = (y.reshape(-1, FRAME) ** 2)[truth].mean()
    return 32768.0 * 10 ** (level_db / 20) / np.sqrt(p)


def pink(n, rng):
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec[1:] /= np.sqrt(f[1:] / 20.0)
    spec[f < 20] = 0
    return np.fft.irfft(spec, n)


def babble(n, rng, pool):
    """Six talkers at once, each saying babble utterances back to back."""
    out = np.zeros(n)
    for _ in range(6):
        track = []
        length = 0
        while length < n + RATE:
            u = pool[int(rng.integers(len(pool)))]
            track.append(u / np.sqrt((u**2).mean()))
            track.append(np.zeros(int(rng.integers(0, RATE // 5))))
            length += len(track[-2]) + len(track[-1])
        t = np.concatenate(track)
        off = int(rng.integers(0, RATE))
        out += t[off : off + n]
    return out


def hum(n, rng):
    """50 Hz mains hum with its harmonics, as a line picks it up."""
    t = np.arange(n) / RATE
    amps = [1.0, 0.3, 0.5, 0.1, 0.25, 0.05, 0.12]
    return sum(
        a * np.sin(2 * np.pi * 50 * (k + 1) * t + rng.uniform(0, 2 * np.pi))
        for k, a in enumerate(amps)
    )


def ulaw(x):
    """G.711 mu-law encode then decode of i16 samples."""
    x = x.astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exp = np.floor(np.log2(mag)).astype(np.int32) - 7
    mant = (mag >> (exp + 3)) & 0x0F
    code = ~(sign | (exp << 4) | mant) & 0xFF
    # decode
    code = ~code & 0xFF
    sign = code & 0x80
    exp = (code >> 4) & 0x07
    mant = code & 0x0F
    mag = (((mant << 3) + 0x84) << exp) - 0x84
    return np.where(sign != 0, -mag, mag).astype(np.int16)


def main():
    out = sys.argv[1]
    calls = ["en", "de"]
    if len(sys.argv) > 3 and sys.argv[2] == "--calls":
        calls = sys.argv[3].split(",")
    os.makedirs(out, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pool = [speak(v, w, t, tmp) for v, w, t in BABBLE]
        for ci, call in enumerate(calls):
            rng = np.random.default_rng(1000 + list(CALLS).index(call))
            s = build_call(call, rng, tmp)
            frames = max(u["end"] for u in s.utts) + 150
            n = frames * FRAME
            clean = {}
            truth = {}
            for party in ["customer", "agent"]:
                x = np.zeros(n)
                t = np.zeros(frames, dtype=bool)
                for u in s.utts:
                    if u["party"] != party:
                        continue
                    a, ux = u["start"] * FRAME, u["x"]
                    assert not x[a : a + len(ux)].any(), (call, party, u["text"])
                    x[a : a + len(ux)] = ux
                    tf = truth_frames(ux)
                    t[u["start"] : u["start"] + len(tf)] |= tf
                    if u["kind"] == "backchannel":
                        assert len(tf) < 80, (u["text"], len(tf))
                g = active_gain(x, t, CALLS[call]["levels"][party])
                clean[party] = x * g
                truth[party] = t
                t.astype(np.uint8).tofile(os.path.join(out, f"{call}.{party}.truth"))
            script = {
                "call": call,
                "frame_ms": 10,
                "frames": frames,
                "levels": CALLS[call]["levels"],
                "utterances": [{k: v for k, v in u.items() if k != "x"} for u in s.utts],
            }
            with open(os.path.join(out, f"{call}.json"), "w") as f:
                json.dump(script, f, indent=1, ensure_ascii=False)
            conds = [("clean", None)] + [(k, snr) for k in NOISES for snr in SNRS]
            for ni, (noise, snr) in enumerate(conds):
                for pi, party in enumerate(["customer", "agent"]):
                    nrng = np.random.default_rng([list(CALLS).index(call), ni, pi])
                    x = clean[party]
                    if noise != "clean":
                        v = {
                            "white": lambda: nrng.standard_normal(n),
                            "pink": lambda: pink(n, nrng),
                            "babble": lambda: babble(n, nrng, pool),
                            "hum": lambda: hum(n, nrng),
                        }[noise]()
                        ps = (x.reshape(-1, FRAME) ** 2)[truth[party]].mean()
                        v *= np.sqrt(ps / 10 ** (snr / 10) / (v**2).mean())
                        x = x + v
                    pcm = np.clip(np.round(x), -32768, 32767).astype(np.int16)
                    for codec in CODECS:
                        y = ulaw(pcm) if codec == "ulaw" else pcm
                        cond = f"{noise}" + ("" if snr is None else f"{snr}")
                        stem = f"{call}-{cond}-{codec}-{party}"
                        y.astype("<i2").tofile(os.path.join(out, stem + ".s16"))
                        rows.append(
                            [stem, call, noise, "" if snr is None else snr, codec, party,
                             CALLS[call]["levels"][party]]
                        )
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["stem", "call", "noise", "snr", "codec", "party", "level"])
        w.writerows(rows)
    print(f"{len(rows)} legs in {out}")


if __name__ == "__main__":
    main()
