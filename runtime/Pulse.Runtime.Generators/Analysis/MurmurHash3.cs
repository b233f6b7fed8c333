using System.Text;

namespace Pulse.Runtime.Generators.Analysis;

/// <summary>
/// A copy of Pulse.Runtime.StableHash (MurmurHash3 x86 32-bit over UTF-8) for netstandard2.0:
/// method ids are computed at build time and must equal what the runtime computes for the same
/// signature, so the two implementations must never diverge.
/// </summary>
internal static class MurmurHash3
{
    public static uint Compute(string value, uint seed = 0) => Compute(Encoding.UTF8.GetBytes(value), seed);

    public static uint Compute(byte[] data, uint seed = 0)
    {
        const uint c1 = 0xcc9e2d51;
        const uint c2 = 0x1b873593;
        uint h = seed;
        int blocks = data.Length / 4;
        for (int i = 0; i < blocks; i++)
        {
            int offset = i * 4;
            uint k = data[offset] | ((uint)data[offset + 1] << 8) | ((uint)data[offset + 2] << 16) | ((uint)data[offset + 3] << 24);
            k *= c1;
            k = RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = RotateLeft(h, 13);
            h = (h * 5) + 0xe6546b64;
        }

        int tail = blocks * 4;
        uint k1 = 0;
        switch (data.Length - tail)
        {
            case 3:
                k1 ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                k1 ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                k1 ^= data[tail];
                k1 *= c1;
                k1 = RotateLeft(k1, 15);
                k1 *= c2;
                h ^= k1;
                break;
        }

        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }

    private static uint RotateLeft(uint value, int offset) => (value << offset) | (value >> (32 - offset));
}
