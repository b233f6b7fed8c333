using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Pulse.Runtime.Messaging;

/// <summary>
/// A bounds-checked cursor over a contiguous frame. Reads past the end, over-long varints and values
/// out of range throw <see cref="MessageFormatException"/>; nothing here can index out of range,
/// overflow or loop on corrupt input.
/// </summary>
internal ref struct FrameReader
{
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public FrameReader(ReadOnlySpan<byte> span)
    {
        _span = span;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _span.Length - _position;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        if ((uint)_position >= (uint)_span.Length)
        {
            ThrowTruncated(_position, _span.Length);
        }

        return _span[_position++];
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            ThrowTruncated(_position, _span.Length);
        }

        ReadOnlySpan<byte> result = _span.Slice(_position, count);
        _position += count;
        return result;
    }

    /// <summary>Reads a varint that must fit 32 bits (at most 5 bytes).</summary>
    public uint ReadVarUInt32()
    {
        uint result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = ReadByte();
            if (shift == 28 && b > 0x0F)
            {
                break;
            }

            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        ThrowMalformedVarInt(_position);
        return 0;
    }

    /// <summary>Reads a varint that must fit 64 bits (at most 10 bytes).</summary>
    public ulong ReadVarUInt64()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadByte();
            if (shift == 63 && b > 1)
            {
                break;
            }

            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        ThrowMalformedVarInt(_position);
        return 0;
    }

    /// <summary>Reads a varint length, at most <paramref name="max"/>, and that many bytes.</summary>
    public ReadOnlySpan<byte> ReadLengthPrefixed(int max, string what)
    {
        uint length = ReadVarUInt32();
        if (length > (uint)max)
        {
            ThrowFieldTooLong(what, length, max);
        }

        return ReadBytes((int)length);
    }

    [DoesNotReturn]
    private static void ThrowTruncated(int position, int length) =>
        throw new MessageFormatException($"The frame ended unexpectedly at byte {position} of {length}.");

    [DoesNotReturn]
    private static void ThrowMalformedVarInt(int position) =>
        throw new MessageFormatException($"Malformed varint ending at byte {position} of the frame.");

    [DoesNotReturn]
    private static void ThrowFieldTooLong(string what, uint length, int max) =>
        throw new MessageFormatException($"The {what} in the message header has {length} bytes; the limit is {max}.");
}
