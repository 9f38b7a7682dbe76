/* synth/rng.c: the generator's own deterministic PRNG.
 * splitmix64 expands (seed, keys) into the state of xoshiro256**, so every
 * block or line gets an independent stream that does not depend on the
 * order in which the generator visits them (same seed -> same city). */
#include "synth/synth.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void synth_rng_init(synth_rng *r, uint64_t seed, uint64_t k1, uint64_t k2,
                    uint64_t k3)
{
    uint64_t x = seed;
    uint64_t mix = splitmix64(&x);
    x = mix ^ (k1 * 0xd1b54a32d192ed03ULL);
    mix = splitmix64(&x);
    x = mix ^ (k2 * 0xabc98388fb8fac03ULL);
    mix = splitmix64(&x);
    x = mix ^ (k3 * 0x8cb92ba72f3d8dd7ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t synth_rng_u64(synth_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double synth_rng_unit(synth_rng *r)
{
    return (double)(synth_rng_u64(r) >> 11) * 0x1.0p-53;
}

double synth_rng_range(synth_rng *r, double a, double b)
{
    return a + (b - a) * synth_rng_unit(r);
}

int synth_rng_int(synth_rng *r, int n)
{
    if (n <= 1)
        return 0;
    return (int)(synth_rng_unit(r) * n);
}

double synth_hash_unit(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t x = seed ^ (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL);
    return (double)(splitmix64(&x) >> 11) * 0x1.0p-53;
}
