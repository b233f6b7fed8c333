namespace Pulse.Runtime.Serialization.Codecs;

/// <summary>
/// <see cref="string"/> as LengthPrefixed UTF-8, null as a <see cref="WireType.Null"/> tag. Reading
/// rejects invalid UTF-8, so a string never silently gains replacement characters.
/// </summary>
internal sealed class StringCodec : IFieldCodec<string>
{
    public static readonly StringCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, string value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteStringPayload(value);
    }

    public string ReadValue(PulseReader reader, WireType wireType)
    {
        if (wireType == WireType.Null)
        {
            return null!;
        }

        CodecHelpers.ExpectWireType<string>(wireType, WireType.LengthPrefixed);
        return reader.ReadStringPayload();
    }
}

/// <summary><c>byte[]</c> as LengthPrefixed raw bytes, null as a <see cref="WireType.Null"/> tag.</summary>
internal sealed class ByteArrayCodec : IFieldCodec<byte[]>
{
    public static readonly ByteArrayCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, byte[] value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteBytesPayload(value);
    }

    public byte[] ReadValue(PulseReader reader, WireType wireType)
    {
        if (wireType == WireType.Null)
        {
            return null!;
        }

        CodecHelpers.ExpectWireType<byte[]>(wireType, WireType.LengthPrefixed);
        return reader.ReadBytesPayload();
    }
}

/// <summary>
/// <see cref="ReadOnlyMemory{T}"/> of bytes as LengthPrefixed raw bytes. Reading copies, because the
/// reader's input is usually a pooled network buffer that is reused after the message is handled.
/// </summary>
internal sealed class ReadOnlyMemoryCodec : IFieldCodec<ReadOnlyMemory<byte>>
{
    public static readonly ReadOnlyMemoryCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, ReadOnlyMemory<byte> value)
    {
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteBytesPayload(value.Span);
    }

    public ReadOnlyMemory<byte> ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<ReadOnlyMemory<byte>>(wireType, WireType.LengthPrefixed);
        return reader.ReadBytesPayload();
    }
}
