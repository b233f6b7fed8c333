using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Serialization.Codecs;

/// <summary>
/// Turns the UTF-8 alias of a grain type into a <see cref="GrainType"/> without allocating for
/// aliases seen before: every message header carries one or two, and there are few distinct ones.
/// </summary>
internal static class GrainTypeCache
{
    /// <summary>Longest alias kept in the cache (and decoded on the stack).</summary>
    private const int MaxCachedChars = 256;

    /// <summary>Bounds the cache so a peer sending random aliases cannot grow it without limit.</summary>
    private const int MaxEntries = 4096;

    private static readonly ConcurrentDictionary<string, GrainType> s_cache = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, GrainType>.AlternateLookup<ReadOnlySpan<char>> s_lookup =
        s_cache.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Decodes <paramref name="utf8"/> strictly and returns the grain type.</summary>
    /// <exception cref="PulseSerializationException">The alias is empty or not valid UTF-8.</exception>
    public static GrainType FromUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            ThrowEmpty();
        }

        if (utf8.Length > MaxCachedChars)
        {
            return new GrainType(DecodeLong(utf8));
        }

        Span<char> chars = stackalloc char[MaxCachedChars];
        OperationStatus status = Utf8.ToUtf16(utf8, chars, out _, out int written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            ThrowInvalidUtf8();
        }

        ReadOnlySpan<char> alias = chars.Slice(0, written);
        if (s_lookup.TryGetValue(alias, out GrainType cached))
        {
            return cached;
        }

        GrainType type = new(alias.ToString());
        if (s_cache.Count < MaxEntries)
        {
            s_cache.TryAdd(type.Value, type);
        }

        return type;
    }

    private static string DecodeLong(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            ThrowInvalidUtf8();
        }

        return Encoding.UTF8.GetString(utf8);
    }

    [DoesNotReturn]
    private static void ThrowEmpty() => throw new PulseSerializationException("A grain type alias is empty.");

    [DoesNotReturn]
    private static void ThrowInvalidUtf8() => throw new PulseSerializationException("A grain type alias is not valid UTF-8.");
}

/// <summary>
/// <see cref="GrainType"/> as LengthPrefixed UTF-8 of its alias; the default value as a Null tag.
/// </summary>
internal sealed class GrainTypeCodec : IFieldCodec<GrainType>
{
    public static readonly GrainTypeCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, GrainType value)
    {
        if (value.IsDefault)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteStringPayload(value.Value);
    }

    public GrainType ReadValue(PulseReader reader, WireType wireType)
    {
        if (wireType == WireType.Null)
        {
            return default;
        }

        CodecHelpers.ExpectWireType<GrainType>(wireType, WireType.LengthPrefixed);
        return ReadPayload(reader);
    }

    /// <summary>Reads a length-prefixed alias (the message header uses this directly).</summary>
    public static GrainType ReadPayload(PulseReader reader) => GrainTypeCache.FromUtf8(reader.ReadBytes(reader.ReadLength()));
}

/// <summary>
/// <see cref="GrainId"/> as LengthPrefixed { 0: type alias, 1: key }; the default value as a Null tag.
/// </summary>
internal sealed class GrainIdCodec : IFieldCodec<GrainId>
{
    public static readonly GrainIdCodec Instance = new();

    // A key of MaxKeyLength UTF-16 characters takes at most three UTF-8 bytes per character.
    private const int MaxKeyBytes = GrainId.MaxKeyLength * 3;

    public void WriteField(PulseWriter writer, uint fieldId, GrainId value)
    {
        if (value.IsDefault)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        WriteFields(writer, value);
        writer.EndLengthPrefixed(token);
    }

    public GrainId ReadValue(PulseReader reader, WireType wireType)
    {
        if (wireType == WireType.Null)
        {
            return default;
        }

        CodecHelpers.ExpectWireType<GrainId>(wireType, WireType.LengthPrefixed);
        int end = reader.EnterNested();
        GrainId result = ReadFields(reader, end);
        reader.ExitNested(end);
        return result;
    }

    /// <summary>Writes the two fields of a non-default id.</summary>
    public static void WriteFields(PulseWriter writer, GrainId value)
    {
        writer.WriteTag(0, WireType.LengthPrefixed);
        writer.WriteStringPayload(value.Type.Value);
        writer.WriteTag(1, WireType.LengthPrefixed);
        writer.WriteStringPayload(value.Key);
    }

    /// <summary>Reads the fields of an id up to <paramref name="end"/>, validating what the constructor would reject.</summary>
    public static GrainId ReadFields(PulseReader reader, int end)
    {
        GrainType type = default;
        string? key = null;
        while (reader.Position < end)
        {
            reader.ReadTag(out uint id, out WireType wireType);
            switch (id)
            {
                case 0:
                    CodecHelpers.ExpectWireType<GrainType>(wireType, WireType.LengthPrefixed);
                    type = GrainTypeCodec.ReadPayload(reader);
                    break;
                case 1:
                    CodecHelpers.ExpectWireType<GrainId>(wireType, WireType.LengthPrefixed);
                    key = ReadKey(reader);
                    break;
                default:
                    reader.SkipField(wireType);
                    break;
            }
        }

        if (type.IsDefault || key is null)
        {
            CodecHelpers.ThrowInvalid<GrainId>("the type or the key is missing");
        }

        return new GrainId(type, key);
    }

    private static string ReadKey(PulseReader reader)
    {
        int byteLength = reader.ReadLength();
        if (byteLength == 0 || byteLength > MaxKeyBytes)
        {
            CodecHelpers.ThrowInvalid<GrainId>($"a key of {byteLength} UTF-8 bytes is empty or too long");
        }

        ReadOnlySpan<byte> utf8 = reader.ReadBytes(byteLength);
        if (!Utf8.IsValid(utf8))
        {
            CodecHelpers.ThrowInvalid<GrainId>("the key is not valid UTF-8");
        }

        string key = Encoding.UTF8.GetString(utf8);
        if (key.Length > GrainId.MaxKeyLength)
        {
            CodecHelpers.ThrowInvalid<GrainId>($"a key of {key.Length} characters is too long");
        }

        return key;
    }
}

/// <summary>
/// <see cref="NoResult"/>: an empty LengthPrefixed payload. Reading accepts and skips any wire type,
/// so a method that gains a return value in a newer version still completes for an older caller.
/// </summary>
internal sealed class NoResultCodec : IFieldCodec<NoResult>
{
    public static readonly NoResultCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, NoResult value)
    {
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteByte(0);
    }

    public NoResult ReadValue(PulseReader reader, WireType wireType)
    {
        reader.SkipField(wireType);
        return default;
    }
}
