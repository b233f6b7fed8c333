using System.Diagnostics.CodeAnalysis;

namespace Pulse.Runtime.Serialization.Codecs;

// Dictionary layout: LengthPrefixed { VarInt count; count x (key as field 0, value as field 1) }.
// Every entry has at least two one-byte tags, which bounds the count before allocation.

/// <summary>Reads and writes the shared dictionary layout.</summary>
internal static class DictionaryFormat
{
    public static void WriteDictionary<TKey, TValue>(PulseWriter writer, Dictionary<TKey, TValue> dictionary)
        where TKey : notnull
    {
        CodecHelpers.WriteCount(writer, dictionary.Count);
        IFieldCodec<TKey> keyCodec = Codec<TKey>.Instance;
        IFieldCodec<TValue> valueCodec = Codec<TValue>.Instance;
        foreach (KeyValuePair<TKey, TValue> entry in dictionary)
        {
            keyCodec.WriteField(writer, 0, entry.Key);
            valueCodec.WriteField(writer, 1, entry.Value);
        }
    }

    /// <summary>Writes any dictionary, checking that it yields as many entries as it reported.</summary>
    public static void WriteEntries<TKey, TValue>(PulseWriter writer, IEnumerable<KeyValuePair<TKey, TValue>> entries, int count)
        where TKey : notnull
    {
        if (entries is Dictionary<TKey, TValue> dictionary)
        {
            WriteDictionary(writer, dictionary);
            return;
        }

        CodecHelpers.WriteCount(writer, count);
        IFieldCodec<TKey> keyCodec = Codec<TKey>.Instance;
        IFieldCodec<TValue> valueCodec = Codec<TValue>.Instance;
        int written = 0;
        foreach (KeyValuePair<TKey, TValue> entry in entries)
        {
            if (written == count)
            {
                CodecHelpers.ThrowCountChanged(count, written + 1);
            }

            keyCodec.WriteField(writer, 0, entry.Key);
            valueCodec.WriteField(writer, 1, entry.Value);
            written++;
        }

        if (written != count)
        {
            CodecHelpers.ThrowCountChanged(count, written);
        }
    }

    /// <summary>
    /// Reads a dictionary payload. Null and duplicate keys are corrupt input (a writer cannot produce
    /// them), so they are rejected rather than resolved by last-one-wins.
    /// </summary>
    public static Dictionary<TKey, TValue> Read<TKey, TValue>(PulseReader reader, WireType wireType)
        where TKey : notnull
    {
        CodecHelpers.ExpectWireType<Dictionary<TKey, TValue>>(wireType, WireType.LengthPrefixed);
        int end = reader.EnterNested();
        int count = CodecHelpers.ReadCount(reader, end, minBytesPerItem: 2);
        Dictionary<TKey, TValue> result = new(count);
        IFieldCodec<TKey> keyCodec = Codec<TKey>.Instance;
        IFieldCodec<TValue> valueCodec = Codec<TValue>.Instance;
        for (int i = 0; i < count; i++)
        {
            TKey key = keyCodec.ReadValue(reader, CodecHelpers.ReadItemTag(reader, 0));
            TValue value = valueCodec.ReadValue(reader, CodecHelpers.ReadItemTag(reader, 1));
            if (key is null)
            {
                ThrowNullKey();
            }

            if (!result.TryAdd(key, value))
            {
                ThrowDuplicateKey();
            }
        }

        reader.ExitNested(end);
        return result;
    }

    [DoesNotReturn]
    private static void ThrowNullKey() => throw new PulseSerializationException("A dictionary entry has a null key.");

    [DoesNotReturn]
    private static void ThrowDuplicateKey() => throw new PulseSerializationException("A dictionary payload repeats a key.");
}

/// <summary>
/// <see cref="Dictionary{TKey, TValue}"/>. The comparer is not serialized: the other side uses the
/// default comparer of <typeparamref name="TKey"/>.
/// </summary>
internal sealed class DictionaryCodec<TKey, TValue> : IFieldCodec<Dictionary<TKey, TValue>>
    where TKey : notnull
{
    public void WriteField(PulseWriter writer, uint fieldId, Dictionary<TKey, TValue> value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        DictionaryFormat.WriteDictionary(writer, value);
        writer.EndLengthPrefixed(token);
    }

    public Dictionary<TKey, TValue> ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null ? null! : DictionaryFormat.Read<TKey, TValue>(reader, wireType);
}

/// <summary>
/// <see cref="IDictionary{TKey, TValue}"/> and <see cref="IReadOnlyDictionary{TKey, TValue}"/>: any
/// implementation is written as a dictionary and read back as a <see cref="Dictionary{TKey, TValue}"/>.
/// </summary>
internal sealed class DictionaryInterfaceCodec<TDictionary, TKey, TValue> : IFieldCodec<TDictionary>
    where TDictionary : class, IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : notnull
{
    public void WriteField(PulseWriter writer, uint fieldId, TDictionary value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        int count = value switch
        {
            ICollection<KeyValuePair<TKey, TValue>> collection => collection.Count,
            IReadOnlyCollection<KeyValuePair<TKey, TValue>> readOnly => readOnly.Count,
            _ => CountEntries(value),
        };
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        DictionaryFormat.WriteEntries(writer, value, count);
        writer.EndLengthPrefixed(token);
    }

    public TDictionary ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null ? null! : (TDictionary)(object)DictionaryFormat.Read<TKey, TValue>(reader, wireType);

    // Both dictionary interfaces are collections, so this only runs for exotic implementations.
    private static int CountEntries(TDictionary value)
    {
        int count = 0;
        foreach (KeyValuePair<TKey, TValue> unused in value)
        {
            count++;
        }

        return count;
    }
}
