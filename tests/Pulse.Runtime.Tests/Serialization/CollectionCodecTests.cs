using System.Collections.Immutable;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Serialization;

public sealed class CollectionCodecTests
{
    [Fact]
    public void ArraysAndListsRoundTripIncludingEmptyNullAndNullElements()
    {
        Assert.Equal([1, -2, int.MaxValue], Wire.RoundTrip(new[] { 1, -2, int.MaxValue }));
        Assert.Empty(Wire.RoundTrip(Array.Empty<string>()));
        Assert.Null(Wire.RoundTrip<int[]?>(null));
        Assert.Equal(["a", null, ""], Wire.RoundTrip(new List<string?> { "a", null, "" }));
        Assert.Null(Wire.RoundTrip<List<int>?>(null));
        Assert.Equal(new int?[] { 1, null, 3 }, Wire.RoundTrip(new int?[] { 1, null, 3 }));
    }

    [Fact]
    public void SetsAndDictionariesRoundTrip()
    {
        HashSet<string> set = ["a", "b", "😀"];
        Assert.True(set.SetEquals(Wire.RoundTrip(set)));
        Dictionary<string, int> dictionary = new() { ["one"] = 1, ["minus"] = -1 };
        Assert.Equal(dictionary, Wire.RoundTrip(dictionary));
        Assert.Empty(Wire.RoundTrip(new Dictionary<int, string>()));
        Assert.Null(Wire.RoundTrip<Dictionary<int, string>?>(null));
        Dictionary<int, string?> nullValues = new() { [1] = null };
        Assert.Null(Wire.RoundTrip(nullValues)[1]);
    }

    [Fact]
    public void NestedCollectionsRoundTrip()
    {
        Dictionary<string, List<int?>> value = new()
        {
            ["empty"] = [],
            ["mixed"] = [1, null, int.MinValue],
            ["null"] = null!,
        };
        Dictionary<string, List<int?>> copy = Wire.RoundTrip(value);
        Assert.Equal(3, copy.Count);
        Assert.Empty(copy["empty"]);
        Assert.Equal([1, null, int.MinValue], copy["mixed"]);
        Assert.Null(copy["null"]);

        List<Dictionary<Guid, (int, string)[]>> deep = [new() { [Guid.Empty] = [(1, "x"), (2, "y")] }];
        Assert.Equal((2, "y"), Wire.RoundTrip(deep)[0][Guid.Empty][1]);
    }

    [Fact]
    public void CollectionInterfacesAreReadAsTheirNaturalConcreteTypes()
    {
        Assert.IsType<List<int>>(Wire.RoundTrip<IEnumerable<int>>(Yield(3)));
        Assert.Equal([0, 1, 2], Wire.RoundTrip<IEnumerable<int>>(Yield(3)));
        Assert.IsType<List<int>>(Wire.RoundTrip<IReadOnlyCollection<int>>(new HashSet<int> { 1 }));
        Assert.IsType<List<string>>(Wire.RoundTrip<IReadOnlyList<string>>(ImmutableArray.Create("a")));
        Assert.IsType<List<int>>(Wire.RoundTrip<ICollection<int>>(new[] { 1 }));
        Assert.IsType<List<int>>(Wire.RoundTrip<IList<int>>(new List<int> { 1 }));
        Assert.IsType<HashSet<int>>(Wire.RoundTrip<ISet<int>>(new SortedSet<int> { 2, 1 }));
        Assert.IsType<HashSet<int>>(Wire.RoundTrip<IReadOnlySet<int>>(new HashSet<int> { 1 }));
        Assert.IsType<Dictionary<string, int>>(Wire.RoundTrip<IDictionary<string, int>>(new SortedDictionary<string, int> { ["a"] = 1 }));
        IReadOnlyDictionary<string, int> readOnly = Wire.RoundTrip<IReadOnlyDictionary<string, int>>(ImmutableDictionary<string, int>.Empty.Add("b", 2));
        Assert.Equal(2, Assert.IsType<Dictionary<string, int>>(readOnly)["b"]);
        Assert.Null(Wire.RoundTrip<IList<int>?>(null));
    }

    [Fact]
    public void ImmutableArraysPairsAndTuplesRoundTrip()
    {
        Assert.Equal(new[] { 1, 2 }, Wire.RoundTrip(ImmutableArray.Create(1, 2)).ToArray());
        Assert.True(Wire.RoundTrip(default(ImmutableArray<int>)).IsDefault);
        Assert.True(Wire.RoundTrip(ImmutableArray<int>.Empty).IsEmpty);
        Assert.Equal(new KeyValuePair<string, int?>("k", null), Wire.RoundTrip(new KeyValuePair<string, int?>("k", null)));
        Assert.Equal((1, "two"), Wire.RoundTrip((1, "two")));
        Assert.Equal((1, (string?)null, 3.5), Wire.RoundTrip((1, (string?)null, 3.5)));
    }

