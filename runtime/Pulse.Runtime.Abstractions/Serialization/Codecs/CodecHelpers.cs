using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Pulse.Runtime.Serialization.Codecs;

/// <summary>Checks and throw helpers shared by the built-in codecs, kept out of line so the hot paths stay small.</summary>
internal static class CodecHelpers
{
    /// <summary>
    /// Throws unless <paramref name="actual"/> is <paramref name="expected"/>. Reading with a wire type
    /// that does not match would misinterpret the payload, so it is always corrupt or incompatible input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ExpectWireType<T>(WireType actual, WireType expected)
    {
        if (actual != expected)
        {
            ThrowWireType<T>(actual);
        }
    }

    [DoesNotReturn]
    public static void ThrowWireType<T>(WireType actual) =>
        PulseReader.ThrowUnexpectedWireType(typeof(T).ToString(), actual);

    [DoesNotReturn]
    public static void ThrowOutOfRange<T>(ulong value) =>
        throw new PulseSerializationException($"The value {value} does not fit a field of type {typeof(T)}.");

    [DoesNotReturn]
    public static void ThrowOutOfRange<T>(long value) =>
        throw new PulseSerializationException($"The value {value} does not fit a field of type {typeof(T)}.");

    [DoesNotReturn]
    public static void ThrowInvalid<T>(string reason) =>
        throw new PulseSerializationException($"Invalid {typeof(T)} payload: {reason}.");

    /// <summary>
    /// Reads a LengthPrefixed payload of exactly <paramref name="size"/> bytes (decimal, Guid) and returns it.
    /// </summary>
    public static ReadOnlySpan<byte> ReadFixedPayload<T>(PulseReader reader, WireType wireType, int size)
    {
        ExpectWireType<T>(wireType, WireType.LengthPrefixed);
        int length = reader.ReadLength();
        if (length != size)
        {
            ThrowInvalid<T>($"expected {size} bytes, found {length}");
        }

        return reader.ReadBytes(size);
    }

    /// <summary>
    /// Reads the element count at the start of a collection payload ending at <paramref name="end"/>.
    /// Each item takes at least <paramref name="minBytesPerItem"/> bytes (its tags), so a count larger
    /// than the remaining bytes allow is rejected before anything is allocated for it.
    /// </summary>
    public static int ReadCount(PulseReader reader, int end, int minBytesPerItem)
    {
        uint count = reader.ReadVarUInt32();
        long remaining = end - reader.Position;
        if ((long)count * minBytesPerItem > remaining)
        {
            ThrowHostileCount(count, remaining);
        }

        return (int)count;
    }

    /// <summary>Reads the tag of a collection item, which must carry <paramref name="expectedId"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WireType ReadItemTag(PulseReader reader, uint expectedId)
    {
        reader.ReadTag(out uint fieldId, out WireType wireType);
        if (fieldId != expectedId)
        {
            ThrowUnexpectedItemId(fieldId, expectedId);
        }

        return wireType;
    }

    /// <summary>Writes a collection's item count after checking it is not negative.</summary>
    public static void WriteCount(PulseWriter writer, int count) => writer.WriteVarUInt32((uint)count);

    [DoesNotReturn]
    public static void ThrowCountChanged(int expected, int actual) =>
        throw new PulseSerializationException(
            $"A collection changed while it was serialized: it reported {expected} items but produced {actual}.");

    [DoesNotReturn]
    private static void ThrowHostileCount(uint count, long remaining) =>
        throw new PulseSerializationException(
            $"A collection claims {count} items but only {remaining} bytes of its payload remain.");

    [DoesNotReturn]
    private static void ThrowUnexpectedItemId(uint actual, uint expected) =>
        throw new PulseSerializationException($"A collection item has field id {actual}, expected {expected}.");
}
