using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pulse.Runtime.Serialization.Codecs;

// Sequence layout: LengthPrefixed { VarInt count; count x (tag with field id 0, element payload) }.
// Null is a Null tag. The count is validated against the payload's remaining bytes (every element
// has at least a one-byte tag) before anything is allocated.

/// <summary>Reads and writes the shared sequence layout.</summary>
internal static class SequenceFormat
{
    /// <summary>Writes count and elements of a contiguous sequence.</summary>
    public static void WriteSpan<T>(PulseWriter writer, ReadOnlySpan<T> items)
    {
        CodecHelpers.WriteCount(writer, items.Length);
        IFieldCodec<T> codec = Codec<T>.Instance;
        foreach (T item in items)
        {
            codec.WriteField(writer, 0, item);
        }
    }

    /// <summary>
    /// Writes any sequence: contiguous ones directly, sized ones with their count checked against
    /// what they yield, and lazy ones after buffering (their count is not known up front).
    /// </summary>
    public static void WriteEnumerable<T>(PulseWriter writer, IEnumerable<T> items)
    {
        switch (items)
        {
            case T[] array:
                WriteSpan<T>(writer, array);
                return;
            case List<T> list:
                WriteSpan<T>(writer, CollectionsMarshal.AsSpan(list));
                return;
            case HashSet<T> set:
                WriteHashSet(writer, set);
                return;
            case ICollection<T> collection:
                WriteCounted(writer, collection, collection.Count);
                return;
            case IReadOnlyCollection<T> readOnly:
                WriteCounted(writer, readOnly, readOnly.Count);
                return;
            default:
                WriteSpan<T>(writer, CollectionsMarshal.AsSpan(new List<T>(items)));
                return;
        }
    }

    /// <summary>Writes a hash set with its struct enumerator (no boxing).</summary>
    public static void WriteHashSet<T>(PulseWriter writer, HashSet<T> set)
    {
        int count = set.Count;
        CodecHelpers.WriteCount(writer, count);
        IFieldCodec<T> codec = Codec<T>.Instance;
        foreach (T item in set)
        {
            codec.WriteField(writer, 0, item);
        }
    }

    /// <summary>Enters a sequence payload and reads its validated count; returns the payload end.</summary>
    public static int Enter<TCollection>(PulseReader reader, WireType wireType, out int count)
    {
        CodecHelpers.ExpectWireType<TCollection>(wireType, WireType.LengthPrefixed);
        int end = reader.EnterNested();
        count = CodecHelpers.ReadCount(reader, end, minBytesPerItem: 1);
        return end;
    }

    /// <summary>Reads one element (its tag must carry field id 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ReadItem<T>(PulseReader reader, IFieldCodec<T> codec) =>
        codec.ReadValue(reader, CodecHelpers.ReadItemTag(reader, 0));

    /// <summary>Reads a whole sequence payload into an array.</summary>
    public static T[] ReadArray<T>(PulseReader reader, WireType wireType)
    {
        int end = Enter<T[]>(reader, wireType, out int count);
        T[] result = count == 0 ? [] : new T[count];
        IFieldCodec<T> codec = Codec<T>.Instance;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = ReadItem(reader, codec);
        }

        reader.ExitNested(end);
        return result;
    }

    /// <summary>Reads a whole sequence payload into a list.</summary>
    public static List<T> ReadList<T>(PulseReader reader, WireType wireType)
    {
        int end = Enter<List<T>>(reader, wireType, out int count);
        List<T> result = new(count);
        IFieldCodec<T> codec = Codec<T>.Instance;
        for (int i = 0; i < count; i++)
        {
            result.Add(ReadItem(reader, codec));
        }

        reader.ExitNested(end);
        return result;
    }

    /// <summary>Reads a whole sequence payload into a hash set (duplicates collapse, as sets do).</summary>
    public static HashSet<T> ReadHashSet<T>(PulseReader reader, WireType wireType)
    {
        int end = Enter<HashSet<T>>(reader, wireType, out int count);
        HashSet<T> result = new(count);
        IFieldCodec<T> codec = Codec<T>.Instance;
        for (int i = 0; i < count; i++)
        {
            result.Add(ReadItem(reader, codec));
        }

        reader.ExitNested(end);
        return result;
    }

    private static void WriteCounted<T>(PulseWriter writer, IEnumerable<T> items, int count)
    {
        CodecHelpers.WriteCount(writer, count);
        IFieldCodec<T> codec = Codec<T>.Instance;
        int written = 0;
        foreach (T item in items)
        {
            if (written == count)
            {
                // Stop before writing more items than the count promised; the reader would misparse them.
                CodecHelpers.ThrowCountChanged(count, written + 1);
            }

            codec.WriteField(writer, 0, item);
            written++;
        }

        if (written != count)
        {
            CodecHelpers.ThrowCountChanged(count, written);
        }
    }
}

