/*
 * The mixer of a classic C media server: for each listener, start from
 * silence and add each talker it hears sample by sample, saturating to
 * 16 bits after every addition with a branch.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void saturated_add(int16_t *acc, int16_t x)
{
    int32_t s = (int32_t)*acc + (int32_t)x;
    if (s > 32767)
        s = 32767;
    else if (s < -32768)
        s = -32768;
    *acc = (int16_t)s;
}

/*
 * inputs[t] and outputs[l] hold `len` samples each; hears[l * parties + t]
 * is non-zero when listener l hears talker t.
 */
void clamp_c_mix(const int16_t *const *inputs, int16_t *const *outputs,
                 const unsigned char *hears, size_t parties, size_t len)
{
    for (size_t l = 0; l < parties; l++) {
        int16_t *out = outputs[l];
        memset(out, 0, len * sizeof *out);
        for (size_t t = 0; t < parties; t++) {
            if (!hears[l * parties + t])
                continue;
            const int16_t *in = inputs[t];
            for (size_t i = 0; i < len; i++)
                saturated_add(&out[i], in[i]);
        }
    }
}
