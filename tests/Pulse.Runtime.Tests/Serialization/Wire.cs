using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Serialization;

/// <summary>Writes and reads single fields through the codec registry, as generated code does.</summary>
internal static class Wire
{
    public const uint FieldId = 7;

    public static byte[] Write<T>(T value, uint fieldId = FieldId)
    {
        using PulseWriter writer = new(16);
        Codec<T>.Instance.WriteField(writer, fieldId, value);
        return writer.ToArray();
    }

    public static T Read<T>(byte[] bytes)
    {
        PulseReader reader = new(bytes);
        reader.ReadTag(out _, out WireType wireType);
        T value = Codec<T>.Instance.ReadValue(reader, wireType);
        Assert.True(reader.IsAtEnd, "the codec must consume exactly its field");
        return value;
    }

    public static T RoundTrip<T>(T value) => Read<T>(Write(value));

    /// <summary>Builds raw input: a tag followed by the payload bytes the test wants to feed a codec.</summary>
    public static byte[] Field(uint fieldId, WireType wireType, params byte[] payload)
    {
        using PulseWriter writer = new(16);
        writer.WriteTag(fieldId, wireType);
        writer.WriteBytes(payload);
        return writer.ToArray();
    }

    /// <summary>A LengthPrefixed field whose payload is written by <paramref name="payload"/>.</summary>
    public static byte[] Nested(uint fieldId, Action<PulseWriter> payload)
    {
        using PulseWriter writer = new(16);
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        payload(writer);
        writer.EndLengthPrefixed(token);
        return writer.ToArray();
    }
}
