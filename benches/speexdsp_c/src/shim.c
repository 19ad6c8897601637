/* A thin shim over speexdsp's resampler: one mono stream, the calls a PBX
 * makes (Asterisk's codec_resample, FreeSWITCH's switch_resample), with the
 * header's prefixed names resolved here rather than in Rust. */
#include <speex/speex_resampler.h>

SpeexResamplerState *barge_speex_new(unsigned in_rate, unsigned out_rate, int quality)
{
    int err = RESAMPLER_ERR_SUCCESS;
    SpeexResamplerState *st = speex_resampler_init(1, in_rate, out_rate, quality, &err);
    if (err != RESAMPLER_ERR_SUCCESS) {
        if (st)
            speex_resampler_destroy(st);
        return 0;
    }
    return st;
}

int barge_speex_float(SpeexResamplerState *st, const float *in, unsigned *in_len,
                      float *out, unsigned *out_len)
{
    return speex_resampler_process_float(st, 0, in, in_len, out, out_len);
}

int barge_speex_int(SpeexResamplerState *st, const short *in, unsigned *in_len,
                    short *out, unsigned *out_len)
{
    return speex_resampler_process_int(st, 0, in, in_len, out, out_len);
}

int barge_speex_output_latency(SpeexResamplerState *st)
{
    return speex_resampler_get_output_latency(st);
}

void barge_speex_free(SpeexResamplerState *st)
{
    speex_resampler_destroy(st);
}
