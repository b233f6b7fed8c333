namespace Pulse.Runtime.Serialization.Codecs;

// Small composites are written like generated objects: LengthPrefixed { component i as field i }.
// Readers skip unknown field ids and leave missing components at their defaults, as generated
// codecs do, so the layout can grow.

/// <summary><see cref="KeyValuePair{TKey, TValue}"/> as { 0: key, 1: value }.</summary>
internal sealed class KeyValuePairCodec<TKey, TValue> : IFieldCodec<KeyValuePair<TKey, TValue>>
{
    public void WriteField(PulseWriter writer, uint fieldId, KeyValuePair<TKey, TValue> value)
    {
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        Codec<TKey>.Instance.WriteField(writer, 0, value.Key);
        Codec<TValue>.Instance.WriteField(writer, 1, value.Value);
        writer.EndLengthPrefixed(token);
    }

    public KeyValuePair<TKey, TValue> ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<KeyValuePair<TKey, TValue>>(wireType, WireType.LengthPrefixed);
        int end = reader.EnterNested();
        TKey key = default!;
        TValue value = default!;
        while (reader.Position < end)
        {
            reader.ReadTag(out uint id, out WireType fieldWireType);
            switch (id)
            {
                case 0:
                    key = Codec<TKey>.Instance.ReadValue(reader, fieldWireType);
                    break;
                case 1:
                    value = Codec<TValue>.Instance.ReadValue(reader, fieldWireType);
                    break;
                default:
                    reader.SkipField(fieldWireType);
                    break;
            }
        }

        reader.ExitNested(end);
        return new KeyValuePair<TKey, TValue>(key, value);
    }
}

/// <summary><see cref="ValueTuple{T1, T2}"/> as { 0: Item1, 1: Item2 }.</summary>
internal sealed class ValueTupleCodec<T1, T2> : IFieldCodec<ValueTuple<T1, T2>>
{
    public void WriteField(PulseWriter writer, uint fieldId, ValueTuple<T1, T2> value)
    {
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        Codec<T1>.Instance.WriteField(writer, 0, value.Item1);
        Codec<T2>.Instance.WriteField(writer, 1, value.Item2);
        writer.EndLengthPrefixed(token);
    }

    public ValueTuple<T1, T2> ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<ValueTuple<T1, T2>>(wireType, WireType.LengthPrefixed);
        int end = reader.EnterNested();
        ValueTuple<T1, T2> result = default;
        while (reader.Position < end)
        {
            reader.ReadTag(out uint id, out WireType fieldWireType);
            switch (id)
            {
                case 0:
                    result.Item1 = Codec<T1>.Instance.ReadValue(reader, fieldWireType);
                    break;
                case 1:
                    result.Item2 = Codec<T2>.Instance.ReadValue(reader, fieldWireType);
                    break;
                default:
                    reader.SkipField(fieldWireType);
                    break;
            }
        }

        reader.ExitNested(end);
        return result;
    }
}

/// <summary><see cref="ValueTuple{T1, T2, T3}"/> as { 0: Item1, 1: Item2, 2: Item3 }.</summary>
internal sealed class ValueTupleCodec<T1, T2, T3> : IFieldCodec<ValueTuple<T1, T2, T3>>
{
    public void WriteField(PulseWriter writer, uint fieldId, ValueTuple<T1, T2, T3> value)
    {
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        Codec<T1>.Instance.WriteField(writer, 0, value.Item1);
        Codec<T2>.Instance.WriteField(writer, 1, value.Item2);
        Codec<T3>.Instance.WriteField(writer, 2, value.Item3);
        writer.EndLengthPrefixed(token);
    }

    public ValueTuple<T1, T2, T3> ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<ValueTuple<T1, T2, T3>>(wireType, WireType.LengthPrefixed);
        int end = reader.EnterNested();
        ValueTuple<T1, T2, T3> result = default;
        while (reader.Position < end)
        {
            reader.ReadTag(out uint id, out WireType fieldWireType);
            switch (id)
            {
                case 0:
                    result.Item1 = Codec<T1>.Instance.ReadValue(reader, fieldWireType);
                    break;
                case 1:
                    result.Item2 = Codec<T2>.Instance.ReadValue(reader, fieldWireType);
                    break;
                case 2:
                    result.Item3 = Codec<T3>.Instance.ReadValue(reader, fieldWireType);
                    break;
                default:
                    reader.SkipField(fieldWireType);
                    break;
            }
        }

        reader.ExitNested(end);
        return result;
    }
}
