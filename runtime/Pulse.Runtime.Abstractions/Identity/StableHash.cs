using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Pulse.Runtime;

/// <summary>
/// A hash that is identical in every process, on every machine and in every version of Pulse.
/// Placement and sharding decisions are derived from it, so it must never change; it is
/// MurmurHash3 (x86, 32-bit) over the UTF-8 bytes of the input. <see cref="string.GetHashCode()"/>
/// is randomised per process and must never be used for these decisions.
/// </summary>
public static class StableHash
{
    private const int StackLimit = 512;

    /// <summary>Hashes raw bytes with an optional seed.</summary>
    public static uint Compute(ReadOnlySpan<byte> data, uint seed = 0)
    {
        const uint c1 = 0xcc9e2d51;
        const uint c2 = 0x1b873593;
        uint h = seed;
        int blocks = data.Length / 4;
        for (int i = 0; i < blocks; i++)
        {
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= c1;
            k = BitOperations.RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = BitOperations.RotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }

        ReadOnlySpan<byte> tail = data.Slice(blocks * 4);
        uint k1 = 0;
        switch (tail.Length)
        {
            case 3:
                k1 ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                k1 ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                k1 ^= tail[0];
                k1 *= c1;
                k1 = BitOperations.RotateLeft(k1, 15);
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

    /// <summary>Hashes the UTF-8 encoding of <paramref name="value"/> without allocating for short strings.</summary>
    public static uint Compute(string value, uint seed = 0)
    {
        ArgumentNullException.ThrowIfNull(value);
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            int written = Encoding.UTF8.GetBytes(value, buffer);
            return Compute(buffer.Slice(0, written), seed);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int written = Encoding.UTF8.GetBytes(value, rented);
            return Compute(rented.AsSpan(0, written), seed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