/// <summary><c>T[]</c> (single-dimensional, zero-based).</summary>
internal sealed class ArrayCodec<T> : IFieldCodec<T[]>
{
    public void WriteField(PulseWriter writer, uint fieldId, T[] value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        SequenceFormat.WriteSpan<T>(writer, value);
        writer.EndLengthPrefixed(token);
    }

    public T[] ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null ? null! : SequenceFormat.ReadArray<T>(reader, wireType);
}

/// <summary><see cref="List{T}"/>.</summary>
internal sealed class ListCodec<T> : IFieldCodec<List<T>>
{
    public void WriteField(PulseWriter writer, uint fieldId, List<T> value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        SequenceFormat.WriteSpan<T>(writer, CollectionsMarshal.AsSpan(value));
        writer.EndLengthPrefixed(token);
    }

    public List<T> ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null ? null! : SequenceFormat.ReadList<T>(reader, wireType);
}

/// <summary>
/// <see cref="HashSet{T}"/>. The comparer is not serialized: the copy on the other side uses the
/// default comparer of <typeparamref name="T"/>.
/// </summary>
internal sealed class HashSetCodec<T> : IFieldCodec<HashSet<T>>
{
    public void WriteField(PulseWriter writer, uint fieldId, HashSet<T> value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        SequenceFormat.WriteHashSet(writer, value);
        writer.EndLengthPrefixed(token);
    }

    public HashSet<T> ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null ? null! : SequenceFormat.ReadHashSet<T>(reader, wireType);
}

/// <summary>
/// <see cref="IEnumerable{T}"/>, <see cref="IReadOnlyCollection{T}"/>, <see cref="IReadOnlyList{T}"/>,
/// <see cref="ICollection{T}"/> and <see cref="IList{T}"/>: any implementation is written as a
/// sequence and read back as a <see cref="List{T}"/>, which implements all of them.
/// </summary>
internal sealed class ListInterfaceCodec<TCollection, T> : IFieldCodec<TCollection>
    where TCollection : class, IEnumerable<T>
{
    public void WriteField(PulseWriter writer, uint fieldId, TCollection value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        SequenceFormat.WriteEnumerable(writer, value);
        writer.EndLengthPrefixed(token);
    }

    public TCollection ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null ? null! : (TCollection)(object)SequenceFormat.ReadList<T>(reader, wireType);
}

/// <summary><see cref="ISet{T}"/> and <see cref="IReadOnlySet{T}"/>, read back as a <see cref="HashSet{T}"/>.</summary>
internal sealed class SetInterfaceCodec<TCollection, T> : IFieldCodec<TCollection>
    where TCollection : class, IEnumerable<T>
{
    public void WriteField(PulseWriter writer, uint fieldId, TCollection value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        SequenceFormat.WriteEnumerable(writer, value);
        writer.EndLengthPrefixed(token);
    }

    public TCollection ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null ? null! : (TCollection)(object)SequenceFormat.ReadHashSet<T>(reader, wireType);
}

/// <summary><see cref="ImmutableArray{T}"/>; the default (uninitialised) value is written as null.</summary>
internal sealed class ImmutableArrayCodec<T> : IFieldCodec<ImmutableArray<T>>
{
    public void WriteField(PulseWriter writer, uint fieldId, ImmutableArray<T> value)
    {
        if (value.IsDefault)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        SequenceFormat.WriteSpan(writer, value.AsSpan());
        writer.EndLengthPrefixed(token);
    }

    public ImmutableArray<T> ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null
            ? default
            : ImmutableCollectionsMarshal.AsImmutableArray(SequenceFormat.ReadArray<T>(reader, wireType));
}
