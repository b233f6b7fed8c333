using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Serialization;

public sealed class CopierTests
{
    [Immutable]
    public sealed class FrozenSettings
    {
        public int Limit { get; init; }
    }

    [Fact]
    public void ImmutableValuesAreReturnedAsTheyAre()
    {
        string text = new('x', 3);
        Assert.Same(text, Copier<string>.Copy(text));
        InvalidOperationException exception = new("x");
        Assert.Same(exception, Copier<Exception>.Copy(exception));
        Assert.Same(exception, Copier<InvalidOperationException>.Copy(exception));
        FrozenSettings settings = new() { Limit = 3 };
        Assert.Same(settings, Copier<FrozenSettings>.Copy(settings));
        ImmutableArray<int> array = [1, 2];
        Assert.Same(ImmutableCollectionsMarshal.AsArray(array), ImmutableCollectionsMarshal.AsArray(Copier<ImmutableArray<int>>.Copy(array)));
        GrainId id = GrainId.Create("t", "k");
        Assert.Equal(id, Copier<GrainId>.Copy(id));
    }

    [Fact]
    public void ImmutableTypesHaveIdentityCopiersThatCollectionsCanDetect()
    {
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<int>.Instance);
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<decimal>.Instance);
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<DayOfWeek>.Instance);
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<DateTimeOffset>.Instance);
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<NoResult>.Instance);
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<ReadOnlyMemory<byte>>.Instance);
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<int?>.Instance);
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<(int, string)>.Instance);
        Assert.IsAssignableFrom<IIdentityCopier>(Copier<KeyValuePair<string, Guid>>.Instance);
        Assert.IsNotAssignableFrom<IIdentityCopier>(Copier<List<int>>.Instance);
        Assert.IsNotAssignableFrom<IIdentityCopier>(Copier<(int, List<int>)>.Instance);
        Assert.IsNotAssignableFrom<IIdentityCopier>(Copier<byte[]>.Instance);
    }

    [Fact]
    public void MutableCollectionsAreCopiedIntoIndependentInstances()
    {
        byte[] bytes = [1, 2];
        byte[] bytesCopy = Copier<byte[]>.Copy(bytes);
        bytesCopy[0] = 9;
        Assert.Equal(1, bytes[0]);

        int[] array = [1, 2];
        int[] arrayCopy = Copier<int[]>.Copy(array);
        arrayCopy[0] = 9;
        Assert.Equal(1, array[0]);

        List<string> list = ["a"];
        List<string> listCopy = Copier<List<string>>.Copy(list);
        listCopy.Add("b");
        Assert.Single(list);

        Dictionary<string, int> dictionary = new() { ["a"] = 1 };
        Dictionary<string, int> dictionaryCopy = Copier<Dictionary<string, int>>.Copy(dictionary);
        dictionaryCopy["a"] = 2;
        Assert.Equal(1, dictionary["a"]);

        Assert.Null(Copier<List<int>?>.Copy(null));
    }

    [Fact]
    public void NestedMutableValuesAreCopiedDeeply()
    {
        Dictionary<string, List<int?>> original = new() { ["x"] = [1, null] };
        Dictionary<string, List<int?>> copy = Copier<Dictionary<string, List<int?>>>.Copy(original);
        Assert.NotSame(original["x"], copy["x"]);
        copy["x"].Add(3);
        Assert.Equal(2, original["x"].Count);

        List<int>[] jagged = [[1], [2]];
        List<int>[] jaggedCopy = Copier<List<int>[]>.Copy(jagged);
        Assert.NotSame(jagged[0], jaggedCopy[0]);

        (int, List<int>) tuple = (1, [1]);
        Assert.NotSame(tuple.Item2, Copier<(int, List<int>)>.Copy(tuple).Item2);

        KeyValuePair<string, List<int>> pair = new("k", [1]);
        Assert.NotSame(pair.Value, Copier<KeyValuePair<string, List<int>>>.Copy(pair).Value);

        ImmutableArray<List<int>> immutableOfMutable = [[1]];
        Assert.NotSame(immutableOfMutable[0], Copier<ImmutableArray<List<int>>>.Copy(immutableOfMutable)[0]);

        (List<int>, int)? nullable = ([1], 2);
        Assert.NotSame(nullable.Value.Item1, Copier<(List<int>, int)?>.Copy(nullable)!.Value.Item1);
    }

    [Fact]
    public void SetAndDictionaryCopiesKeepTheirComparer()
    {
        HashSet<string> set = new(StringComparer.OrdinalIgnoreCase) { "A" };
        Assert.Contains("a", Copier<HashSet<string>>.Copy(set));
        Dictionary<string, List<int>> dictionary = new(StringComparer.OrdinalIgnoreCase) { ["A"] = [1] };
        Assert.True(Copier<Dictionary<string, List<int>>>.Copy(dictionary).ContainsKey("a"));
    }

    [Fact]
    public void InterfaceTypedCollectionsAreCopiedKeepingTheirConcreteTypeWhereKnown()
    {
        IList<int> array = new[] { 1, 2 };
        IList<int> arrayCopy = Copier<IList<int>>.Copy(array);
        Assert.IsType<int[]>(arrayCopy);
        Assert.NotSame(array, arrayCopy);

        IReadOnlyList<int> list = new List<int> { 1 };
        Assert.NotSame(list, Assert.IsType<List<int>>(Copier<IReadOnlyList<int>>.Copy(list)));

        ISet<string> set = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "A" };
        Assert.Contains("a", Copier<ISet<string>>.Copy(set));

        IReadOnlyList<int> immutable = ImmutableList.Create(1, 2);
        Assert.Same(immutable, Copier<IReadOnlyList<int>>.Copy(immutable));

        IEnumerable<List<int>> lazy = Enumerable.Repeat(new List<int> { 1 }, 2);
        List<List<int>> lazyCopy = Assert.IsType<List<List<int>>>(Copier<IEnumerable<List<int>>>.Copy(lazy));
        Assert.NotSame(lazyCopy[0], lazyCopy[1]);

        IDictionary<string, int> sorted = new SortedDictionary<string, int> { ["a"] = 1 };
        Assert.Equal(1, Assert.IsType<Dictionary<string, int>>(Copier<IDictionary<string, int>>.Copy(sorted))["a"]);
    }
}