    [Fact]
    public void UnknownFieldsInsideACompositeAreSkipped()
    {
        byte[] bytes = Wire.Nested(0, writer =>
        {
            writer.WriteTag(9, WireType.VarInt);
            writer.WriteVarUInt64(ulong.MaxValue);
            Codec<int>.Instance.WriteField(writer, 0, 42);
            writer.WriteTag(10, WireType.Fixed32);
            writer.WriteFixed32(1);
            writer.WriteTag(11, WireType.Fixed64);
            writer.WriteFixed64(1);
            writer.WriteTag(12, WireType.Null);
            Codec<string>.Instance.WriteField(writer, 1, "value");
            Codec<List<int>>.Instance.WriteField(writer, 13, [1, 2, 3]);
        });
        Assert.Equal((42, "value"), Wire.Read<(int, string)>(bytes));
        Assert.Equal(new KeyValuePair<int, string>(42, "value"), Wire.Read<KeyValuePair<int, string>>(bytes));
    }

    [Fact]
    public void ACollectionCountLargerThanItsPayloadIsRejectedBeforeAllocating()
    {
        byte[] hostile = Wire.Nested(0, writer =>
        {
            writer.WriteVarUInt32(int.MaxValue);
            writer.WriteTag(0, WireType.VarInt);
            writer.WriteByte(1);
        });
        Assert.Throws<PulseSerializationException>(() => Wire.Read<long[]>(hostile));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<List<Guid>>(hostile));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<HashSet<int>>(hostile));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<Dictionary<int, int>>(hostile));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<ImmutableArray<decimal>>(hostile));

        byte[] maxCount = Wire.Nested(0, writer => writer.WriteVarUInt32(uint.MaxValue));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<int[]>(maxCount));
    }

    [Fact]
    public void ADictionaryWithADuplicateOrNullKeyIsRejected()
    {
        byte[] duplicate = Wire.Nested(0, writer =>
        {
            writer.WriteVarUInt32(2);
            for (int i = 0; i < 2; i++)
            {
                Codec<string>.Instance.WriteField(writer, 0, "same");
                Codec<int>.Instance.WriteField(writer, 1, i);
            }
        });
        byte[] nullKey = Wire.Nested(0, writer =>
        {
            writer.WriteVarUInt32(1);
            writer.WriteTag(0, WireType.Null);
            Codec<int>.Instance.WriteField(writer, 1, 1);
        });
        Assert.Throws<PulseSerializationException>(() => Wire.Read<Dictionary<string, int>>(duplicate));
        Assert.Throws<PulseSerializationException>(() => Wire.Read<Dictionary<string, int>>(nullKey));
    }

    [Fact]
    public void CollectionElementsWithTheWrongFieldIdAreRejected()
    {
        byte[] bytes = Wire.Nested(0, writer =>
        {
            writer.WriteVarUInt32(1);
            Codec<int>.Instance.WriteField(writer, 5, 1);
        });
        Assert.Throws<PulseSerializationException>(() => Wire.Read<int[]>(bytes));
    }

    [Fact]
    public void AnElementRunningPastItsCollectionPayloadIsRejected()
    {
        // The list claims 2 bytes but its only element is a 3-byte string field.
        byte[] bytes = [(0 << 3) | 2, 2, 1, (0 << 3) | 2, 1, (byte)'a'];
        Assert.Throws<PulseSerializationException>(() => Wire.Read<List<string>>(bytes));
    }

    [Fact]
    public void ACollectionThatChangesWhileWrittenIsReportedInsteadOfCorruptingTheStream()
    {
        using PulseWriter writer = new();
        Assert.Throws<PulseSerializationException>(() =>
            Codec<ICollection<int>>.Instance.WriteField(writer, 0, new LyingCollection()));
    }

    private static IEnumerable<int> Yield(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    private sealed class LyingCollection : ICollection<int>
    {
        private readonly List<int> _items = [1, 2, 3];

        public int Count => 5;

        public bool IsReadOnly => true;

        public void Add(int item) => throw new NotSupportedException();

        public void Clear() => throw new NotSupportedException();

        public bool Contains(int item) => _items.Contains(item);

        public void CopyTo(int[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

        public bool Remove(int item) => throw new NotSupportedException();

        public IEnumerator<int> GetEnumerator() => _items.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
